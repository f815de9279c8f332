package smr

import (
	"fmt"
	"slices"
	"time"
)

// Commands taken at this node wait here until this node applies them (or
// finds them applied, in the session table), whichever node leads: a
// follower forwards a command to the leader and answers it when its own
// log applies it, so no reply travels back and a change of leader loses
// nothing but time. Until then the command is sent again to whoever leads,
// every RetryAfter; after RequestTimeout it is answered ErrUnknownOutcome.

type waiters struct {
	m map[key][]waiter
	n int
}

type waiter struct {
	cmd      []byte
	done     func(Reply)
	deadline time.Duration
	sentAt   time.Duration
}

func (w *waiters) count() int { return w.n }

// submit takes a client's command.
func (n *Node) submit(s Submit) {
	c := command{client: s.Client, seq: s.Seq, cmd: s.Cmd}
	switch {
	case s.Seq == 0:
		n.reply(c, s.Done, Reply{Err: fmt.Errorf("%w: Seq must be 1 or more (client %d)", ErrBadRequest, s.Client)})
		return
	case len(s.Cmd) > n.cfg.MaxBatchBytes-batchHeadroom:
		n.reply(c, s.Done, Reply{Err: fmt.Errorf("%w: %d bytes, at most %d (Config.MaxBatchBytes %d less headroom)",
			ErrTooLarge, len(s.Cmd), n.cfg.MaxBatchBytes-batchHeadroom, n.cfg.MaxBatchBytes)})
		return
	}
	if res, oc := n.sess.check(s.Client, s.Seq); oc != fresh {
		n.reply(c, s.Done, outcomeReply(c, res, oc))
		return
	}
	now := n.ctx.Now()
	k := c.key()
	n.waiters.m[k] = append(n.waiters.m[k], waiter{cmd: s.Cmd, done: s.Done, deadline: now + n.cfg.RequestTimeout, sentAt: now})
	n.waiters.n++
	n.route(c)
}

// route sends a command to the leader, or queues it here if this node is
// the leader (of its adopted ballot, holding the lease or not yet).
func (n *Node) route(c command) {
	if leader := n.rt.Lease().Leader; leader != n.id {
		n.ctx.Send(leader, Forward{Client: c.client, Seq: c.seq, Cmd: c.cmd})
		return
	}
	n.enqueue(c)
}

// forwarded takes a command a peer forwarded. A node that does not lead
// drops it: the peer sends it again to the leader it learns of.
func (n *Node) forwarded(f Forward) {
	if f.Seq == 0 || len(f.Cmd) > n.cfg.MaxBatchBytes-batchHeadroom {
		return
	}
	if n.rt.Lease().Leader == n.id {
		n.enqueue(command{client: f.Client, seq: f.Seq, cmd: f.Cmd})
	}
}

// retry sends again the commands that have waited RetryAfter since they
// were last sent, to the current leader: in the order they were taken.
func (n *Node) retry(now time.Duration) {
	var due []key
	for k, ws := range n.waiters.m {
		if now-ws[0].sentAt >= n.cfg.RetryAfter {
			due = append(due, k)
		}
	}
	slices.SortFunc(due, compareKeys)
	for _, k := range due {
		ws := n.waiters.m[k]
		for i := range ws {
			ws[i].sentAt = now
		}
		n.route(command{client: k.client, seq: k.seq, cmd: ws[0].cmd})
	}
}

func compareKeys(a, b key) int {
	if a.client != b.client {
		if a.client < b.client {
			return -1
		}
		return 1
	}
	if a.seq < b.seq {
		return -1
	}
	if a.seq > b.seq {
		return 1
	}
	return 0
}

// answer answers the commands waiting for (client, seq), which was just
// decided with outcome oc.
func (w *waiters) answer(n *Node, k key, res result, oc outcome) {
	ws, ok := w.m[k]
	if !ok {
		return
	}
	delete(w.m, k)
	w.n -= len(ws)
	c := command{client: k.client, seq: k.seq}
	for _, x := range ws {
		n.reply(c, x.done, outcomeReply(c, res, oc))
	}
}

// answerFromSessions answers every waiting command the session table knows
// of (after a snapshot was installed past them).
func (w *waiters) answerFromSessions(n *Node) {
	var ks []key
	for k := range w.m {
		if _, oc := n.sess.check(k.client, k.seq); oc != fresh {
			ks = append(ks, k)
		}
	}
	slices.SortFunc(ks, compareKeys)
	for _, k := range ks {
		res, oc := n.sess.check(k.client, k.seq)
		w.answer(n, k, res, oc)
	}
}

// expire answers ErrUnknownOutcome to the commands past their deadline.
func (w *waiters) expire(n *Node, now time.Duration) {
	var ks []key
	for k, ws := range w.m {
		if slices.ContainsFunc(ws, func(x waiter) bool { return now >= x.deadline }) {
			ks = append(ks, k)
		}
	}
	slices.SortFunc(ks, compareKeys)
	for _, k := range ks {
		ws := w.m[k]
		kept := ws[:0]
		for _, x := range ws {
			if now < x.deadline {
				kept = append(kept, x)
				continue
			}
			w.n--
			n.reply(command{client: k.client, seq: k.seq}, x.done, Reply{Err: fmt.Errorf("%w: client %d seq %d not applied here within %v",
				ErrUnknownOutcome, k.client, k.seq, n.cfg.RequestTimeout)})
		}
		if len(kept) == 0 {
			delete(w.m, k)
		} else {
			w.m[k] = kept
		}
	}
}

// outcomeReply is the reply for a command the session table knows of.
func outcomeReply(c command, res result, oc outcome) Reply {
	if oc == expired {
		return Reply{Err: fmt.Errorf("%w: client %d seq %d", ErrSessionExpired, c.client, c.seq)}
	}
	return Reply{Result: res.data, Index: res.index}
}

// reply answers a command: its Done, and the output histories see.
func (n *Node) reply(c command, done func(Reply), r Reply) {
	if r.Err != nil {
		n.ctx.Output(Failed{Client: c.client, Seq: c.seq, Err: r.Err.Error(), Definite: Definite(r.Err)})
	} else {
		n.ctx.Output(Applied{Client: c.client, Seq: c.seq, Index: r.Index, Result: r.Result})
	}
	if done != nil {
		done(r)
	}
}
