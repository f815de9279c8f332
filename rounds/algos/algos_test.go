package algos_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/check"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
	"github.com/rondo-dev/rondo/rounds/algos/registry"
)

// Every algorithm of the library is well formed, cites its paper, states
// its threshold, registers its messages with the codec, and is listed once
// in the registry every tool derives from.
func TestEveryAlgorithmIsDocumentedEncodableAndListed(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range registry.Library() {
		in := e.Info(registry.Defaults())
		if _, mutant := e.Mutant(); mutant || seen[in.Name] || in.Name != e.Name() {
			t.Errorf("%s: listed twice, or as a mutant, or under another name", e.Name())
		}
		seen[in.Name] = true
		if in.Paper == "" || in.Threshold == "" || in.Summary == "" || in.Rounds == 0 {
			t.Errorf("%s: paper %q, threshold %q, summary %q, %d rounds", in.Name, in.Paper, in.Threshold, in.Summary, in.Rounds)
		}
		sc := e.Scenario(registry.Defaults(), rounds.ScenarioOptions{})
		if names := sc.Codec().Names(); len(names) < 1 || sc.Name != in.Name {
			t.Errorf("%s: scenario %q registers %v", in.Name, sc.Name, names)
		}
	}
	if len(seen) != 14 {
		t.Fatalf("%d algorithms in the library: %v", len(seen), seen)
	}
}

// Messages survive the codec the network uses.
func TestPBFTMessagesRoundTripThroughTheCodec(t *testing.T) {
	var r core.Registry
	algos.PBFT().RegisterMessages(&r)
	m := algos.PBFTMsg{Kind: algos.PBFTPrePrepare, W: 1}
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
			return check.Run(context.Background(), algos.OTR(), check.Options{N: 3, Rounds: 4, Values: 3})
		}},
		{"uv n=4", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.UniformVoting(), check.Options{N: 4, Rounds: 4})
		}},
		{"lastvoting n=4", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.LastVoting(), check.Options{N: 4, Rounds: 8})
		}},
		{"floodmin n=5 f=2", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.FloodMin(2), check.Options{N: 5, Rounds: 3, Crash: 2})
		}},
		{"slv n=3, three phases", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.ShortLastVoting(), check.Options{N: 3, Rounds: 9})
		}},
		{"slv n=4", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.ShortLastVoting(), check.Options{N: 4, Rounds: 6})
		}},
		{"benor n=3, every coin", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.BenOr(), check.Options{N: 3, Rounds: 6})
		}},
		{"benor n=4", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.BenOr(), check.Options{N: 4, Rounds: 4})
		}},
		{"kset k=2 n=4 f=2 v=3", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.KSet(2, 2), check.Options{N: 4, Rounds: 3, Crash: 2, Values: 3})
		}},
		{"kset k=1 n=4 f=1 (consensus, early stopping)", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.KSet(1, 1), check.Options{N: 4, Rounds: 3, Crash: 1})
		}},
		{"lattice-agreement n=4 f=1 v=3", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.LatticeAgreement(1), check.Options{N: 4, Rounds: 3, Crash: 1, Values: 3})
		}},
		{"epsilon n=4 f=2 v=3", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.Epsilon(3), check.Options{N: 4, Rounds: 3, Crash: 2, Values: 3})
		}},
		{"2pc n=3", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.TwoPC(), check.Options{N: 3, Rounds: 4})
		}},
		{"erb n=4 f=2", func() (*check.Result, error) {
			return check.Run(context.Background(), algos.ERB(2), check.Options{N: 4, Rounds: 4, Crash: 2})
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
	res, err := check.Run(context.Background(), alg, check.Options{N: 4, Rounds: 4, Crash: 2})
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
	res, err := check.Run(context.Background(), alg, check.Options{N: 3, Rounds: 4})
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
	res, err = check.Run(context.Background(), alg, check.Options{N: 3, Rounds: 2})
	if err != nil || res.Counterexample == nil || res.Counterexample.Property != "commit-validity" {
		t.Fatalf("majority commit not caught: %v %v", res, err)
	}
}

// After one round in which everybody hears everybody, every process trusts
// the same leader; a round in which everybody merely hears the same set is
// not enough (a process outside it still knows accusations the others do
// not), and the checker shows it.
func TestLeaderIsAgreedAfterOneSynchronousRound(t *testing.T) {
	res, err := check.Run(context.Background(), algos.Leader(), check.Options{N: 3, Rounds: 3, Values: 1})
	if err != nil || res.Violations != 0 || res.Windows == 0 {
		t.Fatalf("%v %v", res, err)
	}
	weak := algos.Leader()
	weak.Spec.Liveness.Window = func(int, int) []rounds.HOFilter { return []rounds.HOFilter{{Uniform: true}} }
	res, err = check.Run(context.Background(), weak, check.Options{N: 3, Rounds: 3, Values: 1})
	if err != nil || res.Counterexample == nil || !res.Counterexample.Liveness {
		t.Fatalf("a uniform round should not suffice: %v %v", res, err)
	}
	t.Log(res.Counterexample.Reason)
}

// Multi-Paxos's messages and acceptor records survive their encodings with
// a value of a megabyte, a message is its value and a few bytes, and
// malformed encodings are refused.
func TestMultiPaxosMessagesAndRecordsRoundTrip(t *testing.T) {
	var r core.Registry
	alg := algos.MultiPaxos[string]()
	rounds.RegisterRuntime(alg, &r)
	big := strings.Repeat("z", 1<<20)
	for _, m := range []algos.MPMsg[string]{{}, {TS: 7, Has: true, X: big}, {Has: true, X: ""}} {
		msg := rounds.Msg[algos.MPMsg[string]]{Instance: 4, Round: 9, Body: m}
		b, err := r.Append(nil, msg)
		if err != nil {
			t.Fatal(err)
		}
		if m.Has && len(b) > len(m.X)+64 {
			t.Fatalf("a message of a %d-byte value takes %d bytes", len(m.X), len(b))
		}
		back, err := r.Decode(b)
		if err != nil || back != any(msg) {
			t.Fatalf("%v came back as %v, %v", msg, back, err)
		}
		for _, bad := range [][]byte{b[:len(b)-1], append(append([]byte{}, b...), 0)} {
			if _, err := r.Decode(bad); err == nil {
				t.Fatalf("a malformed message of %d bytes decoded", len(bad))
			}
		}
	}
	d := alg.Durable
	for _, s := range []algos.MPState[string]{{}, {X: big, TS: 3}} {
		b, err := d.Append(nil, d.Part(s))
		if err != nil {
			t.Fatal(err)
		}
		back, err := d.Load(b)
		if err != nil || back != d.Part(s) {
			t.Fatalf("record %v came back as %v, %v", s.TS, back.TS, err)
		}
		if _, err := d.Load(append(b, 1)); err == nil {
			t.Fatal("a record with a trailing byte loaded")
		}
	}
	if _, err := d.Load(nil); err == nil {
		t.Fatal("an empty record loaded")
	}
	// A fresh state's durable part is the same whatever its input.
	if d.Part(alg.Init(0, 3, "a")) != d.Part(alg.Init(0, 3, big)) {
		t.Fatal("a fresh state's durable part depends on its input")
	}
}

// Multi-Paxos holds its spec on four processes over two ballots, and on
// three over four ballots (the stale lease's counterexample's length).
func TestMultiPaxosHoldsOnOtherSizes(t *testing.T) {
	for _, opt := range []check.Options{{N: 4, Rounds: 8}, {N: 3, Rounds: 16, Values: 3}} {
		res, err := check.Run(context.Background(), algos.MultiPaxos[rounds.Value](), opt)
		if err != nil || res.Verdict != check.Held {
			t.Fatalf("n=%d rounds=%d: %v %v", opt.N, opt.Rounds, res, err)
		}
	}
}

func FuzzMultiPaxosDecode(f *testing.F) {
	var r core.Registry
	alg := algos.MultiPaxos[string]()
	rounds.RegisterRuntime(alg, &r)
	b, _ := r.Append(nil, rounds.Msg[algos.MPMsg[string]]{Body: algos.MPMsg[string]{TS: 2, Has: true, X: "abc"}})
	f.Add(b)
	rec, _ := alg.Durable.Append(nil, algos.MPState[string]{X: "x", TS: 1})
	f.Add(rec)
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := r.Decode(data); err == nil {
			if _, err := r.Append(nil, m); err != nil {
				t.Fatalf("decoded %v does not encode: %v", m, err)
			}
		}
		_, _ = alg.Durable.Load(data)
	})
}
