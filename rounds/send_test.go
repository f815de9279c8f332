package rounds_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/rondo-dev/rondo/check"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/sim"
)

// eagerState and eagerMsg make an algorithm whose Send tries to act on the
// state: "broadcast my estimate, and take a step of my own". Its Update is
// sound on its own (decide the smallest estimate once every process was
// heard), so whatever Send does to the state is the only thing that could
// tell the checked algorithm from the running one.
type eagerState struct {
	X     rounds.Value
	Sends int32
}

type eagerMsg struct{ X rounds.Value }

func eager() *rounds.Algorithm[eagerState, eagerMsg] {
	return &rounds.Algorithm[eagerState, eagerMsg]{
		Name: "eager",
		Init: func(_ core.NodeID, _ int, in rounds.Value) eagerState { return eagerState{X: in} },
		Rounds: []rounds.Round[eagerState, eagerMsg]{{
			Send: func(s eagerState, _ rounds.View, out *rounds.Outbox[eagerMsg]) {
				out.Broadcast(eagerMsg{s.X})
				// These change Send's own copy only. (A decision here,
				// r.Decide(s.X), no longer compiles: a View has no Decide.)
				s.Sends++
				s.X += s.X + 1
			},
			Update: func(s *eagerState, mb rounds.Mailbox[eagerMsg], r *rounds.Ctx) {
				if mb.Len() != r.N {
					return
				}
				x := s.X
				for _, m := range mb.All() {
					x = min(x, m.X)
				}
				s.X = x
				r.Decide(x)
			},
		}},
		Spec: rounds.Spec[eagerState, eagerMsg]{
			Model:      rounds.Benign,
			MaxFaults:  func(int) int { return 0 },
			Symmetric:  true,
			Properties: rounds.Consensus[eagerState](),
			Liveness: rounds.Liveness[eagerState]{
				Name: "a round in which every process hears every process",
				Window: func(int, int) []rounds.HOFilter {
					return []rounds.HOFilter{{Each: func(n, _ int, _ core.NodeID, ho rounds.Set) bool { return ho == rounds.All(n) }}}
				},
			},
		},
	}
}

// The checker and the runtime run one algorithm: whatever Send may do, the
// verdict of rondo check on the algorithm is the verdict of the runtime.
// (Send used to get the live state and a Ctx with Decide on the runtime but
// a copy in the checker: this algorithm, with r.Decide(s.X) in its Send,
// passed the check and broke agreement, validity and irrevocability in every
// one of 20 runs on the runtime.)
func TestTheCheckedAndTheRunningAlgorithmAreOne(t *testing.T) {
	res, err := check.Run(context.Background(), eager(), check.Options{N: 3, Rounds: 3, Values: 2})
	if err != nil {
		t.Fatal(err)
	}
	setup, err := sim.NewSetup(rounds.Scenario(eager(), rounds.ScenarioOptions{Values: 2}), 3, "")
	if err != nil {
		t.Fatal(err)
	}
	camp, err := setup.RunCampaign(t.Context(), 1, 20, sim.CampaignOptions{Workers: 1, KeepGoing: true})
	if err != nil {
		t.Fatal(err)
	}
	var onRuntime []string
	for _, f := range camp.Failures {
		for _, v := range f.Violations {
			onRuntime = append(onRuntime, v.String())
		}
	}
	t.Logf("check: %d violation(s); runtime: %d failing run(s) of %d", res.Violations, len(camp.Failures), camp.Runs)
	if (res.Violations == 0) != (len(onRuntime) == 0) {
		t.Fatalf("the checker says %d violation(s), the runtime %d, first: %v", res.Violations, len(onRuntime), onRuntime[:min(len(onRuntime), 1)])
	}
	if res.Violations != 0 || camp.Runs != 20 {
		t.Fatalf("eager is correct once Send cannot act: %d violation(s) in the check, %d runs", res.Violations, camp.Runs)
	}
}

// What Send, Expect and Spec.Forge are given cannot act on the process:
// the state comes by value, and nothing they get has Decide or Exit.
func TestSendingFunctionsGetNoWayToActOnTheProcess(t *testing.T) {
	state := reflect.TypeFor[eagerState]()
	fns := map[string]reflect.Type{}
	rd := reflect.TypeFor[rounds.Round[eagerState, eagerMsg]]()
	for _, name := range []string{"Send", "Expect"} {
		f, _ := rd.FieldByName(name)
		fns["Round."+name] = f.Type
	}
	f, _ := reflect.TypeFor[rounds.Spec[eagerState, eagerMsg]]().FieldByName("Forge")
	fns["Spec.Forge"] = f.Type
	for name, fn := range fns {
		for i := range fn.NumIn() {
			in := fn.In(i)
			if in.Kind() == reflect.Pointer && in.Elem() == state {
				t.Errorf("%s takes a pointer to the state (argument %d): it could change it", name, i)
			}
			for _, m := range []string{"Decide", "Exit"} {
				_, byValue := in.MethodByName(m)
				_, byPointer := reflect.PointerTo(in).MethodByName(m)
				if in.Kind() != reflect.Pointer && byPointer || byValue {
					t.Errorf("%s's argument %d (%v) has %s", name, i, in, m)
				}
			}
		}
	}
}
