package transport

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// helloMagic opens the hello frame each side sends once the connection is
// authenticated. It names the protocol version, so that an incompatible
// peer fails fast with a clear reason, and in plain-TCP mode it is the only
// place a peer's id comes from.
const helloMagic = "rondo/1 "

// ioBuffer sizes each connection's read and write buffers: large enough
// that a burst of small messages becomes one TLS record and one syscall.
const ioBuffer = 64 << 10

var errPeerClosed = errors.New("peer closed the connection")

func helloFrame(id core.NodeID) []byte {
	return binary.BigEndian.AppendUint32([]byte(helloMagic), uint32(id))
}

func sendHello(c net.Conn, id core.NodeID) error {
	_, err := c.Write(AppendFrame(nil, helloFrame(id)))
	return err
}

func parseHello(b []byte) (core.NodeID, error) {
	if len(b) != len(helloMagic)+4 || string(b[:len(helloMagic)]) != helloMagic {
		return 0, fmt.Errorf("peer did not send a %q hello (not a Rondo node, or another version)", helloMagic[:len(helloMagic)-1])
	}
	return core.NodeID(binary.BigEndian.Uint32(b[len(helloMagic):])), nil
}

func (t *Transport) member(id core.NodeID) bool {
	return int(id) < len(t.peers) && id != t.cfg.ID
}

func label(id core.NodeID) string { return strconv.FormatUint(uint64(id), 10) }

// refuse logs and counts a connection that failed to authenticate, then
// closes it. peer is nil when the peer's identity was never established.
func (t *Transport) refuse(raw net.Conn, peer *core.NodeID, err error) {
	t.untrack(raw)
	if t.ctx.Err() != nil {
		return // closing: handshakes cut short are not refusals
	}
	who := "unknown"
	attrs := []any{"remote", raw.RemoteAddr().String(), "reason", err.Error()}
	if peer != nil {
		who = label(*peer)
		attrs = append(attrs, "peer", uint32(*peer))
	}
	t.events.add(who, EventRefused)
	t.log.Warn("refused peer", attrs...)
}

// handshakeError explains a failed handshake. In TLS 1.3 the client checks
// the server's certificate before sending its own, so a node accepting a
// peer from another cluster often sees only the peer's alert.
func handshakeError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		return fmt.Errorf("TLS handshake: the peer rejected our certificate (it does not trust this cluster's CA, or expected another node): %w", err)
	}
	return fmt.Errorf("TLS handshake: %w", err)
}

func setNoDelay(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		// Frames are coalesced by the writer; Nagle would only add delay.
		tc.SetNoDelay(true)
	}
}

// dialLoop keeps a connection to p (a peer with a higher id) up until Close.
func (t *Transport) dialLoop(p *peer) {
	defer t.wg.Done()
	b := newBackoff(t.cfg.BackoffMin, t.cfg.BackoffMax)
	for t.ctx.Err() == nil {
		raw, c, br, err := t.dial(p)
		if err != nil {
			if !t.sleep(b.next()) {
				return
			}
			continue
		}
		b.reset()
		t.events.add(label(p.id), EventDial)
		t.log.Info("connected", "peer", uint32(p.id), "remote", raw.RemoteAddr().String(), "direction", "out")
		t.closed(p, t.serve(p, raw, c, br))
		if !t.sleep(b.next()) {
			return
		}
	}
}

// dial connects to p, runs the TLS handshake (checking that the server's
// certificate names p) and exchanges hellos.
func (t *Transport) dial(p *peer) (raw, c net.Conn, br *bufio.Reader, err error) {
	d := net.Dialer{Timeout: t.cfg.HandshakeTimeout}
	raw, err = d.DialContext(t.ctx, "tcp", p.addr)
	if err != nil {
		t.events.add(label(p.id), EventDialFailed)
		t.log.Debug("dial failed", "peer", uint32(p.id), "addr", p.addr, "reason", err.Error())
		return nil, nil, nil, err
	}
	setNoDelay(raw)
	if !t.track(raw) {
		return nil, nil, nil, ErrClosed
	}
	raw.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	c = raw
	if t.cfg.Identity != nil {
		tc := tls.Client(raw, t.cfg.Identity.clientConfig(p.id, t.member))
		if err := tc.HandshakeContext(t.ctx); err != nil {
			t.refuse(raw, &p.id, handshakeError(err))
			return nil, nil, nil, err
		}
		c = tc
	}
	if err := sendHello(c, t.cfg.ID); err != nil {
		t.refuse(raw, &p.id, fmt.Errorf("sending hello: %w", err))
		return nil, nil, nil, err
	}
	br = bufio.NewReaderSize(c, ioBuffer)
	// Waiting for the peer's hello means the peer has verified our
	// certificate (TLS 1.3 lets the client finish its handshake first), so
	// no queued message is spent on a connection about to be refused.
	reply, err := ReadFrame(br, len(helloMagic)+4)
	if err != nil {
		t.refuse(raw, &p.id, fmt.Errorf("no hello from the peer: %w", err))
		return nil, nil, nil, err
	}
	id, err := parseHello(reply)
	if err == nil && id != p.id {
		err = fmt.Errorf("dialed node %d at %s but the peer says it is node %d", p.id, p.addr, id)
	}
	if err != nil {
		t.refuse(raw, &p.id, err)
		return nil, nil, nil, err
	}
	raw.SetDeadline(time.Time{})
	return raw, c, br, nil
}

// acceptLoop takes incoming connections until Close.
func (t *Transport) acceptLoop() {
	defer t.wg.Done()
	for {
		raw, err := t.ln.Accept()
		if err != nil {
			if t.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			t.log.Warn("accept failed", "reason", err.Error())
			if !t.sleep(50 * time.Millisecond) {
				return
			}
			continue
		}
		select {
		case t.handshakes <- struct{}{}:
		default:
			t.track(raw)
			t.refuse(raw, nil, fmt.Errorf("%d handshakes already in progress", MaxPendingHandshakes))
			continue
		}
		t.wg.Add(1)
		go t.accept(raw)
	}
}

// accept authenticates an incoming connection and, if the peer is a member
// that is due to dial us, serves it.
func (t *Transport) accept(raw net.Conn) {
	defer t.wg.Done()
	setNoDelay(raw)
	if !t.track(raw) {
		<-t.handshakes
		return
	}
	raw.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	p, c, br, ok := t.authenticate(raw)
	<-t.handshakes
	if !ok {
		return
	}
	t.events.add(label(p.id), EventAccept)
	t.log.Info("connected", "peer", uint32(p.id), "remote", raw.RemoteAddr().String(), "direction", "in")
	t.closed(p, t.serve(p, raw, c, br))
}

// authenticate runs the acceptor's side of the handshake and hello.
func (t *Transport) authenticate(raw net.Conn) (*peer, net.Conn, *bufio.Reader, bool) {
	var c net.Conn = raw
	var certID *core.NodeID
	if t.cfg.Identity != nil {
		tc := tls.Server(raw, t.cfg.Identity.serverConfig(t.member))
		if err := tc.HandshakeContext(t.ctx); err != nil {
			t.refuse(raw, nil, handshakeError(err))
			return nil, nil, nil, false
		}
		id, err := peerID(tc)
		if err != nil {
			t.refuse(raw, nil, err)
			return nil, nil, nil, false
		}
		certID, c = &id, tc
	}
	br := bufio.NewReaderSize(c, ioBuffer)
	hello, err := ReadFrame(br, len(helloMagic)+4)
	if err != nil {
		t.refuse(raw, certID, fmt.Errorf("no hello from the peer: %w", err))
		return nil, nil, nil, false
	}
	id, err := parseHello(hello)
	switch {
	case err != nil:
	case certID != nil && id != *certID:
		err = fmt.Errorf("peer's hello claims node %d but its certificate names node %d", id, *certID)
	case !t.member(id):
		err = fmt.Errorf("peer claims node %d, which is not a member of this cluster", id)
	case id > t.cfg.ID:
		err = fmt.Errorf("node %d dialed node %d, but the lower id dials (are the two configs the same?)", id, t.cfg.ID)
	}
	if err != nil {
		t.refuse(raw, certID, err)
		return nil, nil, nil, false
	}
	if err := sendHello(c, t.cfg.ID); err != nil {
		t.refuse(raw, &id, fmt.Errorf("sending hello: %w", err))
		return nil, nil, nil, false
	}
	raw.SetDeadline(time.Time{})
	return t.peers[id], c, br, true
}

// closed logs why an established connection ended.
func (t *Transport) closed(p *peer, reason error) {
	t.events.add(label(p.id), EventClosed)
	switch {
	case t.ctx.Err() != nil:
		t.log.Debug("connection closed", "peer", uint32(p.id), "reason", "transport closing")
	case errors.Is(reason, ErrFrame) || errors.Is(reason, errRejected):
		t.log.Warn("closing connection", "peer", uint32(p.id), "reason", reason.Error())
	default:
		t.log.Info("connection closed", "peer", uint32(p.id), "reason", reason.Error())
	}
}

var errRejected = errors.New("message rejected")

// serve runs an authenticated connection until either direction fails:
// this goroutine reads, a second one writes.
func (t *Transport) serve(p *peer, raw, c net.Conn, br *bufio.Reader) error {
	p.mu.Lock()
	old := p.conn
	p.conn = raw
	p.mu.Unlock()
	if old != nil {
		// The peer dialed again (it restarted, or lost the old connection
		// before we noticed): the newest connection wins.
		old.Close()
	}
	done := make(chan struct{})
	var once sync.Once
	var reason error
	stop := func(err error) {
		once.Do(func() {
			reason = err
			close(done)
			raw.Close()
		})
	}
	wrote := make(chan struct{})
	go func() {
		stop(t.writeLoop(p, c, done))
		close(wrote)
	}()
	stop(t.readLoop(p, br))
	<-wrote
	p.mu.Lock()
	if p.conn == raw {
		p.conn = nil
	}
	p.mu.Unlock()
	t.untrack(raw)
	if reason == nil {
		reason = errPeerClosed
	}
	return reason
}

// writeLoop drains p's queue into a buffered writer, flushing only when the
// queue is empty: under load many frames share one write.
func (t *Transport) writeLoop(p *peer, c net.Conn, done <-chan struct{}) error {
	bw := bufio.NewWriterSize(c, ioBuffer)
	var spare [][]byte
	for {
		batch := p.q.take(spare)
		if len(batch) == 0 {
			if bw.Buffered() > 0 {
				c.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
				if err := bw.Flush(); err != nil {
					return fmt.Errorf("writing: %w", err)
				}
			}
			select {
			case <-p.q.ready:
			case <-done:
				return nil
			}
			spare = batch
			continue
		}
		// bufio writes through whenever its buffer fills, so the deadline
		// covers the whole batch.
		c.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
		var bytes uint64
		for i, m := range batch {
			if err := WriteFrame(bw, m, t.cfg.MaxFrame); err != nil {
				for range batch[i:] {
					p.c.drop(DropClosed)
				}
				p.c.sent.Add(uint64(i))
				p.c.sentBytes.Add(bytes)
				return fmt.Errorf("writing: %w", err)
			}
			bytes += uint64(FrameHeader + len(m))
		}
		p.c.sent.Add(uint64(len(batch)))
		p.c.sentBytes.Add(bytes)
		spare = batch
	}
}

// readLoop hands each frame from p to the handler until the connection
// fails, a frame is malformed or the handler refuses a message.
func (t *Transport) readLoop(p *peer, br *bufio.Reader) error {
	fr := newFrameReader(br, t.cfg.MaxFrame)
	for {
		payload, err := fr.next()
		if err != nil {
			if err == io.EOF {
				return errPeerClosed
			}
			return err
		}
		p.c.recv.Add(1)
		p.c.recvBytes.Add(uint64(FrameHeader + len(payload)))
		if t.cfg.Faults.Cut(p.id, t.cfg.ID) {
			// A message that was in flight when the partition began.
			p.c.drop(DropPartition)
			continue
		}
		if err := t.cfg.Handler(p.id, payload); err != nil {
			p.c.drop(DropRejected)
			return fmt.Errorf("%w from node %d: %v", errRejected, p.id, err)
		}
	}
}

func (t *Transport) sleep(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-t.ctx.Done():
		return false
	}
}
