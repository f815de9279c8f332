package transport

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// helloMagic opens the hello frame each side sends once the connection is
// authenticated. It names the protocol version, so that an incompatible
// peer fails fast with a clear reason, and in plain-TCP mode it is the only
// place a peer's id comes from.
const helloMagic = "rondo/1 "

func helloFrame(id core.NodeID) []byte {
	return binary.BigEndian.AppendUint32([]byte(helloMagic), uint32(id))
}

func sendHello(c net.Conn, id core.NodeID) error {
	_, err := c.Write(AppendFrame(nil, helloFrame(id)))
	return err
}

// readHello reads the peer's hello frame and nothing after it: its buffer
// holds exactly one hello frame (bufio's minimum size), so no later frame
// is read into a buffer that is then dropped, and a connection still in
// its handshake holds 16 bytes of buffer, not the 64 KiB an
// authenticated one gets.
func readHello(c net.Conn) ([]byte, error) {
	const size = FrameHeader + len(helloMagic) + 4
	return ReadFrame(bufio.NewReaderSize(c, size), size-FrameHeader)
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

// hungUp reports whether err means the other side went away: it closed or
// reset the connection (it crashed, stopped, or gave up on us). That is
// not a refusal, and reading it as one sends an operator hunting for an
// authentication problem every time a peer restarts.
func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE)
}

// handshakeFailed closes raw, whose handshake did not complete, then counts
// and logs why, in the words of what happened: the deadline passed, the
// peer hung up, or the peer was refused (a certificate, name or hello that
// failed a check). peer is nil while the peer's identity is unknown.
func (t *Transport) handshakeFailed(raw net.Conn, peer *core.NodeID, err error) {
	t.untrack(raw)
	if t.ctx.Err() != nil {
		return // closing: handshakes cut short are not failures
	}
	who := "unknown"
	attrs := []any{"remote", raw.RemoteAddr().String()}
	if peer != nil {
		who = label(*peer)
		attrs = append(attrs, "peer", uint32(*peer))
	}
	attrs = append(attrs, "reason", err.Error())
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		t.events.add(who, EventHandshakeTimeout)
		t.logs.log(info, "handshake_timeout."+who, "handshake timed out", append(attrs, "after", t.cfg.HandshakeTimeout)...)
	case hungUp(err):
		t.events.add(who, EventAborted)
		t.logs.log(info, "aborted."+who, "peer closed the connection during the handshake", attrs...)
	default:
		t.events.add(who, EventRefused)
		t.logs.log(warn, "refused."+who, "refused peer", attrs...)
	}
}

// handshakeError explains a failed TLS handshake. In TLS 1.3 the client
// checks the server's certificate before sending its own, so a node
// accepting a peer from another cluster often sees only the peer's alert.
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
		t.adopt(p, raw)
		t.events.add(label(p.id), EventDial)
		t.logs.log(info, "connected."+label(p.id), "connected", "peer", uint32(p.id), "remote", raw.RemoteAddr().String(), "direction", "out")
		t.closed(p, t.serve(p, raw, c, br))
		if !t.sleep(b.next()) {
			return
		}
	}
}

// dial connects to p, runs the TLS handshake (checking that the server's
// certificate names p) and exchanges hellos, all within the handshake
// deadline.
func (t *Transport) dial(p *peer) (raw, c net.Conn, br *bufio.Reader, err error) {
	d := net.Dialer{Timeout: t.cfg.HandshakeTimeout}
	raw, err = d.DialContext(t.ctx, "tcp", p.addr)
	if err != nil {
		t.events.add(label(p.id), EventDialFailed)
		t.logs.log(debug, "dial_failed."+label(p.id), "dial failed", "peer", uint32(p.id), "addr", p.addr, "reason", err.Error())
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
			t.handshakeFailed(raw, &p.id, handshakeError(err))
			return nil, nil, nil, err
		}
		c = tc
	}
	if err := sendHello(c, t.cfg.ID); err != nil {
		t.handshakeFailed(raw, &p.id, fmt.Errorf("sending hello: %w", err))
		return nil, nil, nil, err
	}
	// Waiting for the peer's hello means the peer has verified our
	// certificate (TLS 1.3 lets the client finish its handshake first), so
	// no queued message is spent on a connection about to be refused. An
	// acceptor that refuses us after TLS just closes: we see it hang up,
	// and the refusal's reason is in its log.
	reply, err := readHello(c)
	if err != nil {
		t.handshakeFailed(raw, &p.id, fmt.Errorf("no hello from the peer: %w", err))
		return nil, nil, nil, err
	}
	id, err := parseHello(reply)
	if err == nil && id != p.id {
		err = fmt.Errorf("dialed node %d at %s but the peer says it is node %d", p.id, p.addr, id)
	}
	if err != nil {
		t.handshakeFailed(raw, &p.id, err)
		return nil, nil, nil, err
	}
	raw.SetDeadline(time.Time{})
	return raw, c, bufio.NewReaderSize(c, ioBuffer), nil
}

// acceptLoop takes incoming connections until Close. Every connection is
// admitted to the pending set, which makes room by evicting older pending
// handshakes (admission.go), so the loop never turns a connection away.
func (t *Transport) acceptLoop() {
	defer t.wg.Done()
	for {
		raw, err := t.ln.Accept()
		if err != nil {
			if t.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Typically out of file descriptors: wait for some to close.
			t.logs.log(warn, "accept_failed", "accept failed", "reason", err.Error())
			if !t.sleep(50 * time.Millisecond) {
				return
			}
			continue
		}
		if !t.track(raw) {
			return
		}
		now := time.Now()
		// The deadline is set before the handshake starts, so it counts
		// from the connection's arrival however the handshake proceeds.
		raw.SetDeadline(now.Add(t.cfg.HandshakeTimeout))
		p, ev := t.pending.admit(raw, now)
		if ev != nil {
			t.events.add("unknown", EventEvicted)
			t.logs.log(info, "evicted.unknown", "evicted a pending handshake to admit a newer connection",
				"remote", ev.conn.RemoteAddr().String(), "pending_for", now.Sub(ev.since).Round(time.Millisecond))
			ev.conn.Close() // its goroutine sees the closed connection, finds it evicted and ends quietly
		}
		t.wg.Add(1)
		go t.accept(p)
	}
}

// accept authenticates an incoming connection and, if the peer is a member
// that is due to dial us, serves it.
func (t *Transport) accept(pend *pending) {
	defer t.wg.Done()
	raw := pend.conn
	setNoDelay(raw)
	p, c, br, certID, err := t.authenticate(raw)
	if !t.pending.finish(pend) {
		t.untrack(raw) // evicted: already counted and logged
		return
	}
	if err == nil {
		// The connection becomes the peer's before the peer hears our
		// hello: of two handshakes from one peer, the one it completes
		// last is the one kept, which is the newest.
		t.adopt(p, raw)
		if err = sendHello(c, t.cfg.ID); err != nil {
			t.release(p, raw)
			err = fmt.Errorf("sending hello: %w", err)
		}
	}
	if err != nil {
		t.handshakeFailed(raw, certID, err)
		return
	}
	raw.SetDeadline(time.Time{})
	t.events.add(label(p.id), EventAccept)
	t.logs.log(info, "connected."+label(p.id), "connected", "peer", uint32(p.id), "remote", raw.RemoteAddr().String(), "direction", "in")
	t.closed(p, t.serve(p, raw, c, br))
}

// authenticate runs the acceptor's side of the handshake and checks the
// peer's hello; the caller answers it. On failure it returns the peer's id
// when its certificate was verified.
func (t *Transport) authenticate(raw net.Conn) (p *peer, c net.Conn, br *bufio.Reader, certID *core.NodeID, err error) {
	c = raw
	if t.cfg.Identity != nil {
		tc := tls.Server(raw, t.cfg.Identity.serverConfig(t.member))
		if err := tc.HandshakeContext(t.ctx); err != nil {
			return nil, nil, nil, nil, handshakeError(err)
		}
		id, err := peerID(tc)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		certID, c = &id, tc
	}
	hello, err := readHello(c)
	if err != nil {
		return nil, nil, nil, certID, fmt.Errorf("no hello from the peer: %w", err)
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
		return nil, nil, nil, certID, err
	}
	return t.peers[id], c, bufio.NewReaderSize(c, ioBuffer), &id, nil
}
