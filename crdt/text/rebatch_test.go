package text_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rondo-dev/rondo/crdt/text"
)

var rebatchSeeds = flag.Int("text.seeds", 0,
	"seeds TestRebatchedDeliveryConvergesWithEveryCharacterOnceAndInOrder runs (0: 1000, or 100 with -short)")

// A session of 3–5 replicas typing and deleting concurrently while their
// updates travel the way delta-interval anti-entropy and direct users of
// Update.Add make them travel: joined batches of consecutive earlier
// updates (overlapping when a range is sent again), relayed, duplicated,
// delivered in any order. After everyone has received everything, every
// replica must show the same document, every typed character not deleted
// exactly once, deleted ones not at all, and no insert interleaved with
// concurrent typing (text.Audit).
func TestRebatchedDeliveryConvergesWithEveryCharacterOnceAndInOrder(t *testing.T) {
	seeds := *rebatchSeeds
	if seeds == 0 {
		seeds = 1000
		if testing.Short() {
			seeds = 100
		}
	}
	for seed := range uint64(seeds) {
		if err := rebatchedSession(seed); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	t.Logf("%d seeds", seeds)
}

type replicaUnderTest struct {
	doc *text.Doc
	log []*text.Update // everything it applied or made, in order: what it relays
}

type inFlight struct {
	to int
	u  *text.Update
}

// join returns log[i:j] as one update, the way a direct user batches
// (Update.Add) or the way the replica package does (merging delta
// documents, shipped as a state).
func join(rng *rand.Rand, log []*text.Update) (*text.Update, error) {
	if rng.IntN(2) == 0 {
		var u text.Update
		for _, x := range log {
			u.Add(x)
		}
		return &u, nil
	}
	var d text.Doc
	for _, x := range log {
		if _, err := d.Apply(x); err != nil {
			return nil, err
		}
	}
	return d.State(), nil
}

func rebatchedSession(seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x7e47))
	n := 3 + rng.IntN(3)
	reps := make([]*replicaUnderTest, n)
	for i := range reps {
		reps[i] = &replicaUnderTest{doc: newDoc(uint32(10 + i))}
	}
	var edits []*text.Update // every local edit's update, for the audit
	var pool []inFlight
	deliver := func(m inFlight) error {
		r := reps[m.to]
		if _, err := r.doc.Apply(m.u); err != nil {
			return fmt.Errorf("replica %d refused an honest update: %w", m.to, err)
		}
		r.log = append(r.log, m.u)
		return nil
	}
	send := func(from, to int, i, j int) error {
		u, err := join(rng, reps[from].log[i:j])
		if err != nil {
			return err
		}
		for range 1 + rng.IntN(2) { // sometimes twice
			pool = append(pool, inFlight{to, u})
		}
		return nil
	}
	for range 60 + rng.IntN(60) {
		r := rng.IntN(n)
		me := reps[r]
		switch k := rng.IntN(20); {
		case k < 6: // type a word, forwards or backwards, a keystroke per update
			pos := rng.IntN(me.doc.Len() + 1)
			w := 1 + rng.IntN(5)
			back := rng.IntN(3) == 0
			for c := range w {
				u := &text.Update{}
				ch := string(rune('a' + (r*5+c)%26))
				if back {
					me.doc.InsertTo(u, pos, ch)
				} else {
					me.doc.InsertTo(u, pos+c, ch)
				}
				me.log = append(me.log, u)
				edits = append(edits, u)
			}
		case k < 9: // delete a few characters
			if l := me.doc.Len(); l > 0 {
				p := rng.IntN(l)
				u := me.doc.Delete(p, 1+rng.IntN(min(4, l-p)))
				me.log = append(me.log, u)
				edits = append(edits, u)
			}
		case k < 15: // send a batch of consecutive earlier updates
			if len(me.log) > 0 {
				i := rng.IntN(len(me.log))
				j := i + 1 + rng.IntN(len(me.log)-i)
				to := (r + 1 + rng.IntN(n-1)) % n
				if err := send(r, to, i, j); err != nil {
					return err
				}
			}
		default: // deliver something, maybe keeping a copy in flight
			if len(pool) > 0 {
				i := rng.IntN(len(pool))
				m := pool[i]
				if rng.IntN(4) != 0 {
					pool[i] = pool[len(pool)-1]
					pool = pool[:len(pool)-1]
				}
				if err := deliver(m); err != nil {
					return err
				}
			}
		}
	}
	// Heal: deliver what is in flight, then everyone's log to everyone,
	// in shuffled batches.
	rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	for _, m := range pool {
		if err := deliver(m); err != nil {
			return err
		}
	}
	pool = nil
	logs := make([][]*text.Update, n)
	for i, r := range reps {
		logs[i] = r.log
	}
	for from := range n {
		for to := range n {
			if from == to {
				continue
			}
			for i := 0; i < len(logs[from]); {
				j := min(len(logs[from]), i+1+rng.IntN(8))
				u, err := join(rng, logs[from][i:j])
				if err != nil {
					return err
				}
				pool = append(pool, inFlight{to, u})
				i = j
			}
		}
	}
	rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	for _, m := range pool {
		if err := deliver(m); err != nil {
			return err
		}
	}
	return checkSession(reps, edits)
}

func checkSession(reps []*replicaUnderTest, edits []*text.Update) error {
	ref := reps[0].doc
	for i, r := range reps {
		if ins, dels := r.doc.Pending(); ins+dels > 0 {
			return fmt.Errorf("replica %d: %d inserts and %d deletes still waiting", i, ins, dels)
		}
		if r.doc.String() != ref.String() || !text.Equal(r.doc, ref) {
			return fmt.Errorf("replica %d shows %q, replica 0 %q", i, r.doc.String(), ref.String())
		}
		b, err := r.doc.MarshalBinary()
		if err != nil {
			return err
		}
		var back text.Doc
		if err := back.UnmarshalBinary(b); err != nil || !text.Equal(&back, r.doc) {
			return fmt.Errorf("replica %d: its encoding does not decode to it: %v", i, err)
		}
	}
	if bad := text.Audit(ref, edits, 5); len(bad) > 0 {
		return fmt.Errorf("text %q: %v", ref.String(), bad)
	}
	// Exactly once: what was typed and not deleted is there, what was
	// deleted is not.
	deleted := map[text.ID]bool{}
	for _, u := range edits {
		for _, s := range u.Deletes {
			for k := range s.N {
				deleted[text.ID{Agent: s.Agent, Seq: s.Seq + k}] = true
			}
		}
	}
	visible := map[text.ID]bool{}
	for id := range ref.Chars() {
		visible[id] = true
	}
	for _, u := range edits {
		for _, in := range u.Inserts {
			for k := range uint32(len(in.Text)) {
				id := text.ID{Agent: in.ID.Agent, Seq: in.ID.Seq + k}
				if visible[id] == deleted[id] {
					return fmt.Errorf("item %d:%d: visible %v, deleted %v", id.Agent, id.Seq, visible[id], deleted[id])
				}
			}
		}
	}
	return nil
}
