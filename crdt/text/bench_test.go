package text_test

import (
	"testing"

	"github.com/rondo-dev/rondo/crdt/text"
)

func BenchmarkReplayAutomergePaper(b *testing.B) {
	tr := loadShared(b, "automerge-paper")
	b.ResetTimer()
	for b.Loop() {
		tr.ReplaySequential()
	}
}

func BenchmarkReplayFriendsForever(b *testing.B) {
	tr := loadShared(b, "friendsforever")
	b.ResetTimer()
	for b.Loop() {
		if _, err := tr.ReplayConcurrent(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMergeFullState(b *testing.B) {
	tr := loadShared(b, "friendsforever")
	docs, _ := tr.ReplayConcurrent()
	b.ResetTimer()
	for b.Loop() {
		d := newDoc(9)
		d.Merge(docs[0])
	}
}

// BenchmarkApplyRemoteAutomergePaper replays automerge-paper on a second
// replica from the first one's updates, one per patch: the remote
// integration path, ID lookups and all.
func BenchmarkApplyRemoteAutomergePaper(b *testing.B) {
	tr := loadShared(b, "automerge-paper")
	src := newDoc(1)
	var ups []*text.Update
	for _, tx := range tr.Txns {
		for _, p := range tx.Patches {
			u := &text.Update{}
			if p.Del > 0 {
				src.DeleteTo(u, p.Pos, p.Del)
			}
			if p.Ins != "" {
				src.InsertTo(u, p.Pos, p.Ins)
			}
			ups = append(ups, u)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		d := newDoc(2)
		for _, u := range ups {
			d.Apply(u)
		}
		if d.Len() != len(tr.EndContent) {
			b.Fatal("wrong length")
		}
	}
}
