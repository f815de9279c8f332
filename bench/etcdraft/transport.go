package etcdraft

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// transport carries raft messages between replicas over loopback TCP, the
// way etcd's stream transport does: one long-lived connection per peer,
// written by one goroutine per peer from a bounded queue, so the Ready loop
// never waits on the network and nothing dials per message. Frames are a
// uint32 length and a marshalled raftpb.Message; the writer flushes when its
// queue is empty, so messages queued together leave in one write.
type transport struct {
	id    uint64
	ln    net.Listener
	step  func(context.Context, *pb.Message) error
	unrch func(id uint64) // tell raft a peer missed a message

	peers map[uint64]*peer

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{} // accepted connections, closed on stop
}

// peerQueue is how many messages may wait for one peer; past it messages
// are dropped and reported unreachable, and raft sends them again (etcd's
// stream writer has the same bound of 4096).
const peerQueue = 4096

// maxFrame bounds an incoming frame (raft's MaxSizePerMsg is 1 MiB; a
// frame may exceed it by one entry).
const maxFrame = 64 << 20

// redialPause spaces reconnection attempts to a peer that is down.
const redialPause = 50 * time.Millisecond

type peer struct {
	id   uint64
	addr string
	q    chan *pb.Message
}

func newTransport(id uint64, ln net.Listener) *transport {
	ctx, cancel := context.WithCancel(context.Background())
	return &transport{id: id, ln: ln, peers: map[uint64]*peer{}, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}}
}

// start begins accepting from peers and writing to them; step delivers an
// incoming message to the local raft node.
func (t *transport) start(peers map[uint64]string, step func(context.Context, *pb.Message) error, unreachable func(uint64)) {
	t.step, t.unrch = step, unreachable
	for id, addr := range peers {
		if id == t.id {
			continue
		}
		p := &peer{id: id, addr: addr, q: make(chan *pb.Message, peerQueue)}
		t.peers[id] = p
		t.wg.Add(1)
		go t.write(p)
	}
	t.wg.Add(1)
	go t.accept()
}

// send queues messages for their peers without blocking.
func (t *transport) send(msgs []*pb.Message) {
	for _, m := range msgs {
		p, ok := t.peers[m.GetTo()]
		if !ok {
			continue
		}
		select {
		case p.q <- m:
		default:
			t.unrch(p.id)
		}
	}
}

func (t *transport) write(p *peer) {
	defer t.wg.Done()
	var d net.Dialer
	for t.ctx.Err() == nil {
		c, err := d.DialContext(t.ctx, "tcp", p.addr)
		if err != nil {
			t.unrch(p.id)
			select {
			case <-time.After(redialPause):
			case <-t.ctx.Done():
			}
			continue
		}
		err = t.stream(c, p)
		c.Close()
		if err != nil {
			t.unrch(p.id)
		}
	}
}

// stream writes p's queue to c until c fails or the transport stops.
func (t *transport) stream(c net.Conn, p *peer) error {
	bw := bufio.NewWriterSize(c, 256<<10)
	var frame []byte
	for {
		var m *pb.Message
		select {
		case m = <-p.q:
		case <-t.ctx.Done():
			return nil
		}
		for m != nil {
			var err error
			frame, err = proto.MarshalOptions{}.MarshalAppend(append(frame[:0], 0, 0, 0, 0), m)
			if err != nil {
				return err
			}
			binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
			if _, err := bw.Write(frame); err != nil {
				return err
			}
			select {
			case m = <-p.q:
			default:
				m = nil
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
}

func (t *transport) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		t.mu.Lock()
		if t.ctx.Err() != nil {
			t.mu.Unlock()
			c.Close()
			return
		}
		t.conns[c] = struct{}{}
		t.mu.Unlock()
		t.wg.Add(1)
		go t.read(c)
	}
}

func (t *transport) read(c net.Conn) {
	defer t.wg.Done()
	defer func() {
		t.mu.Lock()
		delete(t.conns, c)
		t.mu.Unlock()
		c.Close()
	}()
	br := bufio.NewReaderSize(c, 256<<10)
	var hdr [4]byte
	var body []byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n > maxFrame {
			return // a corrupt stream: drop the connection, the peer redials
		}
		if cap(body) < int(n) {
			body = make([]byte, n)
		}
		body = body[:n]
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
		m := &pb.Message{}
		if err := proto.Unmarshal(body, m); err != nil {
			return
		}
		if err := t.step(t.ctx, m); err != nil {
			return
		}
	}
}

// stop closes the listener and every connection and waits for the
// transport's goroutines.
func (t *transport) stop() {
	t.mu.Lock()
	t.cancel()
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	t.ln.Close()
	t.wg.Wait()
}

func peerAddrs(ts []*transport) map[uint64]string {
	m := make(map[uint64]string, len(ts))
	for _, t := range ts {
		m[t.id] = t.ln.Addr().String()
	}
	return m
}
