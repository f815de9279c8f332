package kv

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rondo-dev/rondo/core"
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
		mux.HandleFunc("POST /admin/partition", s.partition)
		mux.HandleFunc("POST /admin/heal", func(w http.ResponseWriter, r *http.Request) {
			s.opts.Admin.Heal()
			reply(w, http.StatusOK, map[string]any{"healed": true}, "")
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k, ok := strings.CutPrefix(r.URL.EscapedPath(), "/kv/"); ok && strings.Contains(k, "/") {
			badPath(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
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
func checkKey(k string) error {
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
func request(w http.ResponseWriter, r *http.Request) (string, Clock, bool) {
	key := r.PathValue("key")
	if err := checkKey(key); err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return "", nil, false
	}
	token, err := ParseClock(r.Header.Get(SessionHeader))
	if err != nil {
		fail(w, http.StatusBadRequest, SessionHeader+": "+err.Error())
		return "", nil, false
	}
	return key, token, true
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) {
	key, token, ok := request(w, r)
	if !ok {
		return
	}
	if !token.IsZero() {
		wait := s.opts.SessionWait
		if q := r.URL.Query().Get("wait"); q != "" {
			d, err := time.ParseDuration(q)
			if err != nil || d < 0 || d > time.Minute {
				fail(w, http.StatusBadRequest, "wait must be a duration between 0s and 1m, like 500ms")
				return
			}
			wait = d
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		if !s.waitFor(token, timer.C) {
			w.Header().Set("Retry-After", "1")
			fail(w, http.StatusServiceUnavailable, fmt.Sprintf(
				"replica %d has not yet received every write of your session (it has %q, your session needs %q); retry, or read from the replica you wrote to",
				s.id, s.snapshotClock().String(), token.String()))
			return
		}
	}
	f, c, err := s.read(key)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	c.Merge(token)
	if f.absent() {
		w.Header().Set(SessionHeader, c.String())
		fail(w, http.StatusNotFound, fmt.Sprintf("no key %q", key))
		return
	}
	rep := Reply{Key: key, Session: c.String()}
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
			reply(w, http.StatusMultipleChoices, rep, c.String()) // siblings: no single value to give
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set(SessionHeader, c.String())
		if rep.Version != "" {
			w.Header().Set("Rondo-Version", rep.Version)
		}
		io.WriteString(w, *rep.Value)
		return
	}
	reply(w, http.StatusOK, rep, c.String())
}

func (s *Service) put(w http.ResponseWriter, r *http.Request) {
	key, token, ok := request(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxValue))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("value larger than %d bytes", MaxValue))
			return
		}
		fail(w, http.StatusBadRequest, "reading the value: "+err.Error())
		return
	}
	s.write(w, key, token, write{Key: key, Value: body})
}

func (s *Service) del(w http.ResponseWriter, r *http.Request) {
	key, token, ok := request(w, r)
	if !ok {
		return
	}
	s.write(w, key, token, write{Key: key, Delete: true})
}

// write applies a PUT or DELETE at this replica and acknowledges it once
// the replica has made it durable; anti-entropy spreads it afterwards.
func (s *Service) write(w http.ResponseWriter, key string, token Clock, op write) {
	f, c, err := s.read(key, op)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, fmt.Sprintf("replica %d could not apply the write: %v", s.id, err))
		return
	}
	c.Merge(token)
	rep := Reply{Key: key, Deleted: op.Delete, Session: c.String()}
	if f.entry != nil && !s.opts.Causal {
		rep.Version = f.entry.Version.String()
	}
	reply(w, http.StatusOK, rep, c.String())
}

func (s *Service) snapshotClock() Clock {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Clock{}
	c.Merge(s.clock)
	return c
}

// Status is the body of GET /status. Digest is a hash of the replica's
// whole state (every key, version and tombstone, and the session clock):
// replicas that converged have equal digests.
type Status struct {
	ID      core.NodeID `json:"id"`
	Keys    int         `json:"keys"`
	Session string      `json:"session"`
	Digest  string      `json:"digest"`
}

func (s *Service) status(w http.ResponseWriter, r *http.Request) {
	var st Status
	err := s.do(replica.Read[*Store](func(x *Store) {
		b, _ := x.AppendBinary(nil)
		sum := sha256.Sum256(b)
		st = Status{ID: s.id, Keys: x.Len(), Session: x.Clock().String(), Digest: hex.EncodeToString(sum[:8])}
	}))
	if err != nil {
		fail(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	reply(w, http.StatusOK, st, "")
}

// partition reads {"groups": [[0], [1, 2]]} and cuts this replica's links
// accordingly (a process cuts only its own links: post the same partition
// to every replica to cut the cluster).
func (s *Service) partition(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Groups [][]core.NodeID `json:"groups"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || len(req.Groups) == 0 {
		fail(w, http.StatusBadRequest, `want {"groups": [[0], [1, 2]]}`)
		return
	}
	if err := s.opts.Admin.Partition(req.Groups); err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	reply(w, http.StatusOK, map[string]any{"partitioned": req.Groups, "node": strconv.Itoa(int(s.id))}, "")
}
