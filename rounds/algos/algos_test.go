package algos_test

import (
	"testing"

	"github.com/rondo-dev/rondo/check"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
)

// Every algorithm of the library is well formed, cites its paper, states
// its threshold, and registers its messages with the codec.
func TestEveryAlgorithmIsDocumentedAndEncodable(t *testing.T) {
	infos := []struct {
		info     rounds.Info
		validate func() error
		register func(*core.Registry)
	}{
		{algos.OTR().Info(), algos.OTR().Validate, algos.OTR().RegisterMessages},
		{algos.UniformVoting().Info(), algos.UniformVoting().Validate, algos.UniformVoting().RegisterMessages},
		{algos.LastVoting().Info(), algos.LastVoting().Validate, algos.LastVoting().RegisterMessages},
		{algos.FloodMin(1).Info(), algos.FloodMin(1).Validate, algos.FloodMin(1).RegisterMessages},
		{algos.PBFT().Info(), algos.PBFT().Validate, algos.PBFT().RegisterMessages},
		{algos.ShortLastVoting().Info(), algos.ShortLastVoting().Validate, algos.ShortLastVoting().RegisterMessages},
		{algos.BenOr().Info(), algos.BenOr().Validate, algos.BenOr().RegisterMessages},
		{algos.KSet(2, 2).Info(), algos.KSet(2, 2).Validate, algos.KSet(2, 2).RegisterMessages},
		{algos.LatticeAgreement(1).Info(), algos.LatticeAgreement(1).Validate, algos.LatticeAgreement(1).RegisterMessages},
		{algos.TwoPC().Info(), algos.TwoPC().Validate, algos.TwoPC().RegisterMessages},
		{algos.ERB(1).Info(), algos.ERB(1).Validate, algos.ERB(1).RegisterMessages},
		{algos.Epsilon(3).Info(), algos.Epsilon(3).Validate, algos.Epsilon(3).RegisterMessages},
		{algos.Leader().Info(), algos.Leader().Validate, algos.Leader().RegisterMessages},
	}
	for _, a := range infos {
		if err := a.validate(); err != nil {
			t.Error(err)
		}
		if a.info.Paper == "" || a.info.Threshold == "" || a.info.Summary == "" {
			t.Errorf("%s: paper %q, threshold %q, summary %q", a.info.Name, a.info.Paper, a.info.Threshold, a.info.Summary)
		}
		var r core.Registry
		a.register(&r)
		if len(r.Names()) != 1 {
			t.Errorf("%s registers %v", a.info.Name, r.Names())
		}
	}
}

// Messages survive the codec the network uses.
func TestPBFTMessagesRoundTripThroughTheCodec(t *testing.T) {
	var r core.Registry
	algos.PBFT().RegisterMessages(&r)
	m := algos.PBFTMsg{Kind: 1, W: 1}
	m.Just[2] = algos.PBFTEntry{Has: true, X: 1, PView: 0, PVal: 1}
	b, err := r.Append(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Decode(b)
	if err != nil || got != m {
		t.Fatalf("decoded %v, %v", got, err)
	}
}

// The consensus algorithms decide in the checker under their communication
// predicate on a second system size too.
func TestTheLibraryHoldsOnOtherSizes(t *testing.T) {
	for _, c := range []struct {
		name string
		run  func() (*check.Result, error)
	}{
		{"otr n=3 v=3", func() (*check.Result, error) {
			return check.Run(algos.OTR(), check.Options{N: 3, Rounds: 4, Values: 3})
		}},
		{"uv n=4", func() (*check.Result, error) { return check.Run(algos.UniformVoting(), check.Options{N: 4, Rounds: 4}) }},
		{"lastvoting n=4", func() (*check.Result, error) { return check.Run(algos.LastVoting(), check.Options{N: 4, Rounds: 8}) }},
		{"floodmin n=5 f=2", func() (*check.Result, error) {
			return check.Run(algos.FloodMin(2), check.Options{N: 5, Rounds: 3, Crash: 2})
		}},
		{"slv n=3, three phases", func() (*check.Result, error) {
			return check.Run(algos.ShortLastVoting(), check.Options{N: 3, Rounds: 9})
		}},
		{"slv n=4", func() (*check.Result, error) {
			return check.Run(algos.ShortLastVoting(), check.Options{N: 4, Rounds: 6})
		}},
		{"benor n=3, every coin", func() (*check.Result, error) { return check.Run(algos.BenOr(), check.Options{N: 3, Rounds: 6}) }},
		{"benor n=4", func() (*check.Result, error) { return check.Run(algos.BenOr(), check.Options{N: 4, Rounds: 4}) }},
		{"kset k=2 n=4 f=2 v=3", func() (*check.Result, error) {
			return check.Run(algos.KSet(2, 2), check.Options{N: 4, Rounds: 3, Crash: 2, Values: 3})
		}},
		{"kset k=1 n=4 f=1 (consensus, early stopping)", func() (*check.Result, error) {
			return check.Run(algos.KSet(1, 1), check.Options{N: 4, Rounds: 3, Crash: 1})
		}},
		{"lattice-agreement n=4 f=1 v=3", func() (*check.Result, error) {
			return check.Run(algos.LatticeAgreement(1), check.Options{N: 4, Rounds: 3, Crash: 1, Values: 3})
		}},
		{"epsilon n=4 f=2 v=3", func() (*check.Result, error) {
			return check.Run(algos.Epsilon(3), check.Options{N: 4, Rounds: 3, Crash: 2, Values: 3})
		}},
		{"2pc n=3", func() (*check.Result, error) { return check.Run(algos.TwoPC(), check.Options{N: 3, Rounds: 4}) }},
		{"erb n=4 f=2", func() (*check.Result, error) {
			return check.Run(algos.ERB(2), check.Options{N: 4, Rounds: 4, Crash: 2})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := c.run()
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res)
			if res.Violations != 0 {
				t.Fatalf("%d violations: %+v", res.Violations, res.Counterexample)
			}
		})
	}
}

// Eager reliable broadcast delivers on first receipt: a process that
// delivers and crashes before relaying leaves the others without the
// message, so the stronger, uniform agreement does not hold — the checker
// finds the execution.
func TestEagerReliableBroadcastIsNotUniform(t *testing.T) {
	alg := algos.ERB(2)
	alg.Spec.Properties = append(alg.Spec.Properties, algos.UniformAgreementAfter(3))
	res, err := check.Run(alg, check.Options{N: 4, Rounds: 4, Crash: 2})
	if err != nil {
		t.Fatal(err)
	}
	cx := res.Counterexample
	if cx == nil || cx.Property != "uniform-agreement" {
		t.Fatalf("uniform agreement not refuted: %v", res)
	}
	if crashed := cx.Steps[len(cx.Steps)-1].Crashed; crashed.Len() != 2 {
		t.Fatalf("the counterexample should crash both the sender and the only receiver, crashed %v", crashed)
	}
}

// Two-phase commit commits only on unanimous yes votes; a coordinator that
// commits on a majority is caught.
func TestTwoPhaseCommitNeverCommitsOnANo(t *testing.T) {
	alg := algos.TwoPC()
	res, err := check.Run(alg, check.Options{N: 3, Rounds: 4})
	if err != nil || res.Violations != 0 {
		t.Fatalf("%v %v", res, err)
	}
	// Deciding commit on a majority of yes votes is caught.
	alg.Rounds[0].Update = func(s *algos.TwoPCState, mb rounds.Mailbox[algos.TwoPCMsg], r *rounds.Ctx) {
		if r.ID == 0 {
			if 2*mb.Count(func(m algos.TwoPCMsg) bool { return m.V == 1 }) > r.N {
				r.Decide(1)
			} else {
				r.Decide(0)
			}
		}
	}
	res, err = check.Run(alg, check.Options{N: 3, Rounds: 2})
	if err != nil || res.Counterexample == nil || res.Counterexample.Property != "commit-validity" {
		t.Fatalf("majority commit not caught: %v %v", res, err)
	}
}

// After one round in which everybody hears everybody, every process trusts
// the same leader; a round in which everybody merely hears the same set is
// not enough (a process outside it still knows accusations the others do
// not), and the checker shows it.
func TestLeaderIsAgreedAfterOneSynchronousRound(t *testing.T) {
	res, err := check.Run(algos.Leader(), check.Options{N: 3, Rounds: 3, Values: 1})
	if err != nil || res.Violations != 0 || res.Windows == 0 {
		t.Fatalf("%v %v", res, err)
	}
	weak := algos.Leader()
	weak.Spec.Liveness.Window = func(int, int) []rounds.HOFilter { return []rounds.HOFilter{{Uniform: true}} }
	res, err = check.Run(weak, check.Options{N: 3, Rounds: 3, Values: 1})
	if err != nil || res.Counterexample == nil || !res.Counterexample.Liveness {
		t.Fatalf("a uniform round should not suffice: %v %v", res, err)
	}
	t.Log(res.Counterexample.Reason)
}

func TestTheCatalogListsThirteenAlgorithms(t *testing.T) {
	seen := map[string]bool{}
	for _, in := range algos.Infos() {
		if seen[in.Name] || in.Threshold == "" || in.Rounds == 0 {
			t.Errorf("%+v", in)
		}
		seen[in.Name] = true
	}
	if len(seen) != 13 {
		t.Fatalf("%d algorithms: %v", len(seen), seen)
	}
}
