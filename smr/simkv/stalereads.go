package simkv

import (
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/smr"
)

// StaleReads is the deliberately broken variant the checks must catch:
// every replica answers a read at once from its own state, without a read
// index. A replica cut off from the majority, or one that has not yet
// applied what the others decided, answers with what it has — a value
// older than a write already acknowledged elsewhere. The commands still go
// through the log; only reads are broken.
func StaleReads(opt Options) scenario.Scenario {
	if opt.Name == "" {
		opt.Name = "smr-kv-stale-reads"
	}
	opt.staleReads = true
	sc := Scenario(opt)
	sc.Summary = "BROKEN: " + sc.Summary + "; but every replica answers reads from its own state, without a read index"
	return sc
}

// staleReader wraps a replica: it answers reads itself, from the state
// machine its node applies to, and hands everything else to the node.
type staleReader struct {
	*smr.Node
	machine *smr.StateMachine
}

// newStaleReader builds a replica whose state machine it can read.
func newStaleReader(cfg smr.Config) core.Process {
	p := &staleReader{machine: new(smr.StateMachine)}
	cfg.New = func() smr.StateMachine {
		*p.machine = New()
		return *p.machine
	}
	p.Node = smr.New(cfg)
	return p
}

func (p *staleReader) Handle(ctx core.Context, ev core.Event) {
	req, ok := ev.(core.Request)
	if r, read := req.Body.(smr.Read); ok && read && *p.machine != nil {
		rep := smr.Reply{Result: (*p.machine).Query(r.Query), Index: p.Status().Applied}
		ctx.Output(smr.ReadDone{ID: r.ID, Index: rep.Index, Result: rep.Result})
		if r.Done != nil {
			r.Done(rep)
		}
		return
	}
	p.Node.Handle(ctx, ev)
}
