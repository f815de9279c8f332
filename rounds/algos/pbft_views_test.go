package algos_test

import (
	"testing"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
)

// Views past 127 keep their prepared certificates, and the primary still
// prefers the highest one (views were int8 and wrapped at 128).
func TestPBFTViewsPast127KeepTheirCertificates(t *testing.T) {
	alg := algos.PBFT()
	const n = 4
	// Prepare round of view 200: a quorum of matching prepares.
	s := alg.Init(1, n, 0)
	s.HasPP, s.PP = true, 1
	mb := rounds.NewMailbox[algos.PBFTMsg](n)
	for p := range 3 {
		mb.Put(core.NodeID(p), algos.PBFTMsg{Kind: algos.PBFTPrepare, W: 1})
	}
	ctx := &rounds.Ctx{ID: 1, N: n, Round: 4*200 + 2}
	alg.Rounds[2].Update(&s, mb, ctx)
	if !s.Prepared || s.PView != 200 || s.PVal != 1 {
		t.Fatalf("after the prepare round of view 200: %v (prepared %v, view %d)", s, s.Prepared, s.PView)
	}
	// View change of view 129 (primary 1): certificates of views 127 and
	// 128 are reported; the proposal is the value of view 128's.
	p := alg.Init(1, n, 0)
	mb = rounds.NewMailbox[algos.PBFTMsg](n)
	mb.Put(0, algos.PBFTMsg{Kind: algos.PBFTViewChange, X: 0, PView: 127, PVal: 0})
	mb.Put(1, algos.PBFTMsg{Kind: algos.PBFTViewChange, X: 0, PView: 128, PVal: 1})
	mb.Put(2, algos.PBFTMsg{Kind: algos.PBFTViewChange, X: 0, PView: -1})
	ctx = &rounds.Ctx{ID: 1, N: n, Round: 4 * 129}
	alg.Rounds[0].Update(&p, mb, ctx)
	if !p.HasProposal || p.Proposal != 1 {
		t.Fatalf("primary of view 129 proposes %v (has %v), want view 128's value 1", p.Proposal, p.HasProposal)
	}
}
