// Package mutants holds deliberately broken variants of the algorithms of
// rounds/algos. Each is the library algorithm with one change that breaks a
// property, so that the tools can be shown, and tested, to catch it: rondo
// check prints their shortest counterexample, and simulation campaigns find
// a seed that replays the violation. Never use them for anything else.
//
// A mutant is built from the library algorithm itself (its Rounds, Spec and
// Format) with the one function that makes the difference replaced, so the
// mutant and the original cannot drift apart anywhere else.
package mutants

import (
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
)

// brokenPrefix starts every mutant's Summary, so that listings say what it
// is.
const brokenPrefix = "DELIBERATELY BROKEN: "

// OTRMajority is OneThirdRule deciding on a plain majority (more than n/2
// of the messages heard carry v) instead of more than 2n/3: two processes
// can see two different majorities, and agreement fails in two rounds.
func OTRMajority() *rounds.Algorithm[algos.OTRState, algos.OTRMsg] {
	alg := algos.OTR()
	alg.Name = "otr-majority"
	alg.Summary = brokenPrefix + "OneThirdRule deciding on a majority instead of more than 2n/3"
	otr := alg.Rounds[0].Update
	alg.Rounds[0].Update = func(s *algos.OTRState, mb rounds.Mailbox[algos.OTRMsg], r *rounds.Ctx) {
		otr(s, mb, r) // adopts the most frequent value when more than 2n/3 are heard
		if 3*mb.Len() <= 2*r.N {
			return
		}
		// The mutation: decide it on a majority, not only on 2n/3.
		if 2*mb.Count(func(m algos.OTRMsg) bool { return m.X == s.X }) > r.N {
			r.Decide(s.X)
		}
	}
	return alg
}

// LastVotingNoTimestamps is LastVoting whose coordinator ignores
// timestamps and votes for the smallest estimate it hears: a later phase
// can overturn an earlier decision, and agreement fails in two phases.
func LastVotingNoTimestamps() *rounds.Algorithm[algos.LVState, algos.LVMsg] {
	alg := algos.LastVoting()
	alg.Name = "lastvoting-nots"
	alg.Summary = brokenPrefix + "LastVoting whose coordinator ignores timestamps"
	alg.Rounds[0].Update = func(s *algos.LVState, mb rounds.Mailbox[algos.LVMsg], r *rounds.Ctx) {
		if r.ID != algos.LastVotingCoordinator(r.Round, r.N) || 2*mb.Len() <= r.N {
			return
		}
		first := true
		for _, m := range mb.All() {
			if first || m.X < s.Vote { // the mutation: the smallest estimate, whatever its timestamp
				s.Vote, first = m.X, false
			}
		}
		s.Commit = true
	}
	return alg
}

// PBFTQuorum2f is PBFT whose replicas wait for quorums of 2f instead of
// ⌈(n+f+1)/2⌉ (2f+1 on n = 3f+1): two quorums no longer share a correct
// replica, and a later view commits another value.
func PBFTQuorum2f() *rounds.Algorithm[algos.PBFTState, algos.PBFTMsg] {
	alg := algos.PBFT()
	alg.Name = "pbft-2f"
	alg.Summary = brokenPrefix + "PBFT with quorums of 2f instead of 2f+1"
	init := alg.Init
	alg.Init = func(id core.NodeID, n int, in rounds.Value) algos.PBFTState {
		s := init(id, n, in)
		s.Quorum = uint8(2 * ((n - 1) / 3)) // the mutation
		return s
	}
	return alg
}

// MultiPaxosStaleLease is Multi-Paxos whose leader goes on skipping the
// prepare round after it lost its lease: a coordinator that led an earlier
// ballot of the instance (it accepted its own choice there) chooses that
// value again at once, without hearing a majority's accepted values. In the
// meantime another leader may have had a different value decided; the stale
// leader's accept overwrites it, and agreement fails when it leads again.
func MultiPaxosStaleLease() *rounds.AlgorithmOf[algos.MPState[rounds.Value], algos.MPMsg[rounds.Value], rounds.Value] {
	alg := algos.MultiPaxos[rounds.Value]()
	alg.Name = "multipaxos-stale-lease"
	alg.Summary = brokenPrefix + "Multi-Paxos whose leader skips prepare after losing its lease"
	prepare := alg.Rounds[0].Update
	alg.Rounds[0].Update = func(s *algos.MPState[rounds.Value], mb rounds.Mailbox[algos.MPMsg[rounds.Value]], r *rounds.Ctx) {
		b := r.Phase(4)
		if r.ID == algos.MultiPaxosLeader(b, r.N) && s.TS > 0 && algos.MultiPaxosLeader(int(s.TS)-1, r.N) == r.ID {
			s.TS = int32(b + 1) // the mutation: "I still hold the lease", so no prepare
			return
		}
		prepare(s, mb, r)
	}
	return alg
}
