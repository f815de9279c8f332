package check_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/check"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
)

// reference is a deliberately naive explorer — every HO assignment in
// full, no caches, no symmetry, states keyed by their printed form — used to
// cross-check the optimised one's state counts on small systems (benign and
// crash models, per-process and pairwise safety filters).
func reference[S comparable, M comparable](alg *rounds.Algorithm[S, M], n, rnds, values, crash int) uint64 {
	type proc struct {
		S       S
		St      rounds.Status
		In      rounds.Value
		Crashed bool
	}
	key := func(g []proc) string { return fmt.Sprintf("%+v", g) }
	var layer []([]proc)
	seen := map[string]bool{}
	in := make([]int, n)
	for {
		g := make([]proc, n)
		for p := range n {
			g[p] = proc{S: alg.Init(core.NodeID(p), n, rounds.Value(in[p])), In: rounds.Value(in[p])}
		}
		if k := key(g); !seen[k] {
			seen[k] = true
			layer = append(layer, g)
		}
		p := n - 1
		for ; p >= 0; p-- {
			if in[p]++; in[p] < values {
				break
			}
			in[p] = 0
		}
		if p < 0 {
			break
		}
	}
	total := uint64(len(layer))
	for r := range rnds {
		rd := alg.Phase(r)
		next := map[string]bool{}
		var nextLayer [][]proc
		for _, g := range layer {
			// what each live process sends
			sent := make([]*rounds.Outbox[M], n)
			crashed := 0
			for p := range n {
				if g[p].Crashed {
					crashed++
					continue
				}
				if g[p].St.Exited {
					continue
				}
				view := rounds.View{ID: core.NodeID(p), N: n, Round: r, Status: g[p].St}
				sent[p] = rounds.NewOutbox[M](n)
				rd.Send(g[p].S, view, sent[p])
			}
			all := rounds.All(n)
			for c := rounds.Set(0); c <= all; c++ {
				if crash == 0 && c != 0 {
					break
				}
				valid := crashed+c.Len() <= crash
				for p := range c.IDs() {
					valid = valid && !g[p].Crashed && !g[p].St.Exited
				}
				if !valid {
					continue
				}
				// every HO set per process
				choices := make([][]rounds.Set, n)
				for q := range n {
					for h := rounds.Set(0); h <= all; h++ {
						if crash > 0 && h&^c != all&^c {
							continue // synchronous: every non-crashing sender is heard
						}
						if alg.Spec.Safety.Allows(n, r, core.NodeID(q), h) {
							choices[q] = append(choices[q], h)
						}
					}
				}
				idx := make([]int, n)
				for {
					pairOK := true
					if pair := alg.Spec.Safety.Pair; pair != nil {
						for p := range n {
							for q := range n {
								if p < q && !g[p].Crashed && !g[q].Crashed && !pair(n, r, choices[p][idx[p]], choices[q][idx[q]]) {
									pairOK = false
								}
							}
						}
					}
					ng := make([]proc, n)
					for q := range n {
						ng[q] = g[q]
						if g[q].Crashed || g[q].St.Exited {
							continue
						}
						if c.Has(core.NodeID(q)) {
							ng[q].Crashed = true
							continue
						}
						mb := rounds.NewMailbox[M](n)
						for p := range choices[q][idx[q]].IDs() {
							if sent[p] != nil {
								if m, ok := sent[p].Get(core.NodeID(q)); ok {
									mb.Put(p, m)
								}
							}
						}
						ctx := rounds.Ctx{ID: core.NodeID(q), N: n, Round: r, Status: g[q].St}
						rd.Update(&ng[q].S, mb, &ctx)
						ng[q].St = ctx.Status
					}
					if k := key(ng); pairOK && !next[k] {
						next[k] = true
						nextLayer = append(nextLayer, ng)
					}
					q := n - 1
					for ; q >= 0; q-- {
						if idx[q]++; idx[q] < len(choices[q]) {
							break
						}
						idx[q] = 0
					}
					if q < 0 {
						break
					}
				}
			}
		}
		layer = nextLayer
		total += uint64(len(layer))
	}
	return total
}

func TestTheExplorerAgreesWithANaiveReference(t *testing.T) {
	for _, c := range []struct {
		name string
		ref  func() uint64
		fast func() (*check.Result, error)
	}{
		{"otr n=3 v=3", func() uint64 { return reference(algos.OTR(), 3, 2, 3, 0) },
			func() (*check.Result, error) {
				return check.Run(context.Background(), algos.OTR(), check.Options{N: 3, Rounds: 2, Values: 3, NoSymmetry: true, NoLiveness: true})
			}},
		{"lastvoting n=3", func() uint64 { return reference(algos.LastVoting(), 3, 4, 2, 0) },
			func() (*check.Result, error) {
				return check.Run(context.Background(), algos.LastVoting(), check.Options{N: 3, Rounds: 4, NoLiveness: true})
			}},
		{"slv n=3", func() uint64 { return reference(algos.ShortLastVoting(), 3, 3, 2, 0) },
			func() (*check.Result, error) {
				return check.Run(context.Background(), algos.ShortLastVoting(), check.Options{N: 3, Rounds: 3, NoLiveness: true})
			}},
		{"uv n=3 (no split rounds)", func() uint64 { return reference(algos.UniformVoting(), 3, 3, 2, 0) },
			func() (*check.Result, error) {
				return check.Run(context.Background(), algos.UniformVoting(), check.Options{N: 3, Rounds: 3, NoSymmetry: true, NoLiveness: true})
			}},
		{"floodmin n=3 crash=1", func() uint64 { return reference(algos.FloodMin(1), 3, 3, 2, 1) },
			func() (*check.Result, error) {
				return check.Run(context.Background(), algos.FloodMin(1), check.Options{N: 3, Rounds: 3, Crash: 1, NoSymmetry: true, NoLiveness: true})
			}},
		{"kset n=4 k=2 crash=2", func() uint64 { return reference(algos.KSet(2, 2), 4, 2, 2, 2) },
			func() (*check.Result, error) {
				return check.Run(context.Background(), algos.KSet(2, 2), check.Options{N: 4, Rounds: 2, Crash: 2, NoLiveness: true})
			}},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			if testing.Short() && strings.HasPrefix(c.name, "kset") {
				t.Skip("a few seconds")
			}
			want := c.ref()
			res, err := c.fast()
			if err != nil {
				t.Fatal(err)
			}
			if res.States != want {
				t.Fatalf("explorer: %d states, naive reference: %d", res.States, want)
			}
			t.Logf("%d states, as the naive reference", want)
		})
	}
}
