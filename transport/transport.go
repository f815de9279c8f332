package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// Handler receives each message a peer sent, on that peer's reader
// goroutine, with the payload in a slice it may keep (small payloads share
// a 64 KiB chunk, so keeping one keeps its chunk alive). Returning an error
// refuses the message and closes the connection (the error is the logged
// reason), which is what a node does with a payload it cannot decode.
type Handler func(from core.NodeID, payload []byte) error

// Config describes one node's transport.
type Config struct {
	// ID is this node; Addrs[ID] is where it listens and Addrs[j] where
	// node j listens. The cluster's members are 0..len(Addrs)-1.
	ID    core.NodeID
	Addrs []string
	// Listener, if set, is used instead of listening on Addrs[ID] (tests and
	// the in-process harness bind port 0 first).
	Listener net.Listener
	// Identity authenticates this node and its peers. Nil means plain TCP,
	// which is only allowed with Insecure set (benchmarks compare the two).
	Identity *Identity
	Insecure bool
	// Handler receives incoming messages. Required.
	Handler Handler
	// MaxFrame bounds a message (default DefaultMaxFrame).
	MaxFrame int
	// QueueLen and QueueBytes bound each peer's send queue in messages and
	// payload bytes (defaults DefaultQueueLen and DefaultQueueBytes).
	QueueLen, QueueBytes int
	// BackoffMin and BackoffMax bound the wait between redials (defaults
	// 20ms and 2s).
	BackoffMin, BackoffMax time.Duration
	// HandshakeTimeout bounds the TLS handshake and hello exchange, from
	// the TCP connection to the hello (default 5s). A connection that has
	// not authenticated by then is closed and counted (handshake_timeout),
	// however slowly it keeps sending.
	HandshakeTimeout time.Duration
	// MaxPendingPerAddress bounds the incoming connections authenticating
	// at once from one IPv4 address or IPv6 /64 (default twice the cluster
	// size, at least 16, so that peers sharing one host or NAT still fit),
	// and MaxPendingHandshakes those from all addresses that are not a
	// member's configured IP address (default
	// DefaultMaxPendingHandshakes). A new connection beyond either bound is
	// admitted and evicts the oldest pending handshake (of its address, or
	// of all strangers), so a handshake is only cut short by newer
	// connections, strangers never cut short one from a member's address,
	// and sockets held open cannot keep a peer out (docs/real-runtime.md).
	MaxPendingHandshakes, MaxPendingPerAddress int
	// WriteTimeout bounds each batch of writes (default 10s): a peer that
	// stops reading is disconnected and redialed rather than stalling its
	// queue forever.
	WriteTimeout time.Duration
	// Faults, if set, injects message faults on send.
	Faults *Faults
	// Logger receives connection events and refusals (default
	// slog.Default()). Lines about connections are rate-limited: in each
	// LogInterval (default DefaultLogInterval) the first few of each kind
	// are written and the rest are counted in one summary line.
	Logger      *slog.Logger
	LogInterval time.Duration
}

// Default bounds of a peer's send queue.
const (
	DefaultQueueLen   = 16384
	DefaultQueueBytes = 16 << 20
)

// ErrClosed is returned by sends on a closed transport.
var ErrClosed = errors.New("transport closed")

// ErrQueueFull is returned when a peer's send queue is full; the message was
// dropped and counted.
var ErrQueueFull = errors.New("send queue full")

// Transport connects one node to its peers.
type Transport struct {
	cfg    Config
	log    *slog.Logger // for lines that cannot repeat
	logs   *throttle    // for lines about connections, which can
	ln     net.Listener
	peers  []*peer // by id; nil at our own id
	events connEvents

	ctx       context.Context // cancelled by Close or the caller's context
	cancel    context.CancelFunc
	stopAfter func() bool // unhooks Close from the caller's context
	closing   sync.Once
	closeErr  error
	flushed   sync.Once
	wg        sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{} // every open connection, for Close

	// pending bounds the incoming connections being authenticated, so
	// that connections that never finish their handshake cost a bounded
	// number of sockets and goroutines, and cannot crowd out peers.
	pending *pendingSet
}

// DefaultMaxPendingHandshakes is Config.MaxPendingHandshakes's default.
const DefaultMaxPendingHandshakes = 256

// peer is one remote node: its send queue outlives connections, so that
// messages sent while a connection is being re-established wait for it.
type peer struct {
	id   core.NodeID
	addr string
	q    *queue
	c    counters

	mu   sync.Mutex
	conn net.Conn // the live connection, if any
}

// New validates cfg, starts listening and starts dialing the peers with a
// higher id. The transport runs until Close, or until ctx is cancelled,
// which closes it as Close does.
func New(ctx context.Context, cfg Config) (*Transport, error) {
	if int(cfg.ID) >= len(cfg.Addrs) {
		return nil, fmt.Errorf("transport: node %d is not in the address list of %d nodes", cfg.ID, len(cfg.Addrs))
	}
	if cfg.Handler == nil {
		return nil, errors.New("transport: Config.Handler is required")
	}
	if cfg.Identity == nil && !cfg.Insecure {
		return nil, errors.New("transport: no TLS identity; give one (rondo certs makes them) or set Insecure for plain TCP")
	}
	if cfg.Identity != nil && cfg.Identity.ID != cfg.ID {
		return nil, fmt.Errorf("transport: node %d was given node %d's identity", cfg.ID, cfg.Identity.ID)
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = DefaultMaxFrame
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = DefaultQueueLen
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = DefaultQueueBytes
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = 20 * time.Millisecond
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		cfg.BackoffMax = max(2*time.Second, cfg.BackoffMin)
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 5 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.MaxPendingHandshakes <= 0 {
		cfg.MaxPendingHandshakes = DefaultMaxPendingHandshakes
	}
	if cfg.MaxPendingPerAddress <= 0 {
		cfg.MaxPendingPerAddress = max(16, 2*len(cfg.Addrs))
	}
	cfg.MaxPendingPerAddress = min(cfg.MaxPendingPerAddress, cfg.MaxPendingHandshakes)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LogInterval <= 0 {
		cfg.LogInterval = DefaultLogInterval
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("transport: node %d not started: %w", cfg.ID, err)
	}
	var memberAddrs []string
	for i, a := range cfg.Addrs {
		if core.NodeID(i) != cfg.ID {
			memberAddrs = append(memberAddrs, a)
		}
	}
	log := cfg.Logger.With("node", uint32(cfg.ID))
	t := &Transport{
		cfg:     cfg,
		log:     log,
		logs:    newThrottle(log),
		peers:   make([]*peer, len(cfg.Addrs)),
		conns:   make(map[net.Conn]struct{}),
		pending: newPendingSet(cfg.MaxPendingHandshakes, cfg.MaxPendingPerAddress, memberAddrs),
	}
	for i, a := range cfg.Addrs {
		if core.NodeID(i) != cfg.ID {
			t.peers[i] = &peer{id: core.NodeID(i), addr: a, q: newQueue(cfg.QueueLen, cfg.QueueBytes)}
		}
	}
	t.ln = cfg.Listener
	if t.ln == nil {
		ln, err := net.Listen("tcp", cfg.Addrs[cfg.ID])
		if err != nil {
			return nil, fmt.Errorf("transport: node %d cannot listen on %s: %w", cfg.ID, cfg.Addrs[cfg.ID], err)
		}
		t.ln = ln
	}
	t.ctx, t.cancel = context.WithCancel(ctx)
	t.stopAfter = context.AfterFunc(ctx, func() { t.Close() })
	t.wg.Add(2)
	go func() {
		defer t.wg.Done()
		t.logs.run(cfg.LogInterval, t.ctx.Done())
	}()
	go t.acceptLoop()
	for _, p := range t.peers {
		if p != nil && p.id > cfg.ID {
			t.wg.Add(1)
			go t.dialLoop(p)
		}
	}
	return t, nil
}

// Addr is the address the transport listens on.
func (t *Transport) Addr() net.Addr { return t.ln.Addr() }

// Send queues payload for node to, through the configured faults. It never
// blocks: when the peer's queue is full the message is dropped, counted and
// ErrQueueFull returned. Messages lost to injected faults return nil, as
// the network would. The transport keeps payload until it is written; the
// caller must not modify it.
func (t *Transport) Send(to core.NodeID, payload []byte) error {
	p, err := t.peer(to)
	if err != nil {
		return err
	}
	if len(payload) == 0 || len(payload) > t.cfg.MaxFrame {
		p.c.drop(DropTooLarge)
		return fmt.Errorf("transport: message of %d bytes to node %d is outside 1..%d bytes", len(payload), to, t.cfg.MaxFrame)
	}
	f := t.cfg.Faults
	if f == nil {
		return t.enqueue(p, payload)
	}
	if f.Cut(t.cfg.ID, to) {
		p.c.drop(DropPartition)
		return nil
	}
	var delays [2]time.Duration
	copies := f.fate(&delays)
	if copies == 0 {
		p.c.drop(DropFault)
		return nil
	}
	for _, d := range delays[:copies] {
		if d <= 0 {
			err = t.enqueue(p, payload)
			continue
		}
		time.AfterFunc(d, func() {
			if t.ctx.Err() != nil {
				p.c.drop(DropClosed)
				return
			}
			t.enqueue(p, payload) // a full queue drops and counts, as on the direct path
		})
	}
	return err
}

// SendWait queues payload for node to, waiting while the peer's queue is
// full. It skips fault injection; it is for callers that want back-pressure
// (benchmarks, bulk transfer) rather than loss.
func (t *Transport) SendWait(ctx context.Context, to core.NodeID, payload []byte) error {
	p, err := t.peer(to)
	if err != nil {
		return err
	}
	if len(payload) == 0 || len(payload) > t.cfg.MaxFrame {
		p.c.drop(DropTooLarge)
		return fmt.Errorf("transport: message of %d bytes to node %d is outside 1..%d bytes", len(payload), to, t.cfg.MaxFrame)
	}
	return p.q.pushWait(ctx, payload, t.ctx.Done())
}

func (t *Transport) peer(to core.NodeID) (*peer, error) {
	if t.ctx.Err() != nil {
		return nil, ErrClosed
	}
	if int(to) >= len(t.peers) || t.peers[to] == nil {
		return nil, fmt.Errorf("transport: node %d cannot send to node %d (members are 0..%d, self excluded)", t.cfg.ID, to, len(t.peers)-1)
	}
	return t.peers[to], nil
}

func (t *Transport) enqueue(p *peer, payload []byte) error {
	if !p.q.push(payload) {
		p.c.drop(DropQueueFull)
		return ErrQueueFull
	}
	return nil
}

// Connected reports whether a connection to node id is up.
func (t *Transport) Connected(id core.NodeID) bool {
	if int(id) >= len(t.peers) || t.peers[id] == nil {
		return false
	}
	p := t.peers[id]
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn != nil
}

// Close stops listening, closes every connection and waits for the
// transport's goroutines. Queued messages are discarded. It is safe to call
// more than once and concurrently; every call returns once the transport
// has stopped.
func (t *Transport) Close() error {
	t.closing.Do(func() {
		t.stopAfter()
		t.cancel()
		t.closeErr = t.ln.Close()
		t.mu.Lock()
		for c := range t.conns {
			c.Close()
		}
		t.mu.Unlock()
	})
	t.wg.Wait()
	// Whatever was held back in the last, partial interval.
	t.flushed.Do(func() { t.logs.flush(time.Now()) })
	return t.closeErr
}

// track registers c for Close; it reports false (and closes c) when the
// transport is already closing.
func (t *Transport) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx.Err() != nil {
		c.Close()
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *Transport) untrack(c net.Conn) {
	c.Close()
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}
