package rounds

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// leaseState is a lease algorithm's node's part in the lease (see Lease):
// the ballot it adopted, and, at that ballot's leader, the grants.
type leaseState struct {
	// ballot is the adopted ballot, kept in Storage: every instance this
	// node starts, it starts at this ballot or later.
	ballot int
	// The leader of ballot: who granted it (itself included), the highest
	// horizon among them, and whether they are a majority (held).
	grants  Set
	horizon uint64
	held    bool
	// solicitedAt is when this node last asked for grants (0: never).
	solicitedAt time.Duration
	solicited   bool
	// lastHeard[p] is when a message from p last arrived: a node suspects
	// a leader it has not heard from for Config.SuspectAfter.
	lastHeard []time.Duration
}

func (rt *RuntimeOf[V]) ballotKey() string { return "rounds/" + rt.eng.name() + "/ballot" }

// loadLease reads the adopted ballot. It reports false when it does not
// decode (the node has stopped: it would not know what it promised).
func (rt *RuntimeOf[V]) loadLease() bool {
	if !rt.eng.leased() {
		return true
	}
	rt.lease = leaseState{lastHeard: make([]time.Duration, rt.n)}
	for p := range rt.lease.lastHeard {
		rt.lease.lastHeard[p] = rt.ctx.Now()
	}
	b, ok := rt.ctx.Storage().Get(rt.ballotKey())
	if !ok {
		return true
	}
	if len(b) != 8 || binary.BigEndian.Uint64(b) > maxBallot {
		rt.fail(fmt.Errorf("rounds: the stored ballot %q is corrupt", rt.ballotKey()))
		return false
	}
	rt.lease.ballot = int(binary.BigEndian.Uint64(b))
	return true
}

// heard notes that a message from p arrived.
func (rt *RuntimeOf[V]) heard(p core.NodeID) {
	if rt.lease.lastHeard != nil {
		rt.lease.lastHeard[p] = rt.ctx.Now()
	}
}

// suspects reports whether p has been silent for longer than
// Config.SuspectAfter (default: 8 round timeouts, at least 20ms).
func (rt *RuntimeOf[V]) suspects(p core.NodeID) bool {
	if p == rt.id {
		return false
	}
	after := rt.cfg.SuspectAfter
	if after <= 0 {
		after = max(8*rt.to.Cur, 20*time.Millisecond)
	}
	return rt.ctx.Now()-rt.lease.lastHeard[p] > after
}

// adopt makes b this node's ballot: it persists it first (a promise a
// restart must keep), then grants its leader the lease, or, being the
// leader, grants itself and solicits the others. It reports false when the
// write failed (the node has stopped).
func (rt *RuntimeOf[V]) adopt(b int) bool {
	if b <= rt.lease.ballot {
		return true
	}
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(b))
	if err := rt.ctx.Storage().Put(rt.ballotKey(), buf[:]); err != nil {
		rt.failed = fmt.Errorf("rounds: cannot persist ballot %d: %w", b, err)
		return false
	}
	l := rt.lease.lastHeard
	rt.lease = leaseState{ballot: b, lastHeard: l}
	if leader := rt.eng.leader(b); leader != rt.id {
		rt.ctx.Send(leader, Grant{Ballot: b, Horizon: rt.touched})
		return true
	}
	rt.count(rt.id, rt.touched)
	rt.solicit()
	return true
}

// count records q's grant of the current ballot at its leader.
func (rt *RuntimeOf[V]) count(q core.NodeID, horizon uint64) {
	if rt.lease.held {
		return // the lease is fixed once held: its horizon must not move
	}
	rt.lease.grants = rt.lease.grants.Add(q)
	rt.lease.horizon = max(rt.lease.horizon, horizon)
	if 2*rt.lease.grants.Len() > rt.n {
		rt.lease.held = true
		rt.ctx.Logger().Debug("rounds: lease held", "ballot", rt.lease.ballot, "horizon", rt.lease.horizon)
	}
}

// solicit asks every peer to adopt this node's ballot and grant it.
func (rt *RuntimeOf[V]) solicit() {
	rt.lease.solicited, rt.lease.solicitedAt = true, rt.ctx.Now()
	for _, p := range rt.ctx.Nodes() {
		if p != rt.id {
			rt.ctx.Send(p, Solicit{Ballot: rt.lease.ballot})
		}
	}
}

// resolicit asks again, at most once per round timeout, when this node
// leads its ballot without holding the lease (grants were lost, or the
// node restarted).
func (rt *RuntimeOf[V]) resolicit() {
	if rt.lease.held || rt.eng.leader(rt.lease.ballot) != rt.id {
		return
	}
	if rt.lease.solicited && rt.ctx.Now()-rt.lease.solicitedAt < rt.to.Cur {
		return
	}
	if rt.lease.grants.Empty() {
		rt.count(rt.id, rt.touched)
	}
	rt.solicit()
}

// granted handles a Grant: a higher ballot is adopted; the current one's
// leader counts it; a stale one is answered with the current ballot.
func (rt *RuntimeOf[V]) granted(from core.NodeID, g Grant) {
	if !rt.eng.leased() {
		return
	}
	if g.Ballot > rt.lease.ballot && !rt.adopt(g.Ballot) {
		return
	}
	switch {
	case g.Ballot < rt.lease.ballot:
		rt.ctx.Send(from, Grant{Ballot: rt.lease.ballot, Horizon: rt.touched})
	case rt.eng.leader(g.Ballot) == rt.id && from != rt.id:
		rt.count(from, g.Horizon)
	}
}

// solicited handles the leader of a ballot asking for grants.
func (rt *RuntimeOf[V]) solicited(from core.NodeID, s Solicit) {
	if !rt.eng.leased() || rt.eng.leader(s.Ballot) != from || from == rt.id {
		return // only a ballot's leader solicits it
	}
	if s.Ballot > rt.lease.ballot {
		rt.adopt(s.Ballot) // grants
		return
	}
	// The same ballot (the leader restarted, or a grant was lost), or an
	// older one (the candidate is behind): say where this node is.
	rt.ctx.Send(from, Grant{Ballot: rt.lease.ballot, Horizon: rt.touched})
}

// stale handles a round message of ballot b arriving for a round this
// node's instance has left: if b is below the adopted ballot, the sender is
// a deposed leader (or its follower) still starting instances at its old
// ballot, so it is told the current one.
func (rt *RuntimeOf[V]) stale(from core.NodeID, b int) {
	if b < rt.lease.ballot {
		rt.ctx.Send(from, Grant{Ballot: rt.lease.ballot, Horizon: rt.touched})
	}
}

// coordinated runs after this node decided an instance in ballot b: if it
// coordinated b, b is above the adopted ballot, and the adopted ballot's
// leader has been silent (SuspectAfter), the stable leader has failed to
// decide this instance and this node takes over the lease.
func (rt *RuntimeOf[V]) coordinated(b int) {
	if b > rt.lease.ballot && rt.eng.leader(b) == rt.id && rt.suspects(rt.eng.leader(rt.lease.ballot)) {
		rt.adopt(b)
	}
}

// restartLease solicits again after a restart when this node leads its
// ballot: the grants it held were not persisted.
func (rt *RuntimeOf[V]) restartLease() {
	if rt.eng.leased() && rt.eng.leader(rt.lease.ballot) == rt.id {
		rt.resolicit()
	}
}

// firstRound is the round a new instance starts at here, before it sees
// its peers: 0, or the first round of a lease algorithm's adopted ballot.
// A pending instance keeps the messages of the MaxAhead rounds after it.
func (rt *RuntimeOf[V]) firstRound() int {
	if !rt.eng.leased() {
		return 0
	}
	return rt.lease.ballot * rt.eng.phaseLen()
}

// startAt is the round a new instance starts at here, and the processes
// heard in it by the lease. Without a lease: round 0. With one: the first
// round of the adopted ballot (the promise of the grants), or the round the
// peers are seen in if that is later (joining them without sending in the
// rounds between, as catch-up does); and if this node leads the ballot,
// holds the lease and the instance is above its horizon, the first round is
// heard from the grantors at once.
func (rt *RuntimeOf[V]) startAt(s *slot[V]) (int, Set) {
	if !rt.eng.leased() {
		return 0, 0
	}
	b := rt.lease.ballot
	at := rt.firstRound()
	if s.maxSeen > at {
		return s.maxSeen, 0
	}
	if rt.eng.leader(b) != rt.id {
		return at, 0
	}
	if rt.lease.held && s.inst > rt.lease.horizon {
		return at, rt.lease.grants.Remove(rt.id)
	}
	rt.resolicit()
	return at, 0
}

// announce tells every peer that this node started instance s in round at
// while coordinating its ballot without the lease: the prepare round sends
// the peers nothing, and a peer that has not seen the instance would never
// send the coordinator its prepare (it joins on the Ahead).
func (rt *RuntimeOf[V]) announce(s *slot[V], at int) {
	if !rt.eng.leased() || rt.eng.leader(at/rt.eng.phaseLen()) != rt.id {
		return
	}
	for _, p := range rt.ctx.Nodes() {
		if p != rt.id {
			rt.ctx.Send(p, Ahead{Instance: s.inst, Round: at})
		}
	}
}
