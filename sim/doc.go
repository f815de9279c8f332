// Package sim is Rondo's deterministic world: it runs any set of
// core.Process values on one goroutine, in virtual time, with one seeded
// random source deciding every fault. A run is a pure function of the code,
// the seed and the fault spec; its trace is byte-identical when repeated, so a
// failing seed is a bug report anyone can replay.
//
// The simulator knows nothing of the protocols it runs (it never imports a
// model); it hands them messages, timers, client requests and restarts, and
// records what they send and output.
package sim
