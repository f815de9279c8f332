package smr

import (
	"time"

	"github.com/rondo-dev/rondo/core"
)

// Leader failure detection. The runtime moves leadership by itself when a
// node decides an instance as the coordinator of a later ballot while the
// leader is silent — which needs instances in flight. A leader that fails
// while the log is idle leaves nothing in flight, so the log watches for
// it: a node with requests waiting (commands forwarded, reads) that has not
// heard from its leader for a random time in [ElectionTimeout,
// 2·ElectionTimeout) campaigns for the next ballot it leads
// (rounds.RuntimeOf.Campaign). The leader keeps its followers hearing from
// it with a heartbeat every tick while it has work. A node that leads its
// ballot but has not gathered the lease for as long campaigns again (its
// solicitations were lost). Two candidates are settled by the runtime: the
// higher ballot wins.
type election struct {
	timeout time.Duration // this round's random timeout
	since   time.Duration // when this node last campaigned (or started)
	leader  core.NodeID   // the leader last seen, to count changes
}

func (e *election) reset(n *Node) {
	e.timeout = n.cfg.ElectionTimeout + time.Duration(n.ctx.Rand().Int64N(int64(n.cfg.ElectionTimeout)))
	e.since = n.ctx.Now()
	e.leader = n.rt.Lease().Leader
}

// check campaigns if the leader seems to have failed while requests wait.
func (e *election) check(n *Node, now time.Duration) {
	st := n.rt.Lease()
	if st.Leader != e.leader {
		e.leader = st.Leader
		n.stats.LeaderChanges++
		e.since = now
	}
	if n.waiters.count() == 0 && len(n.reads.list) == 0 && len(n.lead.queue) == 0 {
		return
	}
	if now-e.since < e.timeout {
		return
	}
	if st.Leader == n.id {
		if st.Held {
			return
		}
	} else if now-n.peers[st.Leader].heard < e.timeout {
		return
	}
	n.ctx.Logger().Debug("smr: campaigning", "ballot", st.Ballot, "leader", st.Leader)
	n.stats.Campaigns++
	if err := n.rt.Campaign(n.ctx); err != nil {
		n.failed = err
		return
	}
	e.reset(n)
}
