package core

// MaxMessageSize is the largest encoded message (the bytes Codec.Append
// produces for one message body) that any Rondo world carries. The real
// transport refuses a larger frame, and the simulator refuses a larger
// message the same way, so a protocol that builds one fails in simulation
// first. A protocol that must move more state than this (anti-entropy of a
// large replica, a log snapshot) splits it into pieces that fit.
const MaxMessageSize = 4 << 20
