package replica

import "fmt"

// Snapshot is output after every change of a replica's state: Seq is its
// counter c, Value the user-visible value (Config.Value), and State the
// encoded state when Config.OutputState is set.
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
// based anti-entropy, which needs no acknowledgements).
type Stats struct {
	Rounds    int   `json:"rounds"`
	Deltas    int   `json:"deltas"`
	Fulls     int   `json:"fulls"`
	Acks      int   `json:"acks"`
	BytesSent int64 `json:"bytes_sent"`
	BytesFull int64 `json:"bytes_full_state"`
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
	return fmt.Sprintf("Stats{rounds=%d deltas=%d fulls=%d acks=%d sent=%dB full=%dB}",
		s.Rounds, s.Deltas, s.Fulls, s.Acks, s.BytesSent, s.BytesFull)
}
