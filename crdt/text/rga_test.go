package text_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// rga is a small reference implementation of RGA (Roh et al., "Replicated
// abstract data types", JPDC 2011; the list CRDT of Automerge), kept only to
// measure it against FugueMax on the same concurrent sessions. A slice and
// linear searches: correct and slow, which is all a measurement needs.
type rgaItem struct {
	agent, ctr int // ID
	lamport    int // RGA's timestamp: one more than any seen
	leftAgent  int // left origin's ID; leftAgent < 0 for none
	leftCtr    int
	ch         byte
}

type rga struct {
	agent, ctr, maxLamport int
	items                  []rgaItem
}

func (d *rga) index(agent, ctr int) int {
	if agent < 0 {
		return -1
	}
	return slices.IndexFunc(d.items, func(it rgaItem) bool { return it.agent == agent && it.ctr == ctr })
}

func (d *rga) insert(pos int, ch byte) {
	it := rgaItem{agent: d.agent, ctr: d.ctr, lamport: d.maxLamport + 1, leftAgent: -1, ch: ch}
	if pos > 0 {
		it.leftAgent, it.leftCtr = d.items[pos-1].agent, d.items[pos-1].ctr
	}
	d.ctr++
	d.integrate(it)
}

// integrate skips, after the left origin, every item that is newer than
// the new one or belongs to the subtree of such an item.
func (d *rga) integrate(it rgaItem) {
	if d.index(it.agent, it.ctr) >= 0 {
		return
	}
	parent := d.index(it.leftAgent, it.leftCtr)
	i := parent + 1
	for ; i < len(d.items); i++ {
		o := d.items[i]
		if it.lamport > o.lamport {
			break
		}
		op := d.index(o.leftAgent, o.leftCtr)
		if op < parent || (op == parent && it.lamport == o.lamport && it.agent < o.agent) {
			break
		}
	}
	d.items = slices.Insert(d.items, i, it)
	d.maxLamport = max(d.maxLamport, it.lamport)
}

// receive integrates o's items in o's creation order per agent, which
// respects their origins in these sessions.
func (d *rga) receive(o *rga) {
	byCreation := slices.Clone(o.items)
	slices.SortStableFunc(byCreation, func(a, b rgaItem) int { return a.lamport - b.lamport })
	for _, it := range byCreation {
		d.integrate(it)
	}
}

func (d *rga) String() string {
	var b strings.Builder
	for _, it := range d.items {
		b.WriteByte(it.ch)
	}
	return b.String()
}

func rgaConcurrent(base string, pos int, a, b string, backwards bool) string {
	shared := &rga{agent: 0}
	for i := range len(base) {
		shared.insert(i, base[i])
	}
	alice := &rga{agent: 1}
	bob := &rga{agent: 2}
	alice.receive(shared)
	bob.receive(shared)
	alice.maxLamport, bob.maxLamport = shared.maxLamport, shared.maxLamport
	typ := func(d *rga, w string) {
		for i := range len(w) {
			if backwards {
				d.insert(pos, w[len(w)-1-i])
			} else {
				d.insert(pos+i, w[i])
			}
		}
	}
	typ(alice, a)
	typ(bob, b)
	alice.receive(bob)
	bob.receive(alice)
	if alice.String() != bob.String() {
		panic("rga diverged")
	}
	return alice.String()
}

// TestRGAInterleavesBackwardTyping measures RGA on the sessions that
// TestChoiceOfFugueMaxOverYATA runs on FugueMax and YATA.
func TestRGAInterleavesBackwardTyping(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"alpha", "beta", "gamma", "delta", "kappa"}
	bad, total := map[bool]int{}, map[bool]int{}
	const sessions = 400
	for range sessions {
		base := strings.Repeat("_", rng.IntN(8))
		pos := rng.IntN(len(base) + 1)
		a, b := words[rng.IntN(len(words))], words[rng.IntN(len(words))]
		backwards := rng.IntN(2) == 0
		total[backwards]++
		// The same random numbers as the FugueMax/YATA measurement.
		if interleaved(rgaConcurrent(base, pos, a, b, backwards), base, pos, a, b) {
			bad[backwards]++
		}
	}
	t.Logf("RGA interleaved sessions: %d of %d typed forwards, %d of %d typed backwards",
		bad[false], total[false], bad[true], total[true])
	if bad[true] == 0 {
		t.Fatalf("expected RGA to interleave backward typing")
	}
}
