package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config describes a Client. Endpoints is required; the rest has defaults.
type Config struct {
	// Endpoints are the replicas' base URLs (http://127.0.0.1:7370).
	Endpoints []string
	// HTTP is the client used for requests (default: one of this
	// Client's own, with keep-alive connections to every endpoint).
	HTTP *http.Client
	// AttemptTimeout bounds one attempt (default 10s): a replica that
	// hangs is given up on and another tried. It must exceed the
	// service's own wait for a commit (5s), or a slow commit turns into
	// an unknown outcome the retry then resolves.
	AttemptTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts (default
	// 10ms and 1s; it doubles from one to the other, with jitter).
	MinBackoff, MaxBackoff time.Duration
	// MaxAttempts bounds the attempts of one operation (default 0: until
	// the context ends).
	MaxAttempts int
	// GiveUpUnreachable, if positive, ends an operation with ErrNotTaken
	// and ErrUnreachable once that many rounds over every endpoint in a
	// row found nothing listening (connection refused, no route): no
	// service runs there, and waiting for the context to end would only
	// delay saying so (a command-line client). A replica that restarts
	// during a leader change refuses connections too, so a program that
	// rides through crashes leaves it 0.
	GiveUpUnreachable int
}

// Client talks to one cluster. It is safe for concurrent use.
type Client struct {
	cfg       Config
	endpoints []string
	http      *http.Client
	sessions  Sessions

	mu     sync.Mutex
	nodes  map[int]int // node id → endpoint index, learned from NodeHeader
	leader int         // the node id last named as leader, or -1
	next   int         // round-robin start when no leader is known
}

// New returns a Client of the replicas at cfg.Endpoints.
func New(cfg Config) (*Client, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("kv client: no endpoints")
	}
	var eps []string
	for _, e := range cfg.Endpoints {
		e = strings.TrimRight(strings.TrimSpace(e), "/")
		if !strings.Contains(e, "://") {
			e = "http://" + e
		}
		u, err := url.Parse(e)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("kv client: endpoint %q is not an http(s) URL", e)
		}
		eps = append(eps, e)
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = 10 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 10 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(time.Second, cfg.MinBackoff)
	}
	hc := cfg.HTTP
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 256
		hc = &http.Client{Transport: tr}
	}
	return &Client{cfg: cfg, endpoints: eps, http: hc, nodes: map[int]int{}, leader: -1}, nil
}

// Endpoints are the base URLs the Client uses.
func (c *Client) Endpoints() []string { return append([]string(nil), c.endpoints...) }

// Close releases the Client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// request is one operation, as attempts send it.
type request struct {
	op, key string
	method  string
	path    string // escaped path and query
	body    []byte
	json    bool // ask for JSON (Accept: application/json)
	write   bool // carries a session
}

// response is an answer that ends the operation: a success, or an answer
// such as 404 or 412 that the caller interprets.
type response struct {
	status int
	header http.Header
	body   []byte
}

// outcome classifies one attempt.
type outcome int

const (
	answered outcome = iota // a response that ends the operation
	refused                 // a 4xx: definite, final
	notTaken                // did not take effect: retry
	unknown                 // may have taken effect: retry with the same session and number
)

// do runs r until it is answered, refused, or the context (or
// MaxAttempts) ends it.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	var s *Session
	if r.write {
		s = c.sessions.Get()
		s.Seq++
		defer c.sessions.Put(s)
	}
	maybe := false  // some attempt may have taken effect
	refusedRun := 0 // attempts in a row that reached nothing
	var last error
	backoff := c.cfg.MinBackoff
	for attempt := 1; ; attempt++ {
		ep := c.pick(attempt)
		resp, how, err := c.attempt(ctx, ep, r, s)
		switch how {
		case answered:
			return resp, nil
		case refused:
			return nil, err
		case unknown:
			maybe = true
		}
		if isDialError(err) {
			refusedRun++
		} else {
			refusedRun = 0
		}
		last = err
		cause := ErrNotTaken
		if maybe {
			cause = ErrUnknownOutcome
		}
		if ctx.Err() != nil || c.cfg.MaxAttempts > 0 && attempt >= c.cfg.MaxAttempts {
			return nil, &failure{op: r.op, key: r.key, cause: cause, last: last, tries: attempt}
		}
		if c.cfg.GiveUpUnreachable > 0 && refusedRun >= c.cfg.GiveUpUnreachable*len(c.endpoints) {
			return nil, &failure{op: r.op, key: r.key, cause: cause, last: fmt.Errorf("%w: %v", ErrUnreachable, last), tries: attempt}
		}
		// Full jitter: clients that failed together do not retry together.
		wait := time.Duration(rand.Int64N(int64(backoff))) + backoff/2
		backoff = min(2*backoff, c.cfg.MaxBackoff)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &failure{op: r.op, key: r.key, cause: cause, last: last, tries: attempt}
		case <-t.C:
		}
	}
}

// pick chooses the endpoint of an attempt: the leader's if known (the
// first attempt and every other one after, so that a stale belief does
// not trap the client), otherwise round robin.
func (c *Client) pick(attempt int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ep, ok := c.nodes[c.leader]; ok && attempt%2 == 1 {
		return ep
	}
	c.next = (c.next + 1) % len(c.endpoints)
	return c.next
}

// learn records what a response says of the cluster.
func (c *Client) learn(ep int, h http.Header) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id, err := strconv.Atoi(h.Get(NodeHeader)); err == nil && id >= 0 {
		c.nodes[id] = ep
	}
	if l := h.Get(LeaderHeader); l != "" {
		if id, err := strconv.Atoi(l); err == nil && id >= 0 {
			c.leader = id
		}
	} else if h.Get(NodeHeader) != "" {
		c.leader = -1
	}
}

// forget drops the belief that endpoint ep leads, after it failed.
func (c *Client) forget(ep int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.nodes[c.leader]; ok && e == ep {
		c.leader = -1
	}
}

// attempt sends r once to endpoint ep.
func (c *Client) attempt(ctx context.Context, ep int, r request, s *Session) (*response, outcome, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, r.method, c.endpoints[ep]+r.path, bytes.NewReader(r.body))
	if err != nil {
		return nil, refused, &Error{Op: r.op, Key: r.key, Message: err.Error()}
	}
	if r.json {
		req.Header.Set("Accept", "application/json")
		if len(r.body) > 0 {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if s != nil {
		req.Header.Set(ClientHeader, FormatUint(s.ID))
		req.Header.Set(SeqHeader, FormatUint(s.Seq))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.forget(ep)
		// A request that never reached the replica did not take effect; one
		// that may have (the connection broke after it was sent, or the
		// attempt timed out waiting) may have.
		if isDialError(err) {
			return nil, notTaken, fmt.Errorf("%s: %w", c.endpoints[ep], err)
		}
		if !r.write {
			return nil, notTaken, fmt.Errorf("%s: %w", c.endpoints[ep], err)
		}
		return nil, unknown, fmt.Errorf("%s: %w", c.endpoints[ep], err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.forget(ep)
		how := unknown
		if !r.write {
			how = notTaken
		}
		return nil, how, fmt.Errorf("%s: reading the answer: %w", c.endpoints[ep], err)
	}
	c.learn(ep, resp.Header)
	switch code := resp.StatusCode; {
	case code < 300, code == http.StatusNotFound, code == http.StatusPreconditionFailed:
		// 404 and 412 are answers (no such key; a CAS that did not swap):
		// the operation says what they mean.
		return &response{status: code, header: resp.Header, body: body}, answered, nil
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return nil, refused, &Error{Op: r.op, Key: r.key, StatusCode: code, Message: message(body)}
	default:
		// 503, 504, 408, 429, a proxy's 502: the answer says whether the
		// operation may have taken effect; without a word from the
		// service, a write may have.
		how := notTaken
		if r.write && resp.Header.Get(OutcomeHeader) != OutcomeNotTaken {
			how = unknown
		}
		return nil, how, fmt.Errorf("%s: %d: %s", c.endpoints[ep], code, message(body))
	}
}

// isDialError: the connection was never made, so the request never left.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// message is the explanation in an error body.
func message(body []byte) string {
	var e ErrorReply
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
