package kv

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// HTTPLimits bound what clients can hold of a replica's HTTP server: how
// long a request may take to arrive, how many connections and uploads may
// be open at once. The zero value takes every default. With the defaults,
// request bodies in memory never exceed MaxPuts × MaxValue (64 MiB).
type HTTPLimits struct {
	// ReadHeaderTimeout bounds the wait for a request's header (default
	// 5s): a connection that sends nothing is closed.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included (default
	// 30s): a stalled upload is cut off with 408.
	ReadTimeout time.Duration
	// WriteTimeout bounds a response from the end of its request's header
	// (default 90s: a read may wait up to a minute for its session).
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle for this long
	// (default 60s).
	IdleTimeout time.Duration
	// MaxConns bounds the open connections (default 512); past it a new
	// connection is answered 503 and closed.
	MaxConns int
	// MaxPuts bounds the PUTs in progress (default 64); past it a PUT is
	// answered 503 before its body is read.
	MaxPuts int
	// MaxHeaderBytes bounds a request's header (default 64 KiB).
	MaxHeaderBytes int
}

func (l *HTTPLimits) defaults() {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&l.ReadHeaderTimeout, 5*time.Second)
	set(&l.ReadTimeout, 30*time.Second)
	set(&l.WriteTimeout, 90*time.Second)
	set(&l.IdleTimeout, 60*time.Second)
	if l.MaxConns <= 0 {
		l.MaxConns = 512
	}
	if l.MaxPuts <= 0 {
		l.MaxPuts = 64
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 64 << 10
	}
}

// limitListener holds at most cap(slots) accepted connections open at once.
// A connection past the limit is answered 503 at once and closed, so that
// its client learns why rather than waiting in the accept queue.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

// LimitListener wraps ln so that at most max accepted connections are
// open at once; a connection past the limit is answered 503 and closed.
// Both KV modes serve their HTTP API through it.
func LimitListener(ln net.Listener, max int) net.Listener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, max)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &limitConn{Conn: c, release: sync.OnceFunc(func() { <-l.slots })}, nil
		default:
			refuse(c, cap(l.slots))
		}
	}
}

// refuse answers a connection past the limit and closes it. The write goes
// into an empty socket buffer, so it does not block the accept loop; the
// deadline is there for a peer that never reads.
func refuse(c net.Conn, limit int) {
	body := fmt.Sprintf(`{"error":"too many connections: this replica serves at most %d at once; retry"}`+"\n", limit)
	c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"+
		"Connection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	c.Close()
}

// limitConn gives its slot back when closed.
type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// WithDefaults returns l with every zero field set to its default.
func (l HTTPLimits) WithDefaults() HTTPLimits {
	l.defaults()
	return l
}
