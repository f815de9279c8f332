package algos

import (
	"fmt"
	"strings"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// PBFTMaxN bounds the system size of the PBFT model (a justification holds
// one entry per process).
const PBFTMaxN = 7

// PBFTEntry is one process's signed view-change report: its input and the
// prepared certificate it holds (PView < 0: none).
type PBFTEntry struct {
	Has   bool
	X     rounds.Value
	PView int64
	PVal  rounds.Value
}

// PBFTState is a PBFT replica's state.
type PBFTState struct {
	X rounds.Value // input
	// The latest prepared certificate held (PView < 0: none). Views are
	// int64, like the round (an int) they come from, so they cannot wrap
	// in any run (an int8 wrapped at view 128, round 512, turning a
	// certificate into "none" and letting a later view commit another
	// value). With padding, int64 costs no space over int8 here.
	PView int64
	PVal  rounds.Value
	// SentPrep records, per view (4 bits each, views 0..7), 1 + the value
	// of the prepare this replica signed: what lets the model know which
	// prepared certificates can exist, so that a Byzantine replica can
	// relay a genuine certificate but never forge one. It is the checker's
	// bookkeeping only (pbftForge reads it; no replica decision depends on
	// it, and the runtime's Adversary sees no honest state), bounded to
	// keep states small: the checker explores 32 rounds at most in
	// practice (8 rounds of n=4 already take ~30 s). A check beyond view
	// 7 would not let a Byzantine replica relay certificates of those views.
	SentPrep uint32
	// Quorum is how many matching messages this replica waits for,
	// ⌈(n+f+1)/2⌉ (PBFTQuorum), set by Init. It is configuration, kept in
	// the state so that it is one value for the replica's every round, for
	// the Byzantine replicas' forgeries (pbftForge reads it from the
	// honest states) and for whoever reads a counterexample; a variant with
	// another quorum (package mutants) changes Init alone.
	Quorum uint8
	// Within the current view:
	HasPP    bool // accepted the primary's pre-prepare for PP
	PP       rounds.Value
	Prepared bool
	// Primary only: the proposal and its justification.
	HasProposal bool
	Proposal    rounds.Value
	Just        [PBFTMaxN]PBFTEntry
}

// PBFTKind says which PBFT message a PBFTMsg is.
type PBFTKind uint8

// The kinds of PBFT messages, one per round of a view.
const (
	// PBFTViewChange is a replica's report to the primary: its input and
	// prepared certificate (X, PView, PVal).
	PBFTViewChange PBFTKind = iota
	// PBFTPrePrepare is the primary's proposal W with its justification
	// Just.
	PBFTPrePrepare
	// PBFTPrepare is a replica's prepare for W.
	PBFTPrepare
	// PBFTCommit is a prepared replica's commit for W.
	PBFTCommit
)

// PBFTMsg is a PBFT message; Kind says which, and which fields it uses.
type PBFTMsg struct {
	Kind  PBFTKind
	W     rounds.Value
	X     rounds.Value
	PView int64
	PVal  rounds.Value
	Just  [PBFTMaxN]PBFTEntry
}

// PBFT is single-shot Byzantine consensus in the style of PBFT (Castro and
// Liskov, "Practical Byzantine Fault Tolerance", OSDI 1999), cast in rounds
// as in the Heard-Of treatment of Byzantine algorithms (Biely, Widder,
// Charron-Bost, Gaillard, Hutle, Schiper, "Tolerating corrupted
// communication", PODC 2007). Views of four rounds, primary v mod n:
//
//	round 0 view change: every replica sends the primary its input and its
//	        prepared certificate; with 2f+1 reports the primary proposes the
//	        value of the highest certificate (or a value reported by f+1);
//	round 1 pre-prepare: the primary sends the proposal with the 2f+1
//	        reports as justification; replicas accept a justified proposal;
//	round 2 prepare: replicas broadcast the accepted value; 2f+1 matching
//	        prepares make a prepared certificate;
//	round 3 commit: prepared replicas broadcast a commit; 2f+1 matching
//	        commits decide.
//
// Messages are authenticated: a Byzantine replica may equivocate (send
// different messages to different peers) but cannot forge another's
// signature, so it can only claim certificates that exist. Threshold:
// n = 3f+1 (n > 3f). It decides in a view with a correct primary in which
// correct replicas hear each other.
//
// Quorums are ⌈(n+f+1)/2⌉ replicas: 2f+1 when n = 3f+1, and in general the
// smallest size at which any two quorums share a correct replica (two
// quorums overlap in 2q−n ≥ f+1 replicas). A fixed 2f+1 is not enough when
// n > 3f+1: with n = 5 and f = 1 two quorums of 3 may meet only in the
// Byzantine replica, and `rondo check pbft -n 5 --rounds 4 --faults
// byzantine=1` finds agreement broken in four rounds.
func PBFT() *rounds.Algorithm[PBFTState, PBFTMsg] {
	primary := func(round, n int) core.NodeID { return core.NodeID((round / 4) % n) }
	return &rounds.Algorithm[PBFTState, PBFTMsg]{
		Name:    "pbft",
		Summary: "PBFT-style Byzantine consensus: view change, pre-prepare, prepare, commit (n = 3f+1)",
		Paper:   "Castro & Liskov, Practical Byzantine Fault Tolerance, OSDI 1999",
		Init: func(_ core.NodeID, n int, in rounds.Value) PBFTState {
			return PBFTState{X: in, PView: -1, Quorum: uint8(PBFTQuorum(n))}
		},
		Rounds: []rounds.Round[PBFTState, PBFTMsg]{
			{
				Name: "view-change",
				Send: func(s PBFTState, r rounds.View, out *rounds.Outbox[PBFTMsg]) {
					out.To(primary(r.Round, r.N), PBFTMsg{Kind: PBFTViewChange, X: s.X, PView: s.PView, PVal: s.PVal})
				},
				// Only the primary hears reports; a quorum is what it needs.
				Expect: func(s PBFTState, r rounds.View) int {
					return expectIfCoord(r, primary(r.Round, r.N), int(s.Quorum))
				},
				Update: func(s *PBFTState, mb rounds.Mailbox[PBFTMsg], r *rounds.Ctx) {
					if r.ID != primary(r.Round, r.N) {
						return
					}
					var j [PBFTMaxN]PBFTEntry
					k := 0
					for p, m := range mb.All() {
						if m.Kind == PBFTViewChange && int(p) < PBFTMaxN {
							j[p] = PBFTEntry{Has: true, X: m.X, PView: m.PView, PVal: m.PVal}
							k++
						}
					}
					if k < int(s.Quorum) {
						return
					}
					if w, ok := pbftChoose(j, pbftF(r.N), true); ok {
						s.HasProposal, s.Proposal, s.Just = true, w, j
					}
				},
			},
			{
				Name: "pre-prepare",
				Send: func(s PBFTState, r rounds.View, out *rounds.Outbox[PBFTMsg]) {
					if s.HasProposal {
						out.Broadcast(PBFTMsg{Kind: PBFTPrePrepare, W: s.Proposal, Just: s.Just})
					}
				},
				Expect: func(s PBFTState, r rounds.View) int {
					return expectCoordOnly(r, primary(r.Round, r.N), s.HasProposal)
				},
				Update: func(s *PBFTState, mb rounds.Mailbox[PBFTMsg], r *rounds.Ctx) {
					m, ok := mb.Get(primary(r.Round, r.N))
					if !ok || m.Kind != PBFTPrePrepare || !pbftJustified(m.Just, m.W, r.N, int(s.Quorum)) {
						return
					}
					s.HasPP, s.PP = true, m.W
					if v := r.Phase(4); v < 8 {
						s.SentPrep |= uint32(m.W+1) << (4 * v)
					}
				},
			},
			{
				Name: "prepare",
				Send: func(s PBFTState, _ rounds.View, out *rounds.Outbox[PBFTMsg]) {
					if s.HasPP {
						out.Broadcast(PBFTMsg{Kind: PBFTPrepare, W: s.PP})
					}
				},
				Update: func(s *PBFTState, mb rounds.Mailbox[PBFTMsg], r *rounds.Ctx) {
					if s.HasPP && mb.Count(func(m PBFTMsg) bool { return m.Kind == PBFTPrepare && m.W == s.PP }) >= int(s.Quorum) {
						s.Prepared, s.PView, s.PVal = true, int64(r.Phase(4)), s.PP
					}
				},
			},
			{
				Name: "commit",
				Send: func(s PBFTState, _ rounds.View, out *rounds.Outbox[PBFTMsg]) {
					if s.Prepared {
						out.Broadcast(PBFTMsg{Kind: PBFTCommit, W: s.PVal})
					}
				},
				Update: func(s *PBFTState, mb rounds.Mailbox[PBFTMsg], r *rounds.Ctx) {
					for _, m := range mb.All() {
						if m.Kind == PBFTCommit && mb.Count(func(o PBFTMsg) bool { return o.Kind == PBFTCommit && o.W == m.W }) >= int(s.Quorum) {
							r.Decide(m.W)
							break
						}
					}
					s.HasPP, s.PP, s.Prepared = false, 0, false
					s.HasProposal, s.Proposal, s.Just = false, 0, [PBFTMaxN]PBFTEntry{}
				},
			},
		},
		Spec: rounds.Spec[PBFTState, PBFTMsg]{
			Model:      rounds.Byzantine,
			Threshold:  "n = 3f+1: at most f Byzantine replicas (n > 3f), authenticated messages",
			MaxFaults:  pbftF,
			Properties: []rounds.Property[PBFTState]{rounds.Agreement[PBFTState](), rounds.UnanimityValidity[PBFTState](), rounds.Irrevocability[PBFTState]()},
			Liveness: rounds.Liveness[PBFTState]{
				Name: "a view whose primary is correct and in which correct replicas hear each other",
				Start: func(n, round int, faulty rounds.Set) bool {
					return round%4 == 0 && !faulty.Has(primary(round, n))
				},
				Window: func(n, f int) []rounds.HOFilter {
					primaryHearsAll := rounds.HOFilter{Name: "primary hears all correct replicas",
						Each: func(n, round int, p core.NodeID, ho rounds.Set) bool {
							return p != primary(round, n) || ho == rounds.All(n)
						}}
					allHearPrimary := rounds.HOFilter{Name: "all hear the primary",
						Each: func(n, round int, _ core.NodeID, ho rounds.Set) bool { return ho.Has(primary(round, n)) }}
					allHearAll := rounds.HOFilter{Name: "correct replicas hear each other",
						Each: func(n, _ int, _ core.NodeID, ho rounds.Set) bool { return ho == rounds.All(n) }}
					return []rounds.HOFilter{primaryHearsAll, allHearPrimary, allHearAll, allHearAll}
				},
			},
			Forge: pbftForge(primary),
		},
	}
}

func pbftF(n int) int { return (n - 1) / 3 }

// PBFTQuorum is the quorum of PBFT on n replicas: ⌈(n+f+1)/2⌉ for
// f = ⌊(n−1)/3⌋, the smallest size at which two quorums share a correct
// replica.
func PBFTQuorum(n int) int { return (n + pbftF(n) + 2) / 2 }

// pbftChoose returns the value a justification j supports: the value of
// its highest prepared certificate; failing one, a value reported by f+1
// (so that, when all correct replicas share an input, it is theirs); failing
// that, when any is allowed (anyOK), the smallest reported input.
func pbftChoose(j [PBFTMaxN]PBFTEntry, f int, anyOK bool) (rounds.Value, bool) {
	best := int64(-1)
	var w rounds.Value
	for _, e := range j {
		if e.Has && e.PView > best {
			best, w = e.PView, e.PVal
		}
	}
	if best >= 0 {
		return w, true
	}
	found := false
	for _, e := range j {
		if !e.Has {
			continue
		}
		c := 0
		for _, o := range j {
			if o.Has && o.X == e.X {
				c++
			}
		}
		if c >= f+1 && (!found || e.X < w) {
			w, found = e.X, true
		}
	}
	if found || !anyOK {
		return w, found
	}
	for _, e := range j {
		if e.Has && (!found || e.X < w) {
			w, found = e.X, true
		}
	}
	return w, found
}

// pbftJustified reports whether proposal w is justified by j: a quorum of
// reports, and w is the value they force (any value if they force none).
func pbftJustified(j [PBFTMaxN]PBFTEntry, w rounds.Value, n, quorum int) bool {
	k := 0
	for _, e := range j {
		if e.Has {
			k++
		}
	}
	if k < quorum {
		return false
	}
	forced, ok := pbftChoose(j, pbftF(n), false)
	return !ok || forced == w
}

// pbftForge lists what a Byzantine replica can send in a round. It signs
// anything of its own, but its view-change reports may only claim
// certificates that exist (at least f+1 correct replicas signed the
// prepare, which with the f Byzantine signatures makes 2f+1), and as
// primary its justification may only contain genuine reports of correct
// replicas (read from their states, which determine what they sent).
func pbftForge(primary func(round, n int) core.NodeID) func(r rounds.View, values []rounds.Value, g *rounds.Global[PBFTState]) []PBFTMsg {
	return func(r rounds.View, values []rounds.Value, g *rounds.Global[PBFTState]) []PBFTMsg {
		n, f, view := r.N, pbftF(r.N), r.Phase(4)
		quorum := PBFTQuorum(n) // the quorum the honest replicas check against
		for p := range g.Honest() {
			quorum = int(g.States[p].Quorum)
			break
		}
		claims := func() []PBFTEntry { // every report this replica may sign
			var out []PBFTEntry
			for _, x := range values {
				out = append(out, PBFTEntry{Has: true, X: x, PView: -1})
				for v := 0; v < view && v < 8; v++ {
					for _, w := range values {
						signed := 0
						for p := range g.N {
							if g.IsHonest(p) && (g.States[p].SentPrep>>(4*v))&0xf == uint32(w+1) {
								signed++
							}
						}
						if signed >= f+1 {
							out = append(out, PBFTEntry{Has: true, X: x, PView: int64(v), PVal: w})
						}
					}
				}
			}
			return out
		}
		var msgs []PBFTMsg
		switch r.Round % 4 {
		case 0:
			for _, e := range claims() {
				msgs = append(msgs, PBFTMsg{Kind: PBFTViewChange, X: e.X, PView: e.PView, PVal: e.PVal})
			}
		case 1:
			if r.ID != primary(r.Round, n) || n > PBFTMaxN {
				return nil
			}
			// Justifications: any subset of the correct replicas' genuine
			// reports, plus any claim (or none) for each Byzantine one.
			var honest, byz []int
			for p := range n {
				if g.IsHonest(p) {
					honest = append(honest, p)
				} else {
					byz = append(byz, p)
				}
			}
			cl := claims()
			seen := map[rounds.Value]bool{}
			var j [PBFTMaxN]PBFTEntry
			var rec func(i int)
			rec = func(i int) {
				if i == len(byz) {
					for sub := 0; sub < 1<<len(honest); sub++ {
						jj := j
						for k, p := range honest {
							if sub>>k&1 == 1 {
								s := g.States[p]
								jj[p] = PBFTEntry{Has: true, X: s.X, PView: s.PView, PVal: s.PVal}
							}
						}
						for _, w := range values {
							if !seen[w] && pbftJustified(jj, w, n, quorum) {
								seen[w] = true
								msgs = append(msgs, PBFTMsg{Kind: PBFTPrePrepare, W: w, Just: jj})
							}
						}
					}
					return
				}
				j[byz[i]] = PBFTEntry{}
				rec(i + 1)
				for _, c := range cl {
					j[byz[i]] = c
					rec(i + 1)
				}
				j[byz[i]] = PBFTEntry{}
			}
			rec(0)
		case 2, 3:
			for _, w := range values {
				msgs = append(msgs, PBFTMsg{Kind: PBFTKind(r.Round % 4), W: w})
			}
		}
		return msgs
	}
}

func (e PBFTEntry) String() string {
	if !e.Has {
		return "-"
	}
	if e.PView < 0 {
		return fmt.Sprintf("x=%d", e.X)
	}
	return fmt.Sprintf("x=%d,prepared(%d@v%d)", e.X, e.PVal, e.PView)
}

func justString(j [PBFTMaxN]PBFTEntry) string {
	var parts []string
	for p, e := range j {
		if e.Has {
			parts = append(parts, fmt.Sprintf("%d:%v", p, e))
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// String prints a message compactly, for counterexamples.
func (m PBFTMsg) String() string {
	switch m.Kind {
	case PBFTViewChange:
		return PBFTEntry{Has: true, X: m.X, PView: m.PView, PVal: m.PVal}.String()
	case PBFTPrePrepare:
		return fmt.Sprintf("pre-prepare(%d,%s)", m.W, justString(m.Just))
	case PBFTPrepare:
		return fmt.Sprintf("prepare(%d)", m.W)
	case PBFTCommit:
		return fmt.Sprintf("commit(%d)", m.W)
	}
	return fmt.Sprintf("kind%d", m.Kind)
}

// String prints a state compactly, for counterexamples.
func (s PBFTState) String() string {
	b := fmt.Sprintf("x=%d", s.X)
	if s.PView >= 0 {
		b += fmt.Sprintf(" prepared(%d@v%d)", s.PVal, s.PView)
	}
	if s.HasPP {
		b += fmt.Sprintf(" pp=%d", s.PP)
	}
	if s.HasProposal {
		b += fmt.Sprintf(" proposal=%d%s", s.Proposal, justString(s.Just))
	}
	return b
}
