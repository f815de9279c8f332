package broadcast

import (
	"testing"

	"pgregory.net/rapid"
)

// seqSet behaves like a plain set of numbers, whatever the insertion order,
// including numbers far beyond its bitmap.
func TestSeqSetIsASet(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var s seqSet
		model := map[uint64]bool{}
		seqs := rapid.SliceOf(rapid.OneOf(
			rapid.Uint64Range(0, 300),
			rapid.Uint64Range(maxWords*64-100, maxWords*64+100),
			rapid.Uint64Range(1<<62, 1<<62+3),
		)).Draw(t, "seqs")
		for _, q := range seqs {
			if got, want := s.add(q), !model[q]; got != want {
				t.Fatalf("add(%d) = %v, want %v", q, got, want)
			}
			model[q] = true
		}
		for _, q := range seqs {
			if !s.has(q) {
				t.Fatalf("lost %d", q)
			}
		}
		for q := uint64(0); q < 400; q++ {
			if s.has(q) != model[q] {
				t.Fatalf("has(%d) = %v, want %v", q, s.has(q), model[q])
			}
		}
	})
}
