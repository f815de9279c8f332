package kv

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/lattice"
	"github.com/rondo-dev/rondo/replica"
)

// SessionHeader carries a read-your-writes session token: requests send
// the token of the last response; every response returns the token joined
// with the replica's clock.
const SessionHeader = "Rondo-Session"

// Handler serves the KV's HTTP API for this replica:
//
//	GET    /kv/{key}   the value (JSON; ?raw for the bytes alone)
//	PUT    /kv/{key}   store the request body as the value
//	DELETE /kv/{key}   delete the key
//	GET    /status     replica id, key count, session clock, state digest
//	POST   /admin/partition, /admin/heal   (only with Options.Admin)
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /kv/{key}", s.get)
	mux.HandleFunc("PUT /kv/{key}", s.put)
	mux.HandleFunc("DELETE /kv/{key}", s.del)
	badPath := func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusBadRequest, "the path must be /kv/KEY with a non-empty KEY without '/' (escape it as %2F)")
	}
	mux.HandleFunc("/kv/{$}", badPath)
	mux.HandleFunc("GET /status", s.status)
	if s.opts.Admin != nil {
		AdminRoutes(mux, s.opts.Admin, s.id)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k, ok := strings.CutPrefix(r.URL.EscapedPath(), "/kv/"); ok && strings.Contains(k, "/") {
			badPath(w, r)
			return
		}
		// The mux would answer a path with "." or ".." steps (/kv/..) with
		// a redirect to its cleaned form, and no body: say what is wrong.
		if p := r.URL.Path; !clean(p) {
			fail(w, http.StatusBadRequest, fmt.Sprintf("the path %q has '.' or '..' steps or repeated '/': "+
				"KEY may not be '.' or '..' (HTTP clients and proxies rewrite those as path steps)", p))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// clean reports whether p is in the form the mux serves without a
// redirect: no "." or ".." steps, no repeated '/' (a trailing '/' is fine).
func clean(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// Reply is the JSON body of a successful /kv response.
type Reply struct {
	Key string `json:"key"`
	// Value is the value read (absent from write replies, and when a
	// causal key has siblings); it may be the empty string.
	Value *string `json:"value,omitempty"`
	// Values are the siblings of a causal key written concurrently.
	Values  []string `json:"values,omitempty"`
	Version string   `json:"version,omitempty"`
	Deleted bool     `json:"deleted,omitempty"`
	Session string   `json:"session"`
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Time, v.Node) }

func reply(w http.ResponseWriter, code int, body any, session string) {
	w.Header().Set("Content-Type", "application/json")
	if session != "" {
		w.Header().Set(SessionHeader, session)
	}
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body)
}

func fail(w http.ResponseWriter, code int, msg string) {
	reply(w, code, map[string]string{"error": msg}, "")
}

// checkKey refuses keys that are empty, too long, not UTF-8 or hold
// control characters.
func CheckKey(k string) error {
	switch {
	case k == "":
		return errors.New("empty key")
	case len(k) > MaxKey:
		return fmt.Errorf("key of %d bytes; keys have at most %d", len(k), MaxKey)
	case !utf8.ValidString(k):
		return errors.New("key is not valid UTF-8")
	}
	for _, c := range k {
		if unicode.IsControl(c) {
			return fmt.Errorf("key holds control character %U", c)
		}
	}
	return nil
}

// request parses the key and the session token of a /kv request.
func request(w http.ResponseWriter, r *http.Request) (string, *lattice.VClock, bool) {
	key := r.PathValue("key")
	if err := CheckKey(key); err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return "", nil, false
	}
	token, err := ParseSession(r.Header.Get(SessionHeader))
	if err != nil {
		fail(w, http.StatusBadRequest, SessionHeader+": "+err.Error())
		return "", nil, false
	}
	return key, token, true
}

// maxWait bounds ?wait=D.
const maxWait = time.Minute

func (s *Service) get(w http.ResponseWriter, r *http.Request) {
	key, token, ok := request(w, r)
	if !ok {
		return
	}
	if !token.IsBot() {
		wait := s.opts.SessionWait
		if q := r.URL.Query().Get("wait"); q != "" {
			d, err := time.ParseDuration(q)
			if err != nil || d < 0 || d > maxWait {
				fail(w, http.StatusBadRequest, "wait must be a duration between 0s and 1m, like 500ms")
				return
			}
			wait = d
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		if !s.waitFor(r.Context(), token, timer.C) {
			if r.Context().Err() != nil {
				return // the client went away
			}
			w.Header().Set("Retry-After", "1")
			fail(w, http.StatusServiceUnavailable, fmt.Sprintf(
				"replica %d has not yet received every write of your session (it has %q, your session needs %q); retry, or read from the replica you wrote to",
				s.id, FormatSession(s.snapshotClock()), FormatSession(token)))
			return
		}
	}
	f, c, err := s.read(r.Context(), key)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	c.Merge(token)
	session := FormatSession(c)
	if f.absent() {
		w.Header().Set(SessionHeader, session)
		fail(w, http.StatusNotFound, fmt.Sprintf("no key %q", key))
		return
	}
	rep := Reply{Key: key, Session: session}
	if e := f.entry; e != nil && !s.opts.Causal {
		v := string(e.Value)
		rep.Value, rep.Version = &v, e.Version.String()
	} else if len(f.values) == 1 {
		rep.Value = &f.values[0]
	} else {
		rep.Values = f.values
	}
	if _, raw := r.URL.Query()["raw"]; raw {
		if rep.Values != nil {
			reply(w, http.StatusMultipleChoices, rep, session) // siblings: no single value to give
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set(SessionHeader, session)
		if rep.Version != "" {
			w.Header().Set("Rondo-Version", rep.Version)
		}
		io.WriteString(w, *rep.Value)
		return
	}
	reply(w, http.StatusOK, rep, session)
}

// failed answers a request the replica could not serve: nothing when the
// client went away, 503 otherwise.
func (s *Service) failed(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return
	}
	fail(w, http.StatusServiceUnavailable, err.Error())
}

func (s *Service) put(w http.ResponseWriter, r *http.Request) {
	key, token, ok := request(w, r)
	if !ok {
		return
	}
	// A slot before the body: bodies in memory stay below MaxPuts × MaxValue
	// however many clients upload at once.
	select {
	case s.puts <- struct{}{}:
		defer func() { <-s.puts }()
	default:
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Connection", "close")
		fail(w, http.StatusServiceUnavailable, fmt.Sprintf("too many writes in progress (at most %d at once); retry", cap(s.puts)))
		return
	}
	if r.ContentLength > MaxValue {
		w.Header().Set("Connection", "close")
		fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("value larger than %d bytes", MaxValue))
		return
	}
	body, err := ReadBody(http.MaxBytesReader(w, r.Body, MaxValue), r.ContentLength, MaxValue)
	if err != nil {
		var tooBig *http.MaxBytesError
		var timeout net.Error
		switch {
		case errors.As(err, &tooBig):
			fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("value larger than %d bytes", MaxValue))
		case errors.As(err, &timeout) && timeout.Timeout():
			w.Header().Set("Connection", "close")
			fail(w, http.StatusRequestTimeout, fmt.Sprintf("the value did not arrive within %v", s.opts.Limits.ReadTimeout))
		default:
			fail(w, http.StatusBadRequest, "reading the value: "+err.Error())
		}
		return
	}
	s.write(w, r, key, token, write{Key: key, Value: body})
}

// ReadBody reads a request body into a buffer sized by its Content-Length
// (when there is one, and within limit), so that a value is held once, not
// in the doubling buffers of io.ReadAll. The body should be bounded
// (http.MaxBytesReader): limit only sizes the buffer.
func ReadBody(body io.Reader, length, limit int64) ([]byte, error) {
	b := make([]byte, 0, min(max(length, 0), limit)+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (s *Service) del(w http.ResponseWriter, r *http.Request) {
	key, token, ok := request(w, r)
	if !ok {
		return
	}
	s.write(w, r, key, token, write{Key: key, Delete: true})
}

// write applies a PUT or DELETE at this replica and acknowledges it once
// the replica has made it durable; anti-entropy spreads it afterwards.
func (s *Service) write(w http.ResponseWriter, r *http.Request, key string, token *lattice.VClock, op write) {
	var refused error
	f, c, err := s.read(r.Context(), key, replica.Op{Body: op, Done: func(err error) { refused = err }})
	switch {
	case err != nil:
		s.failed(w, r, fmt.Errorf("replica %d could not apply the write: %w", s.id, err))
		return
	case errors.Is(refused, replica.ErrTooLarge):
		fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("replica %d refused the write: %v", s.id, refused))
		return
	case refused != nil:
		fail(w, http.StatusInternalServerError, fmt.Sprintf("replica %d refused the write: %v", s.id, refused))
		return
	}
	c.Merge(token)
	rep := Reply{Key: key, Deleted: op.Delete, Session: FormatSession(c)}
	if f.entry != nil && !s.opts.Causal {
		rep.Version = f.entry.Version.String()
	}
	reply(w, http.StatusOK, rep, rep.Session)
}

// Status is the body of GET /status. Digest is a hash of the replica's
// whole state (every key, version and tombstone, and the session clock):
// replicas that converged have equal digests. Writing counts the PUTs in
// progress (reading their value or being applied), Waiting the reads
// waiting for their session to arrive.
type Status struct {
	ID      core.NodeID `json:"id"`
	Keys    int         `json:"keys"`
	Session string      `json:"session"`
	Digest  string      `json:"digest"`
	Writing int         `json:"writing"`
	Waiting int64       `json:"waiting"`
}

func (s *Service) status(w http.ResponseWriter, r *http.Request) {
	var st Status
	err := s.do(r.Context(), replica.Read[*Store](func(x *Store) {
		b, _ := x.AppendBinary(nil)
		sum := sha256.Sum256(b)
		st = Status{ID: s.id, Keys: x.Len(), Session: FormatSession(x.Clock()), Digest: hex.EncodeToString(sum[:8]),
			Writing: len(s.puts), Waiting: s.waiting.Load()}
	}))
	if err != nil {
		s.failed(w, r, err)
		return
	}
	reply(w, http.StatusOK, st, "")
}

// AdminRoutes serves POST /admin/partition and POST /admin/heal on mux,
// driving a: the fault routes of both KV modes.
func AdminRoutes(mux *http.ServeMux, a Admin, id core.NodeID) {
	mux.HandleFunc("POST /admin/partition", func(w http.ResponseWriter, r *http.Request) { partition(w, r, a, id) })
	mux.HandleFunc("POST /admin/heal", func(w http.ResponseWriter, r *http.Request) {
		a.Heal()
		reply(w, http.StatusOK, map[string]any{"healed": true}, "")
	})
}

// partition reads {"groups": [[0], [1, 2]]} and cuts this replica's links
// accordingly (a process cuts only its own links: post the same partition
// to every replica to cut the cluster).
func partition(w http.ResponseWriter, r *http.Request, a Admin, id core.NodeID) {
	var req struct {
		Groups [][]core.NodeID `json:"groups"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || len(req.Groups) == 0 {
		fail(w, http.StatusBadRequest, `want {"groups": [[0], [1, 2]]}`)
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		fail(w, http.StatusBadRequest, `trailing data after the JSON object; want exactly {"groups": [[0], [1, 2]]}`)
		return
	}
	if err := a.Partition(req.Groups); err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	reply(w, http.StatusOK, map[string]any{"partitioned": req.Groups, "node": strconv.Itoa(int(id))}, "")
}
