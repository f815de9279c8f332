package etcdraft

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// tick is the raft logical clock, as in raftexample (heartbeat every tick,
// election after ten).
const tick = 100 * time.Millisecond

// replica is one etcd raft node with its log, transport and state machine.
type replica struct {
	id      uint64
	node    raft.Node
	storage *raft.MemoryStorage
	wal     *wal
	tr      *transport

	// lead is the leader this replica last heard of (0: none).
	lead atomic.Uint64

	// applyc hands committed entries, in order, to the applier, so a
	// Ready's application overlaps the next Ready's log write as in etcd's
	// server.
	applyc chan []*pb.Entry

	mu       sync.Mutex
	kv       map[string][]byte
	applied  uint64                // index of the last entry applied
	waiters  map[uint64]chan error // proposal id → told when applied here
	pending  []*pb.Entry           // commands waiting for the proposer
	stepping bool                  // a hand-off into raft is under way

	proposec chan struct{} // wakes the proposer

	confState *pb.ConfState // the fixed three voters, for compaction snapshots
	compacted uint64        // applied index at the last compaction

	stopc chan struct{}
	done  sync.WaitGroup
	err   atomic.Pointer[error] // the first storage error; the replica stops on it
}

// bootstrap is the snapshot every replica starts from: index 1, term 1, the
// three voters. Starting all replicas from the same snapshot (instead of
// StartNode's configuration-change entries) leaves nothing but client
// commands in the log.
func bootstrap(ids []uint64) *pb.Snapshot {
	one := uint64(1)
	return &pb.Snapshot{Metadata: &pb.SnapshotMetadata{
		Index:     &one,
		Term:      &one,
		ConfState: &pb.ConfState{Voters: ids},
	}}
}

// openReplica opens (or reopens, replaying its WAL) replica id's storage
// under dir and binds its listener; run starts it.
func openReplica(id uint64, ids []uint64, dir string, fsync bool, addr string) (*replica, error) {
	w, st, ents, err := openWAL(filepath.Join(dir, "wal"), fsync)
	if err != nil {
		return nil, err
	}
	ms := raft.NewMemoryStorage()
	if err := ms.ApplySnapshot(bootstrap(ids)); err != nil {
		w.close()
		return nil, err
	}
	if err := ms.SetHardState(st); err != nil {
		w.close()
		return nil, err
	}
	if err := ms.Append(ents); err != nil {
		w.close()
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		w.close()
		return nil, err
	}
	return &replica{
		id:        id,
		storage:   ms,
		wal:       w,
		tr:        newTransport(id, ln),
		applyc:    make(chan []*pb.Entry, 1024),
		confState: &pb.ConfState{Voters: ids},
		kv:        map[string][]byte{},
		waiters:   map[uint64]chan error{},
		proposec:  make(chan struct{}, 1),
		stopc:     make(chan struct{}),
	}, nil
}

// quietLogger keeps raft's informational logging out of the benchmark's
// output and CPU budget; raft's panics still panic.
var quietLogger = &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}

// run starts the raft node, the transport, the Ready loop and the applier.
func (r *replica) run(peers map[uint64]string) {
	r.node = raft.RestartNode(&raft.Config{
		ID:                        r.id,
		ElectionTick:              10,
		HeartbeatTick:             1,
		Storage:                   r.storage,
		MaxSizePerMsg:             1 << 20, // raftexample's and etcd's
		MaxInflightMsgs:           256,     // raftexample's (etcd's server allows 4096/1024 by default)
		MaxUncommittedEntriesSize: 1 << 30,
		CheckQuorum:               true,
		PreVote:                   true,
		Logger:                    quietLogger,
	})
	r.tr.start(peers, r.node.Step, r.node.ReportUnreachable)
	r.done.Add(3)
	go r.readyLoop()
	go r.applier()
	go r.proposer()
}

// readyLoop is etcd's: each Ready's committed entries go to the applier,
// the leader sends its messages while it writes the log (a leader may
// replicate in parallel with its own write; its entries count toward
// commitment only once the next Ready confirms them), the log write and its
// one fdatasync cover every entry the Ready holds, and a follower sends
// only after its write is durable.
func (r *replica) readyLoop() {
	defer r.done.Done()
	defer close(r.applyc)
	t := time.NewTicker(tick)
	defer t.Stop()
	leader := false
	for {
		select {
		case <-t.C:
			r.node.Tick()
		case rd := <-r.node.Ready():
			if rd.SoftState != nil {
				was := leader
				leader = rd.SoftState.RaftState == raft.StateLeader
				r.lead.Store(rd.SoftState.Lead)
				if was && !leader {
					r.dropWaiters()
				}
			}
			if !raft.IsEmptySnap(rd.Snapshot) {
				// Only a follower that fell keepEntries behind the
				// leader's compaction gets one, and the compaction
				// snapshot carries no state (see compact): stop loudly
				// rather than apply an empty state.
				r.fail(fmt.Errorf("replica %d: unexpected snapshot at index %d", r.id, rd.Snapshot.GetMetadata().GetIndex()))
				return
			}
			if len(rd.CommittedEntries) > 0 {
				select {
				case r.applyc <- rd.CommittedEntries:
				case <-r.stopc:
					return
				}
			}
			if leader {
				r.tr.send(rd.Messages)
			}
			if err := r.wal.save(rd.HardState, rd.Entries, rd.MustSync); err != nil {
				r.fail(err)
				return
			}
			if !raft.IsEmptyHardState(rd.HardState) {
				r.storage.SetHardState(rd.HardState)
			}
			if err := r.storage.Append(rd.Entries); err != nil {
				r.fail(err)
				return
			}
			if !leader {
				r.tr.send(rd.Messages)
			}
			r.node.Advance()
			if err := r.compact(); err != nil {
				r.fail(err)
				return
			}
		case <-r.stopc:
			return
		}
	}
}

const (
	// compactEvery and keepEntries are etcd's defaults (--snapshot-count
	// 10000, 5000 catch-up entries): every compactEvery applied entries the
	// in-memory log drops all but the last keepEntries applied ones.
	compactEvery = 10000
	keepEntries  = 5000
)

// compact trims the in-memory raft log as etcd's server does after each
// snapshot, so the log held in memory (and scanned by the garbage
// collector) stays bounded. The snapshot carries no state-machine data:
// in etcd the data lives in its backend, here in the map, and a follower
// far enough behind to need a snapshot install fails loudly instead (see
// readyLoop); in a three-replica loopback cluster none falls 5000 entries
// behind.
func (r *replica) compact() error {
	r.mu.Lock()
	applied := r.applied
	r.mu.Unlock()
	if applied < r.compacted+compactEvery {
		return nil
	}
	if _, err := r.storage.CreateSnapshot(applied, r.confState, nil); err != nil {
		return fmt.Errorf("replica %d: snapshot at %d: %w", r.id, applied, err)
	}
	if err := r.storage.Compact(applied - keepEntries); err != nil {
		return fmt.Errorf("replica %d: compact to %d: %w", r.id, applied-keepEntries, err)
	}
	r.compacted = applied
	return nil
}

// applier applies committed entries to the map, in order, and wakes the
// clients waiting on proposals this replica made.
func (r *replica) applier() {
	defer r.done.Done()
	for ents := range r.applyc {
		r.mu.Lock()
		for _, e := range ents {
			if e.GetType() == pb.EntryNormal && len(e.Data) > 0 {
				id, key, value, err := decodeCommand(e.Data)
				if err != nil {
					r.mu.Unlock()
					r.fail(fmt.Errorf("replica %d: entry %d: %w", r.id, e.GetIndex(), err))
					return
				}
				r.kv[key] = value
				if ch, ok := r.waiters[id]; ok {
					ch <- nil
					delete(r.waiters, id)
				}
			}
			r.applied = e.GetIndex()
		}
		r.mu.Unlock()
	}
}

// propose hands a command to raft and waits until this replica applies it
// (nil) or stops leading before it does (ErrLeaderChanged: the write may or
// may not take effect).
//
// Only one hand-off into raft's goroutine is under way at a time. A client
// that finds none under way makes its own (so a lone client pays no extra
// goroutine hop); commands that arrive meanwhile queue and the proposer
// hands them over together in one MsgProp, the way CockroachDB's proposal
// buffer feeds etcd raft, so that a Ready carries every command that
// arrived while the previous one was being written. (node.Propose is
// itself Step with a one-entry MsgProp, and ProposeConfChange already
// proposes through Step.)
func (r *replica) propose(ctx context.Context, id uint64, data []byte) error {
	ch := make(chan error, 1)
	e := &pb.Entry{Data: data}
	r.mu.Lock()
	if e := r.err.Load(); e != nil {
		r.mu.Unlock()
		return fmt.Errorf("replica %d has stopped: %w", r.id, *e)
	}
	r.waiters[id] = ch
	if r.stepping {
		r.pending = append(r.pending, e)
		r.mu.Unlock()
	} else {
		r.stepping = true
		r.mu.Unlock()
		err := r.node.Step(ctx, &pb.Message{Type: pb.MsgProp.Enum(), Entries: []*pb.Entry{e}})
		r.mu.Lock()
		r.stepping = false
		if len(r.pending) > 0 {
			r.wakeProposer()
		}
		if err != nil {
			delete(r.waiters, id)
			r.mu.Unlock()
			return err
		}
		r.mu.Unlock()
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		r.mu.Lock()
		delete(r.waiters, id)
		r.mu.Unlock()
		return ctx.Err()
	}
}

// wakeProposer signals the proposer; the caller holds r.mu.
func (r *replica) wakeProposer() {
	select {
	case r.proposec <- struct{}{}:
	default: // already signalled
	}
}

// proposer hands queued commands to raft in one MsgProp per turn.
func (r *replica) proposer() {
	defer r.done.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-r.stopc
		cancel()
	}()
	for {
		select {
		case <-r.proposec:
		case <-r.stopc:
			return
		}
		r.mu.Lock()
		if r.stepping || len(r.pending) == 0 {
			// Whoever is stepping wakes the proposer when done.
			r.mu.Unlock()
			continue
		}
		batch := r.pending
		r.pending = nil
		r.stepping = true
		r.mu.Unlock()
		err := r.node.Step(ctx, &pb.Message{Type: pb.MsgProp.Enum(), Entries: batch})
		r.mu.Lock()
		r.stepping = false
		if len(r.pending) > 0 {
			r.wakeProposer()
		}
		r.mu.Unlock()
		if err != nil {
			return // stopped
		}
	}
}

// ErrLeaderChanged is returned to a write whose replica stopped leading
// before applying it; the write may still take effect.
var ErrLeaderChanged = errors.New("etcdraft: leader changed before the write was applied; it may or may not take effect")

// dropWaiters fails every waiting write after this replica stops leading
// (a follower's raft forwards or drops proposals, and nothing would wake
// them).
func (r *replica) dropWaiters() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, ch := range r.waiters {
		ch <- ErrLeaderChanged
		delete(r.waiters, id)
	}
}

// fail records the first storage or decoding error and stops the replica's
// loops: a replica that cannot persist must not go on acknowledging.
func (r *replica) fail(err error) {
	r.err.CompareAndSwap(nil, &err)
	r.lead.Store(0) // Put stops choosing this replica
	r.dropWaiters()
}

// stop halts the node, the transport and the loops, and closes the log.
func (r *replica) stop() error {
	close(r.stopc)
	r.tr.stop()
	if r.node != nil {
		r.node.Stop()
	}
	r.done.Wait()
	werr := r.wal.close()
	if e := r.err.Load(); e != nil {
		return *e
	}
	return werr
}

// state returns a copy of the applied map and the last applied index.
func (r *replica) state() (map[string][]byte, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string][]byte, len(r.kv))
	for k, v := range r.kv {
		m[k] = v
	}
	return m, r.applied
}
