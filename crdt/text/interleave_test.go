package text_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/crdt/text"
)

// typeWord types w at pos, forwards (each char after the previous) or
// backwards (each char at pos, before the previous one).
func typeWord(d *text.Doc, pos int, w string, backwards bool) *text.Update {
	u := &text.Update{}
	if backwards {
		for i := len(w) - 1; i >= 0; i-- {
			d.InsertTo(u, pos, w[i:i+1])
		}
		return u
	}
	for i := range len(w) {
		d.InsertTo(u, pos+i, w[i:i+1])
	}
	return u
}

// concurrent has alice and bob type a and b at the same place of a shared
// base text at the same time, then exchange updates.
func concurrent(t *testing.T, base string, pos int, a, b string, backwards, yata bool) string {
	t.Helper()
	alice, bob := newDoc(1), newDoc(2)
	if yata {
		text.UseYATA(alice)
		text.UseYATA(bob)
	}
	bob.Apply(alice.Insert(0, base))
	ua := typeWord(alice, pos, a, backwards)
	ub := typeWord(bob, pos, b, backwards)
	alice.Apply(ub)
	bob.Apply(ua)
	if alice.String() != bob.String() {
		t.Fatalf("replicas diverged: %q vs %q", alice.String(), bob.String())
	}
	return alice.String()
}

func interleaved(got, base string, pos int, a, b string) bool {
	mid := got[pos : pos+len(a)+len(b)]
	return mid != a+b && mid != b+a
}

func TestConcurrentTypingDoesNotInterleave(t *testing.T) {
	for _, backwards := range []bool{false, true} {
		got := concurrent(t, "[]", 1, "alice", "bob", backwards, false)
		if interleaved(got, "[]", 1, "alice", "bob") {
			t.Fatalf("backwards=%v: interleaved %q", backwards, got)
		}
		t.Logf("backwards=%v: %q", backwards, got)
	}
}

// TestChoiceOfFugueMaxOverYATA is the measurement behind the choice of
// placement rule: many concurrent-typing sessions at random places, forwards
// and backwards, counting the ones whose words come out interleaved.
func TestChoiceOfFugueMaxOverYATA(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"alpha", "beta", "gamma", "delta", "kappa"}
	count := map[string]int{}
	const sessions = 400
	for range sessions {
		base := strings.Repeat("_", rng.IntN(8))
		pos := rng.IntN(len(base) + 1)
		a, b := words[rng.IntN(len(words))], words[rng.IntN(len(words))]
		backwards := rng.IntN(2) == 0
		for _, yata := range []bool{false, true} {
			name := "fuguemax"
			if yata {
				name = "yata"
			}
			if interleaved(concurrent(t, base, pos, a, b, backwards, yata), base, pos, a, b) {
				count[name]++
			}
		}
	}
	t.Logf("interleaved sessions out of %d: FugueMax %d, YATA %d", sessions, count["fuguemax"], count["yata"])
	if count["fuguemax"] != 0 {
		t.Fatalf("FugueMax interleaved %d sessions", count["fuguemax"])
	}
}

// withTails is Gentle's "withTails2" puzzle (reference-crdts): alice types
// "a" and then "x" before it and "y" after it; bob types "b", carol (whose
// agent id sorts first) puts "p" before bob's b and bob puts "q" after it.
// The two groups must not interleave: "xaypbq" or "pbqxay".
func withTails(t *testing.T, yata bool) string {
	alice, bob, carol := newDoc(10), newDoc(20), newDoc(5)
	for _, d := range []*text.Doc{alice, bob, carol} {
		if yata {
			text.UseYATA(d)
		}
	}
	var ua, ub text.Update
	ua.Add(alice.Insert(0, "a"))
	ua.Add(alice.Insert(0, "x"))
	ua.Add(alice.Insert(2, "y"))
	ub.Add(bob.Insert(0, "b"))
	carol.Apply(&ub)
	uc := carol.Insert(0, "p")
	ub.Add(bob.Insert(1, "q"))
	for _, d := range []*text.Doc{alice, bob, carol} {
		d.Apply(&ua)
		d.Apply(&ub)
		d.Apply(uc)
	}
	if alice.String() != bob.String() || bob.String() != carol.String() {
		t.Fatalf("diverged: %q %q %q", alice, bob, carol)
	}
	return alice.String()
}

func TestWithTailsPuzzle(t *testing.T) {
	fm, y := withTails(t, false), withTails(t, true)
	t.Logf("withTails: FugueMax %q, YATA %q", fm, y)
	if fm != "xaypbq" && fm != "pbqxay" {
		t.Fatalf("FugueMax interleaved: %q", fm)
	}
}
