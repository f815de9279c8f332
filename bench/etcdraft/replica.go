package etcdraft

import (
	"context"
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

	mu      sync.Mutex
	kv      map[string][]byte
	applied uint64                   // index of the last entry applied
	waiters map[uint64]chan struct{} // proposal id → closed when applied here

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
		id:      id,
		storage: ms,
		wal:     w,
		tr:      newTransport(id, ln),
		applyc:  make(chan []*pb.Entry, 1024),
		kv:      map[string][]byte{},
		waiters: map[uint64]chan struct{}{},
		stopc:   make(chan struct{}),
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
	r.done.Add(2)
	go r.readyLoop()
	go r.applier()
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
				leader = rd.SoftState.RaftState == raft.StateLeader
				r.lead.Store(rd.SoftState.Lead)
			}
			if !raft.IsEmptySnap(rd.Snapshot) {
				// The log is never compacted, so no leader sends a
				// snapshot past the bootstrap one.
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
		case <-r.stopc:
			return
		}
	}
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
					close(ch)
					delete(r.waiters, id)
				}
			}
			r.applied = e.GetIndex()
		}
		r.mu.Unlock()
	}
}

// propose proposes a command and waits until this replica applies it.
func (r *replica) propose(ctx context.Context, id uint64, data []byte) error {
	ch := make(chan struct{})
	r.mu.Lock()
	r.waiters[id] = ch
	r.mu.Unlock()
	forget := func() {
		r.mu.Lock()
		delete(r.waiters, id)
		r.mu.Unlock()
	}
	if err := r.node.Propose(ctx, data); err != nil {
		forget()
		return err
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		forget()
		return ctx.Err()
	case <-r.stopc:
		forget()
		return fmt.Errorf("replica %d stopped", r.id)
	}
}

// fail records the first storage or decoding error and stops the replica's
// loops: a replica that cannot persist must not go on acknowledging.
func (r *replica) fail(err error) {
	r.err.CompareAndSwap(nil, &err)
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
