package check_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/check"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
	"github.com/rondo-dev/rondo/rounds/algos/mutants"
	"github.com/rondo-dev/rondo/trace"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden counterexamples in testdata/")

// run explores alg and fails the test on an error.
func run[S comparable, M comparable](t *testing.T, alg *rounds.Algorithm[S, M], opt check.Options) *check.Result {
	t.Helper()
	res, err := check.Run(context.Background(), alg, opt)
	if err != nil {
		t.Fatalf("check.Run(context.Background(), %s, %+v): %v", alg.Name, opt, err)
	}
	t.Logf("%v", res)
	return res
}

func holds(t *testing.T, res *check.Result) {
	t.Helper()
	if res.Violations != 0 || res.Counterexample != nil {
		var b bytes.Buffer
		res.Counterexample.WriteTable(&b)
		t.Fatalf("%s: expected every property to hold, got %d violation(s):\n%s", res.Algorithm, res.Violations, b.String())
	}
	if res.States == 0 || res.Transitions == 0 {
		t.Fatalf("%s: explored nothing: %v", res.Algorithm, res)
	}
}

func caught(t *testing.T, res *check.Result, properties ...string) *check.Counterexample {
	t.Helper()
	cx := res.Counterexample
	if res.Violations == 0 || cx == nil {
		t.Fatalf("%s: expected a violation, every property held over %d states", res.Algorithm, res.States)
	}
	ok := false
	for _, p := range properties {
		ok = ok || cx.Property == p
	}
	if !ok {
		t.Fatalf("%s: violated %q, expected one of %v", res.Algorithm, cx.Property, properties)
	}
	var b bytes.Buffer
	cx.WriteTable(&b)
	t.Logf("\n%s", b.String())
	return cx
}

// golden compares got with testdata/name (go test -rewrite updates it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *rewrite {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -rewrite to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -rewrite to update):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestOneThirdRuleIsSafeAndLiveOnFourProcesses(t *testing.T) {
	res := run(t, algos.OTR(), check.Options{N: 4, Rounds: 4})
	holds(t, res)
	if res.Windows == 0 {
		t.Fatal("no execution satisfied the communication predicate: liveness was not checked")
	}
}

func TestOneThirdRuleDecidingOnAMajorityLosesAgreement(t *testing.T) {
	res := run(t, mutants.OTRMajority(), check.Options{N: 5, Rounds: 4})
	cx := caught(t, res, "agreement")
	if got := len(cx.Steps) - 1; got != 2 {
		t.Errorf("the shortest counterexample has 2 rounds, got %d", got)
	}
	var b bytes.Buffer
	cx.WriteTable(&b)
	golden(t, "otr-majority.txt", b.String())
}

func TestLastVotingIsSafeAndLive(t *testing.T) {
	holds(t, run(t, algos.LastVoting(), check.Options{N: 3, Rounds: 8}))
}

func TestLastVotingWhoseCoordinatorIgnoresTimestampsIsCaught(t *testing.T) {
	res := run(t, mutants.LastVotingNoTimestamps(), check.Options{N: 3, Rounds: 8})
	cx := caught(t, res, "agreement", "irrevocability")
	// The decision of phase 0 is overturned in phase 1: it takes two phases.
	if got := len(cx.Steps) - 1; got != 8 {
		t.Errorf("counterexample has %d rounds, want 8 (two phases)", got)
	}
}

func TestUniformVotingIsSafeWithoutSplitRounds(t *testing.T) {
	holds(t, run(t, algos.UniformVoting(), check.Options{N: 3, Rounds: 4}))
}

func TestUniformVotingNeedsItsNoSplitAssumption(t *testing.T) {
	alg := algos.UniformVoting()
	alg.Spec.Safety = rounds.HOFilter{} // any HO sets
	alg.Spec.Liveness = rounds.Liveness[algos.UVState]{}
	caught(t, run(t, alg, check.Options{N: 3, Rounds: 4}), "agreement")
}

func TestFloodMinToleratesOneCrashInTwoRounds(t *testing.T) {
	holds(t, run(t, algos.FloodMin(1), check.Options{N: 4, Rounds: 3, Crash: 1}))
}

func TestFloodMinDecidingAfterOneRoundIsBrokenByOneCrash(t *testing.T) {
	alg := algos.FloodMin(0) // f+1 = 1 round, but one crash is allowed
	cx := caught(t, run(t, alg, check.Options{N: 3, Rounds: 2, Crash: 1}), "agreement")
	if cx.Steps[1].NewlyCrashed.Empty() {
		t.Errorf("the counterexample should crash a process in round 0:\n%+v", cx.Steps[1])
	}
}

func TestPBFTToleratesOneByzantineReplicaOfFour(t *testing.T) {
	if testing.Short() {
		t.Skip("about 1s")
	}
	holds(t, run(t, algos.PBFT(), check.Options{N: 4, Rounds: 6, Byzantine: 1}))
}

// With n = 5 and f = 1 a quorum of 2f+1 = 3 can meet another only in the
// Byzantine replica; PBFT's quorums are therefore ⌈(n+f+1)/2⌉ = 4 there. A
// simulation campaign found the split (irrevocability, seed 1461 of
// byzantine=1,drop=0.1); this is the exhaustive check of the fix.
func TestPBFTOnFiveReplicasKeepsAgreement(t *testing.T) {
	holds(t, run(t, algos.PBFT(), check.Options{N: 5, Rounds: 4, Byzantine: 1}))
}

func TestPBFTWithQuorumsOf2fIsCaught(t *testing.T) {
	res := run(t, mutants.PBFTQuorum2f(), check.Options{N: 4, Rounds: 6, Byzantine: 1})
	cx := caught(t, res, "agreement", "validity")
	if cx.Steps[0].Faulty.Empty() {
		t.Error("the counterexample names no Byzantine replica")
	}
}

func TestSymmetryReductionKeepsTheVerdictWithFewerStates(t *testing.T) {
	sym := run(t, algos.OTR(), check.Options{N: 4, Rounds: 3, Values: 3})
	full := run(t, algos.OTR(), check.Options{N: 4, Rounds: 3, Values: 3, NoSymmetry: true})
	holds(t, sym)
	holds(t, full)
	if !sym.Symmetry || full.Symmetry || sym.States >= full.States {
		t.Fatalf("symmetry: %d states, without: %d states", sym.States, full.States)
	}
	bsym := run(t, mutants.OTRMajority(), check.Options{N: 5, Rounds: 2})
	bfull := run(t, mutants.OTRMajority(), check.Options{N: 5, Rounds: 2, NoSymmetry: true})
	if len(caught(t, bsym, "agreement").Steps) != len(caught(t, bfull, "agreement").Steps) {
		t.Fatal("symmetry changed the length of the shortest counterexample")
	}
}

func TestExplorationIsDeterministic(t *testing.T) {
	a := run(t, algos.LastVoting(), check.Options{N: 3, Rounds: 8})
	b := run(t, algos.LastVoting(), check.Options{N: 3, Rounds: 8})
	if a.States != b.States || a.Transitions != b.Transitions || a.LocalStates != b.LocalStates {
		t.Fatalf("two runs differ: %v / %v", a, b)
	}
}

func TestCounterexampleIsSavedAsATrace(t *testing.T) {
	res := run(t, mutants.OTRMajority(), check.Options{N: 5, Rounds: 3})
	cx := caught(t, res, "agreement")
	var buf bytes.Buffer
	if err := cx.WriteTrace(&buf, res.Faults); err != nil {
		t.Fatal(err)
	}
	h, evs, err := trace.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if h.Tool != "check" || h.Protocol != "otr-majority" || h.Nodes != 5 {
		t.Fatalf("header %+v", h)
	}
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind]++
	}
	if kinds["round"] != 2 || kinds["ho"] != 10 || kinds["heard"] == 0 || kinds["decide"] == 0 || kinds[trace.Violation] != 1 {
		t.Fatalf("event kinds %v", kinds)
	}
	if last := evs[len(evs)-1]; last.Msg != "agreement" {
		t.Fatalf("last event %+v, want the violation", last)
	}
}

func TestBadOptionsAreRefused(t *testing.T) {
	for _, opt := range []check.Options{
		{N: 0, Rounds: 1},
		{N: check.MaxN + 1, Rounds: 1},
		{N: 3, Rounds: -1},
		{N: 3, Rounds: 1, Crash: 1, Byzantine: 1},
		{N: 3, Rounds: 1, Crash: 3},
		{N: 3, Rounds: 1, Values: 65},
	} {
		if _, err := check.Run(context.Background(), algos.OTR(), opt); err == nil {
			t.Errorf("%+v accepted", opt)
		}
	}
	bad := algos.OTR()
	bad.Rounds[0].Update = nil
	if _, err := check.Run(context.Background(), bad, check.Options{N: 3, Rounds: 1}); err == nil || !strings.Contains(err.Error(), "Update") {
		t.Errorf("an algorithm without Update: %v", err)
	}
}

// The checker takes any algorithm through the public API. minEcho is
// defined here only: each process broadcasts its input once, and decides
// the smallest input when it heard everybody (or, in the broken variant,
// a majority).
type echoState struct {
	X     rounds.Value
	Heard rounds.Set
}

type echoMsg struct{ X rounds.Value }

func minEcho(quorum func(k, n int) bool) *rounds.Algorithm[echoState, echoMsg] {
	return &rounds.Algorithm[echoState, echoMsg]{
		Name: "min-echo",
		Init: func(_ core.NodeID, _ int, in rounds.Value) echoState { return echoState{X: in} },
		Rounds: []rounds.Round[echoState, echoMsg]{{
			Send: func(s echoState, _ rounds.View, out *rounds.Outbox[echoMsg]) { out.Broadcast(echoMsg{s.X}) },
			Update: func(s *echoState, mb rounds.Mailbox[echoMsg], r *rounds.Ctx) {
				if _, done := r.Decided(); done || !quorum(mb.Len(), r.N) {
					return
				}
				for _, m := range mb.All() {
					s.X = min(s.X, m.X)
				}
				r.Decide(s.X)
			},
		}},
		Spec: rounds.Spec[echoState, echoMsg]{
			Symmetric:  true,
			Properties: rounds.Consensus[echoState](),
			Liveness: rounds.Liveness[echoState]{
				Name:   "a round in which all hear all",
				Window: func(n, _ int) []rounds.HOFilter { return []rounds.HOFilter{{Each: everyone}} },
			},
		},
	}
}

func everyone(n, _ int, _ core.NodeID, ho rounds.Set) bool { return ho == rounds.All(n) }

func TestAnAlgorithmDefinedOutsideTheLibraryIsChecked(t *testing.T) {
	holds(t, run(t, minEcho(func(k, n int) bool { return k == n }), check.Options{N: 3, Rounds: 3, Values: 3}))
	caught(t, run(t, minEcho(func(k, n int) bool { return 2*k > n }), check.Options{N: 3, Rounds: 3, Values: 3}), "agreement")
}

func TestAnAlgorithmThatNeverDecidesFailsLiveness(t *testing.T) {
	alg := minEcho(func(k, n int) bool { return k > n }) // never
	cx := caught(t, run(t, alg, check.Options{N: 3, Rounds: 2}), "termination")
	if !cx.Liveness || len(cx.Steps) != 2 {
		t.Fatalf("want a one-round liveness counterexample, got %+v", cx)
	}
}

// flipFlop decides its input in round 0, then, in round 1, the smallest
// input it heard: a process that hears a smaller input changes its
// decision.
func flipFlop() *rounds.Algorithm[echoState, echoMsg] {
	return &rounds.Algorithm[echoState, echoMsg]{
		Name: "flip-flop",
		Init: func(_ core.NodeID, _ int, in rounds.Value) echoState { return echoState{X: in} },
		Rounds: []rounds.Round[echoState, echoMsg]{{
			Send: func(s echoState, _ rounds.View, out *rounds.Outbox[echoMsg]) { out.Broadcast(echoMsg{s.X}) },
			Update: func(s *echoState, mb rounds.Mailbox[echoMsg], r *rounds.Ctx) {
				for _, m := range mb.All() {
					s.X = min(s.X, m.X)
				}
				r.Decide(s.X)
			},
		}},
		Spec: rounds.Spec[echoState, echoMsg]{Properties: []rounds.Property[echoState]{rounds.Irrevocability[echoState]()}},
	}
}

// A changed decision shows both values, in the table and in the trace:
// the first decision, then the value that revoked it. (The table showed
// the first value with "(revoked)", and the trace logged the first value
// again as the second decision.)
func TestARevokedDecisionShowsBothValues(t *testing.T) {
	res := run(t, flipFlop(), check.Options{N: 2, Rounds: 2, Values: 2, NoSymmetry: true})
	cx := caught(t, res, "irrevocability")
	var table bytes.Buffer
	cx.WriteTable(&table)
	if !strings.Contains(table.String(), "1, then 0 (revoked)") {
		t.Errorf("the table does not show the decision 1 changed to 0:\n%s", table.String())
	}
	var buf bytes.Buffer
	if err := cx.WriteTrace(&buf, res.Faults); err != nil {
		t.Fatal(err)
	}
	_, evs, err := trace.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var decided []string
	for _, e := range evs {
		if e.Kind == "decide" {
			decided = append(decided, fmt.Sprintf("n%d:%s", e.Node, e.Msg))
		}
	}
	if got := strings.Join(decided, " "); !strings.Contains(got, "n1:1") || !strings.Contains(got, "n1:0") {
		t.Errorf("decide events %q: want process 1 deciding 1, then 0", got)
	}
}

// Decided values read the same in the reason and in the table, as the
// algorithm formats them: lattice agreement's decisions are sets (the
// reason printed them in binary, the table in decimal).
func TestAReasonAndItsTablePrintValuesAlike(t *testing.T) {
	// Checked with lost messages, outside its synchronous model: two
	// processes that hear only themselves decide incomparable sets.
	res := run(t, algos.LatticeAgreement(0), check.Options{N: 3, Rounds: 1, Values: 3})
	cx := caught(t, res, "comparability")
	var table bytes.Buffer
	cx.WriteTable(&table)
	if !strings.Contains(cx.Reason, "decisions {") || !strings.Contains(cx.Reason, "} are incomparable") {
		t.Fatalf("reason %q does not print sets", cx.Reason)
	}
	for p, d := range cx.Steps[len(cx.Steps)-1].Decided {
		if !strings.HasPrefix(d, "{") || !strings.HasSuffix(d, "}") {
			t.Errorf("process %d's decision reads %q in the table, not as a set", p, d)
		}
	}
}

// Messages shared by several rounds print as what they are in their round:
// LastVoting's acknowledgement is an empty LVMsg, which %+v printed as the
// estimate {X:0 TS:0}.
func TestMessagesPrintAsTheAlgorithmFormatsThem(t *testing.T) {
	cx := caught(t, run(t, mutants.LastVotingNoTimestamps(), check.Options{N: 3, Rounds: 8}), "agreement", "irrevocability")
	var table bytes.Buffer
	cx.WriteTable(&table)
	if !strings.Contains(table.String(), ":ack") || strings.Contains(table.String(), "TS:") {
		t.Fatalf("acknowledgements:\n%s", table.String())
	}
}

// Distinct global states are counted once whatever the liveness window
// they are reached in: the same count as with liveness off, the window
// copies counted apart.
func TestDistinctStatesDoNotCountLivenessCopies(t *testing.T) {
	for _, c := range []struct {
		name string
		run  func(noLive bool) *check.Result
	}{
		{"otr n=4", func(nl bool) *check.Result {
			return run(t, algos.OTR(), check.Options{N: 4, Rounds: 4, NoLiveness: nl})
		}},
		{"lastvoting n=3", func(nl bool) *check.Result {
			return run(t, algos.LastVoting(), check.Options{N: 3, Rounds: 8, NoLiveness: nl})
		}},
	} {
		live, safe := c.run(false), c.run(true)
		if live.States != safe.States || live.LivenessStates == 0 || safe.LivenessStates != 0 {
			t.Errorf("%s: %d states (+%d liveness) with liveness, %d (+%d) without", c.name,
				live.States, live.LivenessStates, safe.States, safe.LivenessStates)
		}
	}
}

// Progress goes to the caller's callback, after every round; a canceled
// context stops the exploration promptly with the statistics so far.
func TestCancellationStopsTheExplorationWithPartialStatistics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []int
	res, err := check.Run(ctx, algos.LastVoting(), check.Options{N: 4, Rounds: 12, Progress: func(p check.Progress) {
		seen = append(seen, p.Round)
		if p.Round == 3 {
			cancel()
		}
	}})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if res == nil || res.Verdict != check.Inconclusive || res.Stopped != check.StoppedCanceled || res.RoundsExplored != 3 || res.States == 0 {
		t.Fatalf("result %v", res)
	}
	if len(seen) == 0 || seen[len(seen)-1] > 4 {
		t.Fatalf("progress rounds %v: the exploration went on after the cancel", seen)
	}
}

// A memory bound stops the exploration at the same place on every run (it
// is the explorer's own account, not the process's), inconclusive.
func TestAMemoryBoundStopsTheSameWayEveryTime(t *testing.T) {
	opt := check.Options{N: 5, Rounds: 1000, MaxMemory: 16 << 20}
	a := run(t, algos.LastVoting(), opt)
	b := run(t, algos.LastVoting(), opt)
	if a.Verdict != check.Inconclusive || a.Stopped != check.StoppedMaxMemory || a.RoundsExplored == 0 {
		t.Fatalf("%v", a)
	}
	if a.States != b.States || a.Transitions != b.Transitions || a.RoundsExplored != b.RoundsExplored {
		t.Fatalf("two runs stopped apart: %v / %v", a, b)
	}
}
