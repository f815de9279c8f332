package lattice

// Splitter is a lattice value that can part itself, so that a value too
// large for one message can travel in several (package replica ships a
// large state this way, each part in a frame of its own).
type Splitter[L any] interface {
	// Split returns about n values (n ≥ 2) of similar size whose join is
	// the receiver, each ⊑ the receiver, so that merging any subset of
	// them, in any order and any number of times, never takes a replica
	// above the receiver, and merging them all reaches it. A value that
	// cannot be parted that finely returns fewer; one that cannot be
	// parted at all returns itself alone. The parts may share memory with
	// the receiver: neither may be changed while the other is in use.
	//
	// A splitter may put in its last part what must not be seen before
	// the rest (a summary such as a version vector that claims the other
	// parts are present): package replica delivers the last part only
	// after every other part has been acknowledged.
	Split(n int) []L
}
