// Package registry lists Rondo's round-based algorithms once: the library
// (rounds/algos) and its deliberately broken variants (rounds/algos/mutants),
// each with the parameters it is built with. Every tool derives from this
// list: the scenarios rondo sim, run, node and list offer (Entry.Scenario),
// the algorithms rondo check explores (Entry.Check), and the tests that go
// over every algorithm. Adding an algorithm is adding one line to Library.
//
// An entry erases the algorithm's type parameters, which is why it lives
// above package check: it holds, for each algorithm, the few calls the tools
// make, instantiated where the types are known.
package registry

import (
	"context"

	"github.com/rondo-dev/rondo/check"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
	"github.com/rondo-dev/rondo/rounds/algos/mutants"
	"github.com/rondo-dev/rondo/scenario"
)

// Params are what an algorithm built for a fault count or an agreement
// degree is built with; the others ignore them.
type Params struct {
	// F is the number of crash faults the algorithm is built for: FloodMin,
	// KSet, LatticeAgreement and ERB decide after f+1 (or ⌊f/k⌋+1) rounds.
	F int
	// K is k of k-set agreement.
	K int
}

// Defaults are the parameters of the scenarios and of listings: f = 1,
// k = 2. (rondo check builds each algorithm for the fault count it
// explores instead.)
func Defaults() Params { return Params{F: 1, K: 2} }

// Entry is one algorithm of the registry.
type Entry struct {
	name     string
	mutantOf string
	info     func(Params) rounds.Info
	scenario func(Params, rounds.ScenarioOptions) scenario.Scenario
	check    func(context.Context, Params, check.Options) (*check.Result, error)
}

// Name is what the CLI calls the algorithm.
func (e Entry) Name() string { return e.name }

// Mutant reports whether the algorithm is a deliberately broken variant
// (package mutants), and of which library algorithm.
func (e Entry) Mutant() (of string, ok bool) { return e.mutantOf, e.mutantOf != "" }

// Info describes the algorithm built with p.
func (e Entry) Info(p Params) rounds.Info { return e.info(p) }

// Scenario is the algorithm built with p as a scenario: run by the rounds
// runtime in the simulator or over TCP.
func (e Entry) Scenario(p Params, opt rounds.ScenarioOptions) scenario.Scenario {
	return e.scenario(p, opt)
}

// Check explores the algorithm built with p (see check.Run).
func (e Entry) Check(ctx context.Context, p Params, opt check.Options) (*check.Result, error) {
	return e.check(ctx, p, opt)
}

func entry[S, M comparable](mk func(Params) *rounds.Algorithm[S, M]) Entry {
	return Entry{
		name: mk(Defaults()).Name,
		info: func(p Params) rounds.Info { return mk(p).Info() },
		scenario: func(p Params, opt rounds.ScenarioOptions) scenario.Scenario {
			return rounds.Scenario(mk(p), opt)
		},
		check: func(ctx context.Context, p Params, opt check.Options) (*check.Result, error) {
			return check.Run(ctx, mk(p), opt)
		},
	}
}

func fixed[S, M comparable](mk func() *rounds.Algorithm[S, M]) func(Params) *rounds.Algorithm[S, M] {
	return func(Params) *rounds.Algorithm[S, M] { return mk() }
}

func mutant(of string, e Entry) Entry {
	e.mutantOf = of
	return e
}

// Library lists the algorithms of rounds/algos, in the order listings show
// them.
func Library() []Entry {
	return []Entry{
		entry(fixed(algos.OTR)),
		entry(fixed(algos.UniformVoting)),
		entry(fixed(algos.LastVoting)),
		entry(fixed(algos.ShortLastVoting)),
		entry(fixed(algos.BenOr)),
		entry(func(p Params) *rounds.Algorithm[algos.FloodMinState, algos.FloodMinMsg] { return algos.FloodMin(p.F) }),
		entry(func(p Params) *rounds.Algorithm[algos.KSetState, algos.KSetMsg] { return algos.KSet(p.K, p.F) }),
		entry(func(p Params) *rounds.Algorithm[algos.LatticeState, algos.LatticeMsg] {
			return algos.LatticeAgreement(p.F)
		}),
		entry(func(Params) *rounds.Algorithm[algos.EpsilonState, algos.EpsilonMsg] { return algos.Epsilon(3) }),
		entry(fixed(algos.TwoPC)),
		entry(func(p Params) *rounds.Algorithm[algos.ERBState, algos.ERBMsg] { return algos.ERB(p.F) }),
		entry(fixed(algos.Leader)),
		entry(fixed(algos.PBFT)),
		multiPaxos(),
	}
}

// multiPaxos is the one algorithm of the library generic over its values:
// rondo check explores it over int64 inputs 0..V-1, while its scenario (rondo
// sim, run, node) runs the same code on strings of 64 KiB (ScenarioOptions.
// ValueSize unless set), the size of a replicated log's batch of commands.
func multiPaxos() Entry {
	e := entry(fixed(algos.MultiPaxos[rounds.Value]))
	e.scenario = func(_ Params, opt rounds.ScenarioOptions) scenario.Scenario {
		if opt.ValueSize <= 0 {
			opt.ValueSize = MultiPaxosValueSize
		}
		return rounds.Scenario(algos.MultiPaxos[string](), opt)
	}
	return e
}

// MultiPaxosValueSize is the size of every input of multipaxos's scenario.
const MultiPaxosValueSize = 64 << 10

// Mutants lists the deliberately broken variants of package mutants.
func Mutants() []Entry {
	return []Entry{
		mutant("otr", entry(fixed(mutants.OTRMajority))),
		mutant("lastvoting", entry(fixed(mutants.LastVotingNoTimestamps))),
		mutant("pbft", entry(fixed(mutants.PBFTQuorum2f))),
		mutant("multipaxos", entry(fixed(mutants.MultiPaxosStaleLease))),
	}
}

// All is Library then Mutants.
func All() []Entry { return append(Library(), Mutants()...) }

// Lookup finds an algorithm of All by name.
func Lookup(name string) (Entry, bool) {
	for _, e := range All() {
		if e.name == name {
			return e, true
		}
	}
	return Entry{}, false
}
