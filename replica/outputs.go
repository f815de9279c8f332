package replica

import "fmt"

// Snapshot is output after every change of a replica's state: Seq is its
// counter c, Value the user-visible value (Config.Value), and State the
// encoded state when Config.OutputState asks for it.
type Snapshot struct {
	Seq   uint64 `json:"seq"`
	Value string `json:"value"`
	State []byte `json:"state,omitempty"`
}

// Applied is output for every local operation: the delta it produced
// (encoded; empty when the operation changed nothing) and whether it was
// refused.
type Applied struct {
	Op    any    `json:"op"`
	Delta []byte `json:"delta,omitempty"`
	Noop  bool   `json:"noop,omitempty"`
	Error string `json:"error,omitempty"`
}

// Stats counts a replica incarnation's anti-entropy traffic so far. Bytes
// are encoded message bodies. BytesFull is what shipping the whole state
// instead of each delta-group would have cost for the same messages (state-
// based anti-entropy, which needs no acknowledgements). Pieces counts the
// messages of whole-state transfers; Oversized the pieces not sent because
// they exceed one message (a lattice that cannot split; logged at WARN).
type Stats struct {
	Rounds    int   `json:"rounds"`
	Deltas    int   `json:"deltas"`
	Pieces    int   `json:"pieces"`
	Acks      int   `json:"acks"`
	Oversized int   `json:"oversized,omitempty"`
	BytesSent int64 `json:"replication_bytes_sent"`
	BytesFull int64 `json:"replication_bytes_full_state"`
}

func (s Snapshot) String() string { return fmt.Sprintf("Snapshot{c=%d %s}", s.Seq, s.Value) }
func (a Applied) String() string {
	switch {
	case a.Error != "":
		return fmt.Sprintf("Applied{%v refused: %s}", a.Op, a.Error)
	case a.Noop:
		return fmt.Sprintf("Applied{%v noop}", a.Op)
	}
	return fmt.Sprintf("Applied{%v %dB}", a.Op, len(a.Delta))
}
func (s Stats) String() string {
	return fmt.Sprintf("Stats{rounds=%d deltas=%d pieces=%d acks=%d oversized=%d sent=%dB full=%dB}",
		s.Rounds, s.Deltas, s.Pieces, s.Acks, s.Oversized, s.BytesSent, s.BytesFull)
}
