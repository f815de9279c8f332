package transport

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rondo-dev/rondo/core"
)

// Metric names, exported on the node's /metrics page. Every series carries a
// peer label (the peer's node id, or "unknown" for a connection refused
// before its peer was known).
const (
	MetricMessagesSent     = "rondo_transport_messages_sent_total"
	MetricBytesSent        = "rondo_transport_bytes_sent_total"
	MetricMessagesReceived = "rondo_transport_messages_received_total"
	MetricBytesReceived    = "rondo_transport_bytes_received_total"
	MetricMessagesDropped  = "rondo_transport_messages_dropped_total"
	MetricConnEvents       = "rondo_transport_connection_events_total"
	MetricQueueLength      = "rondo_transport_queue_length"
	// MetricPendingHandshakes has no peer label: the connections it
	// counts have not said who they are yet.
	MetricPendingHandshakes = "rondo_transport_pending_handshakes"
)

// Drop reasons (the reason label of MetricMessagesDropped).
const (
	DropQueueFull = "queue_full" // the peer's send queue was full
	DropFault     = "fault"      // injected loss
	DropPartition = "partition"  // an injected partition cut the pair
	DropTooLarge  = "too_large"  // the message exceeded the frame limit
	DropClosed    = "closed"     // the transport closed before sending
	DropRejected  = "rejected"   // the receiver's handler refused it
)

var dropReasons = []string{DropQueueFull, DropFault, DropPartition, DropTooLarge, DropClosed, DropRejected}

// Connection events (the event label of MetricConnEvents).
const (
	EventDial       = "dial"        // a dial succeeded and the peer authenticated
	EventDialFailed = "dial_failed" // the TCP dial failed (peer down?)
	EventAccept     = "accept"      // an incoming connection authenticated
	EventRefused    = "refused"     // a handshake failed a check: certificate, name, hello, direction
	EventClosed     = "closed"      // an established connection ended
	// EventAborted: the peer closed or reset the connection during the
	// handshake (it crashed or stopped, or gave up on us).
	EventAborted = "aborted"
	// EventHandshakeTimeout: the handshake did not complete within
	// Config.HandshakeTimeout and the connection was closed.
	EventHandshakeTimeout = "handshake_timeout"
	// EventEvicted: a pending handshake was closed to admit a newer
	// connection (the pending set was full, overall or for its address).
	EventEvicted = "evicted"
)

// counters are one peer's figures. They are plain atomics on the hot path
// and become Prometheus series only when scraped.
type counters struct {
	sent, sentBytes, recv, recvBytes atomic.Uint64
	dropped                          [6]atomic.Uint64 // indexed like dropReasons
}

func (c *counters) drop(reason string) {
	for i, r := range dropReasons {
		if r == reason {
			c.dropped[i].Add(1)
			return
		}
	}
}

// Stats are a transport's totals over all peers.
type Stats struct {
	MessagesSent, BytesSent         uint64
	MessagesReceived, BytesReceived uint64
	MessagesDropped                 uint64
}

// Stats sums the counters of every peer.
func (t *Transport) Stats() Stats {
	var s Stats
	for _, p := range t.peers {
		if p == nil {
			continue
		}
		s.MessagesSent += p.c.sent.Load()
		s.BytesSent += p.c.sentBytes.Load()
		s.MessagesReceived += p.c.recv.Load()
		s.BytesReceived += p.c.recvBytes.Load()
		for i := range p.c.dropped {
			s.MessagesDropped += p.c.dropped[i].Load()
		}
	}
	return s
}

// connEvents counts connection events by (peer, event). They are rare, so a
// mutex-guarded map is enough.
type connEvents struct {
	mu sync.Mutex
	m  map[[2]string]uint64
}

func (e *connEvents) add(peer, event string) {
	e.mu.Lock()
	if e.m == nil {
		e.m = make(map[[2]string]uint64)
	}
	e.m[[2]string{peer, event}]++
	e.mu.Unlock()
}

// get returns one count.
func (e *connEvents) get(peer, event string) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.m[[2]string{peer, event}]
}

var (
	descSent      = prometheus.NewDesc(MetricMessagesSent, "Messages written to a peer's connection.", []string{"peer"}, nil)
	descSentBytes = prometheus.NewDesc(MetricBytesSent, "Bytes (frame headers included) written to a peer's connection.", []string{"peer"}, nil)
	descRecv      = prometheus.NewDesc(MetricMessagesReceived, "Messages read from a peer and handed to the node.", []string{"peer"}, nil)
	descRecvBytes = prometheus.NewDesc(MetricBytesReceived, "Bytes (frame headers included) read from a peer.", []string{"peer"}, nil)
	descDropped   = prometheus.NewDesc(MetricMessagesDropped, "Messages to or from a peer that were dropped, by reason.", []string{"peer", "reason"}, nil)
	descConn      = prometheus.NewDesc(MetricConnEvents, "Connection events with a peer: dial, dial_failed, accept, refused, aborted, handshake_timeout, evicted, closed.", []string{"peer", "event"}, nil)
	descQueue     = prometheus.NewDesc(MetricQueueLength, "Messages waiting in a peer's send queue.", []string{"peer"}, nil)
	descPending   = prometheus.NewDesc(MetricPendingHandshakes, "Incoming connections whose handshake is in progress.", nil, nil)
)

// collector exposes a transport's counters to Prometheus.
type collector struct{ t *Transport }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSent, descSentBytes, descRecv, descRecvBytes, descDropped, descConn, descQueue, descPending} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, p := range c.t.peers {
		if p == nil {
			continue
		}
		id := strconv.FormatUint(uint64(p.id), 10)
		counter(descSent, p.c.sent.Load(), id)
		counter(descSentBytes, p.c.sentBytes.Load(), id)
		counter(descRecv, p.c.recv.Load(), id)
		counter(descRecvBytes, p.c.recvBytes.Load(), id)
		for i, r := range dropReasons {
			counter(descDropped, p.c.dropped[i].Load(), id, r)
		}
		ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(p.q.len()), id)
	}
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(c.t.pending.len()))
	c.t.events.mu.Lock()
	defer c.t.events.mu.Unlock()
	for k, v := range c.t.events.m {
		counter(descConn, v, k[0], k[1])
	}
}

// Collector returns a Prometheus collector for this transport's metrics.
// Register it with a per-node registry (wrapped with a node label when
// several nodes share one process) rather than the global one.
func (t *Transport) Collector() prometheus.Collector { return collector{t} }

// CountTooLarge counts a message to node to that its sender refused before
// handing it over because it exceeds the frame limit (a message to self has
// no peer and is not counted).
func (t *Transport) CountTooLarge(to core.NodeID) {
	if int(to) < len(t.peers) && t.peers[to] != nil {
		t.peers[to].c.drop(DropTooLarge)
	}
}
