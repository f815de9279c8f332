package registry_test

import (
	"context"
	"testing"

	"github.com/rondo-dev/rondo/check"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos/registry"
)

// options is a small exhaustive check of an algorithm of the registry: two
// phases on three processes, one crash for a synchronous algorithm; for a
// Byzantine one four processes (n = 3f+1) and a phase and a half (a second
// full view of PBFT takes half a minute).
func options(in rounds.Info) check.Options {
	opt := check.Options{N: 3, Rounds: 2 * in.Rounds}
	switch in.Model {
	case rounds.Crash:
		opt.Crash = 1
	case rounds.Byzantine:
		opt.N, opt.Byzantine, opt.Rounds = 4, 1, in.Rounds+in.Rounds/2
	}
	return opt
}

// Every algorithm of the library holds its spec in a small exhaustive
// check, and every mutant is caught by one: what rondo check would say of
// each, with the parameters the registry builds it with.
func TestEveryLibraryAlgorithmHoldsAndEveryMutantIsCaught(t *testing.T) {
	for _, e := range registry.All() {
		t.Run(e.Name(), func(t *testing.T) {
			opt := options(e.Info(registry.Defaults()))
			switch e.Name() {
			case "otr-majority":
				opt.N = 5 // two majorities need five processes
			case "multipaxos-stale-lease":
				opt.Rounds = 16 // the stale leader must lead twice: four ballots on three processes
			}
			res, err := e.Check(context.Background(), registry.Params{F: opt.Crash + opt.Byzantine, K: 2}, opt)
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res)
			_, mutant := e.Mutant()
			switch {
			case mutant && res.Verdict != check.Violated:
				t.Fatalf("the mutant %s was not caught: %s", e.Name(), res.Verdict)
			case !mutant && res.Verdict != check.Held:
				t.Fatalf("%s: %s %v: %s", e.Name(), res.Verdict, res.Violated, res.Counterexample.Reason)
			}
		})
	}
}

// Names are unique and found by Lookup; the mutants name the algorithm they
// break, which is in the library.
func TestNamesAreUniqueAndMutantsNameTheirOriginal(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range registry.All() {
		if seen[e.Name()] {
			t.Errorf("%s listed twice", e.Name())
		}
		seen[e.Name()] = true
		if got, ok := registry.Lookup(e.Name()); !ok || got.Name() != e.Name() {
			t.Errorf("Lookup(%q) = %q, %v", e.Name(), got.Name(), ok)
		}
	}
	for _, e := range registry.Mutants() {
		of, ok := e.Mutant()
		if orig, found := registry.Lookup(of); !ok || !found {
			t.Errorf("%s is a mutant of %q, not in the library", e.Name(), of)
		} else if _, m := orig.Mutant(); m {
			t.Errorf("%s is a mutant of the mutant %s", e.Name(), of)
		}
	}
	if _, ok := registry.Lookup("nope"); ok {
		t.Error("Lookup found an unknown name")
	}
}
