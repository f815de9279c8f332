package replica_test

import (
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt/text"
	"github.com/rondo-dev/rondo/replica"
	"github.com/rondo-dev/rondo/scenario"
)

func encodeDoc(t *testing.T, d *text.Doc) []byte {
	t.Helper()
	b, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// textHistory is a two-replica history in which replica 0 typed "ab" in
// one operation and both replicas ended with the state shown.
func textHistory(t *testing.T, typed *text.Update, shown *text.Doc) *scenario.History {
	t.Helper()
	delta := &text.Doc{}
	if _, err := delta.Apply(typed); err != nil {
		t.Fatal(err)
	}
	h := scenario.NewHistory(2)
	h.Observations = append(h.Observations,
		scenario.Observation{Node: 0, Output: true, Value: replica.Applied{Op: replica.Type{S: "ab"}, Delta: encodeDoc(t, delta)}})
	for n := range 2 {
		h.Observations = append(h.Observations,
			scenario.Observation{Node: core.NodeID(n), Output: true, Value: replica.Snapshot{Seq: 1, State: encodeDoc(t, shown)}})
	}
	return h
}

// The same IDs, in another order: the equal-ID-set checks (convergence,
// completeness, integrity) cannot tell, the text check does.
func TestTheTextCampaignCatchesTextShownOutOfTypingOrder(t *testing.T) {
	alice, _ := text.New(0)
	typed := alice.Insert(0, "ab")
	// A document with alice's two items the other way round, as a broken
	// integration could leave them: "b" typed first, at the end, then "a".
	var forged text.Doc
	if _, err := forged.Apply(&text.Update{Inserts: []text.Insert{
		{ID: text.ID{Agent: 0, Seq: 0}, Left: text.None(), Right: text.None(), Text: "a"},
		{ID: text.ID{Agent: 0, Seq: 1}, Left: text.None(), Right: text.ID{Agent: 0, Seq: 0}, Text: "b"},
	}}); err != nil {
		t.Fatal(err)
	}
	if forged.String() != "ba" || !forged.LessEq(alice) || !alice.LessEq(&forged) {
		t.Fatalf("setup: %q", forged.String())
	}
	vs := replica.TextKind().Semantics(textHistory(t, typed, &forged), &forged)
	if len(vs) == 0 || !strings.Contains(vs[0].Detail, "typing order") {
		t.Fatalf("want a typing-order violation, got %v", vs)
	}
	t.Logf("%v", vs)
	// The honest document passes.
	if vs := replica.TextKind().Semantics(textHistory(t, typed, alice), alice); len(vs) != 0 {
		t.Fatalf("the honest history was flagged: %v", vs)
	}
}

func TestTheTextCampaignCatchesAMissingCharacter(t *testing.T) {
	alice, _ := text.New(0)
	typed := alice.Insert(0, "ab")
	shown := alice.Clone()
	shown.Delete(1, 1) // "b" gone, though nobody deleted it
	vs := replica.TextKind().Semantics(textHistory(t, typed, shown), shown)
	if len(vs) == 0 || !strings.Contains(vs[0].Detail, "missing") {
		t.Fatalf("want a missing-character violation, got %v", vs)
	}
}
