package transport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// ioBuffer sizes each connection's read and write buffers: large enough
// that a burst of small messages becomes one TLS record and one syscall.
const ioBuffer = 64 << 10

var errPeerClosed = errors.New("peer closed the connection")

// closed counts and logs why an established connection ended. A peer that
// went away, even in the middle of a frame (a crash under load), is news,
// not a fault: INFO. A frame that breaks the rules or a message the node
// refused is a misbehaving peer: WARN.
func (t *Transport) closed(p *peer, reason error) {
	t.events.add(label(p.id), EventClosed)
	kind := "closed." + label(p.id)
	switch {
	case t.ctx.Err() != nil:
		t.log.Debug("connection closed", "peer", uint32(p.id), "reason", "transport closing")
	case hungUp(reason):
		t.logs.log(info, kind, "connection closed", "peer", uint32(p.id), "reason", reason.Error())
	case errors.Is(reason, ErrFrame) || errors.Is(reason, errRejected):
		t.logs.log(warn, kind, "closing connection", "peer", uint32(p.id), "reason", reason.Error())
	default:
		t.logs.log(info, kind, "connection closed", "peer", uint32(p.id), "reason", reason.Error())
	}
}

var errRejected = errors.New("message rejected")

// adopt makes raw p's connection. A member has at most one: when it dials
// again (it restarted, or lost the old connection before we noticed), the
// newest connection wins and the old one is closed.
func (t *Transport) adopt(p *peer, raw net.Conn) {
	p.mu.Lock()
	old := p.conn
	p.conn = raw
	p.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// release forgets raw as p's connection, unless a newer one replaced it.
func (t *Transport) release(p *peer, raw net.Conn) {
	p.mu.Lock()
	if p.conn == raw {
		p.conn = nil
	}
	p.mu.Unlock()
}

// serve runs p's adopted connection until either direction fails: this
// goroutine reads, a second one writes.
func (t *Transport) serve(p *peer, raw, c net.Conn, br *bufio.Reader) error {
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
	t.release(p, raw)
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
