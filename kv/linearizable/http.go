package linearizable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/kv"
	"github.com/rondo-dev/rondo/kv/client"
	"github.com/rondo-dev/rondo/kv/machine"
)

// backend is the replica behind the HTTP API: the replicated log it hands
// commands to. Its errors are *opError (or count as unknown outcomes).
type backend interface {
	// Write hands an encoded command to the log under a session (client
	// 0: none) and returns its encoded result once it is applied and
	// durable here.
	Write(ctx context.Context, client, seq uint64, cmd []byte) ([]byte, error)
	// Read runs an encoded query linearizably and returns its result.
	Read(ctx context.Context, q []byte) ([]byte, error)
	// Status is where this replica stands.
	Status() client.Status
}

// api serves the HTTP API of one replica.
type api struct {
	b      backend
	id     core.NodeID
	bodies *budget
	admin  kv.Admin
}

// maxCASBody bounds a compare-and-set's JSON body: two values in base64
// and their field names.
const maxCASBody = 3*machine.MaxValue + 4096

// handler serves:
//
//	GET    /kv/KEY        the value, raw (404 when absent); JSON with ?json or Accept: application/json
//	PUT    /kv/KEY        store the body as the value
//	DELETE /kv/KEY        delete the key
//	POST   /cas/KEY       compare-and-set (client.CASRequest)
//	GET    /kv?prefix=P   list by prefix, or ?start=A&end=B by range; &limit=N, &keys
//	GET    /status        this replica's id, leader, applied state
//	POST   /admin/partition, /admin/heal (with an Admin)
func (a *api) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /kv/{key}", a.get)
	mux.HandleFunc("PUT /kv/{key}", a.put)
	mux.HandleFunc("DELETE /kv/{key}", a.del)
	mux.HandleFunc("/kv/{key}", a.methods("GET, PUT, DELETE"))
	mux.HandleFunc("POST /cas/{key}", a.cas)
	mux.HandleFunc("/cas/{key}", a.methods("POST"))
	mux.HandleFunc("GET /kv", a.list)
	mux.HandleFunc("/kv", a.methods("GET"))
	mux.HandleFunc("GET /status", a.status)
	mux.HandleFunc("/status", a.methods("GET"))
	if a.admin != nil {
		kv.AdminRoutes(mux, a.admin, a.id)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, &opError{status: http.StatusNotFound, outcome: client.OutcomeNotTaken, leader: -1,
			msg: fmt.Sprintf("no route %s %s: the API is GET, PUT, DELETE /kv/KEY, POST /cas/KEY, GET /kv?prefix=P, GET /status",
				r.Method, r.URL.Path)})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := a.b.Status()
		w.Header().Set(client.NodeHeader, strconv.Itoa(st.ID))
		if st.Leader >= 0 {
			w.Header().Set(client.LeaderHeader, strconv.Itoa(st.Leader))
		}
		p := r.URL.EscapedPath()
		for _, prefix := range []string{"/kv/", "/cas/"} {
			if k, ok := strings.CutPrefix(p, prefix); ok && (k == "" || strings.Contains(k, "/")) {
				a.refuse(w, http.StatusBadRequest, fmt.Sprintf("the path must be %sKEY with a non-empty KEY without '/' (escape it as %%2F)", prefix))
				return
			}
		}
		if strings.Contains(p, "/./") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..") {
			a.refuse(w, http.StatusBadRequest, fmt.Sprintf("the path %q has '.' or '..' steps: KEY may not be '.' or '..' "+
				"(HTTP clients and proxies rewrite those as path steps)", r.URL.Path))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// methods answers a known route asked with the wrong method.
func (a *api) methods(allowed string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allowed)
		a.refuse(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allowed))
	}
}

func reply(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body)
}

// fail answers an error: its status, its outcome in OutcomeHeader and the
// body, and Retry-After when a retry may succeed.
func (a *api) fail(w http.ResponseWriter, e *opError) {
	w.Header().Set(client.OutcomeHeader, e.outcome)
	if e.status == http.StatusServiceUnavailable || e.status == http.StatusGatewayTimeout {
		w.Header().Set("Retry-After", "1")
	}
	body := client.ErrorReply{Error: e.msg, Outcome: e.outcome}
	if e.leader >= 0 {
		l := e.leader
		body.Leader = &l
	}
	reply(w, e.status, body)
}

// refuse answers a request refused for what it is (definite).
func (a *api) refuse(w http.ResponseWriter, code int, msg string) {
	a.fail(w, &opError{status: code, outcome: client.OutcomeNotTaken, leader: -1, msg: msg})
}

// answer maps a failed backend call to its answer; nothing when the
// client went away (it cannot read the answer).
func (a *api) answer(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return
	}
	a.fail(w, asOpError(err, a.b.Status().Leader))
}

// wantsJSON: ?json, or an Accept header that names application/json.
func wantsJSON(r *http.Request) bool {
	if _, ok := r.URL.Query()["json"]; ok {
		return true
	}
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// keyOf parses and checks the request's key.
func (a *api) keyOf(w http.ResponseWriter, r *http.Request) (string, bool) {
	key := r.PathValue("key")
	if err := kv.CheckKey(key); err != nil {
		a.refuse(w, http.StatusBadRequest, err.Error())
		return "", false
	}
	return key, true
}

// session reads a write's Rondo-Client and Rondo-Seq headers: both or
// neither (client 0: no session).
func session(r *http.Request) (id, seq uint64, err error) {
	c, s := r.Header.Get(client.ClientHeader), r.Header.Get(client.SeqHeader)
	if c == "" && s == "" {
		return 0, 0, nil
	}
	if c == "" || s == "" {
		return 0, 0, fmt.Errorf("%s and %s go together: send both or neither", client.ClientHeader, client.SeqHeader)
	}
	id, err1 := strconv.ParseUint(c, 10, 64)
	seq, err2 := strconv.ParseUint(s, 10, 64)
	if err1 != nil || id == 0 {
		return 0, 0, fmt.Errorf("%s must be a decimal number from 1 to 2^64-1, not %q", client.ClientHeader, c)
	}
	if err2 != nil || seq == 0 {
		return 0, 0, fmt.Errorf("%s must be a decimal number from 1 to 2^64-1, not %q", client.SeqHeader, s)
	}
	return id, seq, nil
}

// execute submits a command (a write through the log, a read by the read
// index) and decodes its result; an Invalid result is answered 400 here.
func (a *api) execute(w http.ResponseWriter, r *http.Request, c machine.Command, id, seq uint64) (machine.Result, bool) {
	cmd, err := machine.EncodeCommand(c)
	if err != nil {
		a.refuse(w, http.StatusBadRequest, err.Error())
		return machine.Result{}, false
	}
	var out []byte
	if c.Kind == machine.Get || c.Kind == machine.List {
		out, err = a.b.Read(r.Context(), cmd)
	} else {
		out, err = a.b.Write(r.Context(), id, seq, cmd)
	}
	if err != nil {
		a.answer(w, r, err)
		return machine.Result{}, false
	}
	res, err := machine.DecodeResult(out)
	if err != nil {
		// The machine's own encoding: this is a bug, not bad input. Whether
		// a write took effect is unknown to the client.
		a.fail(w, unknownOutcome(-1, "the replica's result does not decode: %v", err))
		return machine.Result{}, false
	}
	if res.Status == machine.Invalid {
		a.refuse(w, http.StatusBadRequest, res.Err)
		return machine.Result{}, false
	}
	return res, true
}

func (a *api) get(w http.ResponseWriter, r *http.Request) {
	key, ok := a.keyOf(w, r)
	if !ok {
		return
	}
	res, ok := a.execute(w, r, machine.Command{Kind: machine.Get, Key: key}, 0, 0)
	if !ok {
		return
	}
	if res.Status == machine.NotFound {
		reply(w, http.StatusNotFound, client.ErrorReply{Error: fmt.Sprintf("no key %q", key)})
		return
	}
	w.Header().Set(client.RevisionHeader, client.FormatUint(res.Revision))
	if wantsJSON(r) {
		reply(w, http.StatusOK, client.Entry{Key: key, JSONValue: client.EncodeValue(res.Value), Revision: res.Revision})
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(res.Value)))
	w.Write(res.Value)
}

// reserve takes the memory a body of n bytes (-1: unknown) needs from the
// budget, or answers 503; release gives it back.
func (a *api) reserve(w http.ResponseWriter, n, most int64) (int64, bool) {
	if n < 0 || n > most {
		n = most
	}
	if !a.bodies.reserve(n) {
		w.Header().Set("Connection", "close")
		a.fail(w, notTaken(-1, "too many bytes of writes in progress (at most %d at once); retry", a.bodies.max))
		return 0, false
	}
	return n, true
}

// readBody reads at most limit bytes of a body, answering 413 past it, 408
// for a stalled upload and 400 for a broken one.
func (a *api) readBody(w http.ResponseWriter, r *http.Request, limit int64, what string) ([]byte, bool) {
	if r.ContentLength > limit {
		w.Header().Set("Connection", "close")
		a.refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s of %d bytes; at most %d", what, r.ContentLength, limit))
		return nil, false
	}
	b, err := kv.ReadBody(http.MaxBytesReader(w, r.Body, limit), r.ContentLength, limit)
	if err == nil {
		return b, true
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		a.refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s larger than %d bytes", what, limit))
	case isTimeout(err):
		w.Header().Set("Connection", "close")
		a.refuse(w, http.StatusRequestTimeout, fmt.Sprintf("the %s did not arrive in time", what))
	default:
		a.refuse(w, http.StatusBadRequest, fmt.Sprintf("reading the %s: %v", what, err))
	}
	return nil, false
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// writeRequest parses what every write has: key, session.
func (a *api) writeRequest(w http.ResponseWriter, r *http.Request) (key string, id, seq uint64, ok bool) {
	if key, ok = a.keyOf(w, r); !ok {
		return
	}
	id, seq, err := session(r)
	if err != nil {
		a.refuse(w, http.StatusBadRequest, err.Error())
		return "", 0, 0, false
	}
	return key, id, seq, true
}

func (a *api) put(w http.ResponseWriter, r *http.Request) {
	key, id, seq, ok := a.writeRequest(w, r)
	if !ok {
		return
	}
	n, ok := a.reserve(w, r.ContentLength, machine.MaxValue)
	if !ok {
		return
	}
	defer a.bodies.release(n)
	value, ok := a.readBody(w, r, machine.MaxValue, "value")
	if !ok {
		return
	}
	res, ok := a.execute(w, r, machine.Command{Kind: machine.Put, Key: key, Value: value}, id, seq)
	if !ok {
		return
	}
	reply(w, http.StatusOK, client.WriteReply{Key: key, Revision: res.Revision})
}

func (a *api) del(w http.ResponseWriter, r *http.Request) {
	key, id, seq, ok := a.writeRequest(w, r)
	if !ok {
		return
	}
	res, ok := a.execute(w, r, machine.Command{Kind: machine.Delete, Key: key}, id, seq)
	if !ok {
		return
	}
	existed := res.Existed
	reply(w, http.StatusOK, client.WriteReply{Key: key, Revision: res.Revision, Deleted: &existed})
}

func (a *api) cas(w http.ResponseWriter, r *http.Request) {
	key, id, seq, ok := a.writeRequest(w, r)
	if !ok {
		return
	}
	n, ok := a.reserve(w, r.ContentLength, maxCASBody)
	if !ok {
		return
	}
	defer a.bodies.release(n)
	body, ok := a.readBody(w, r, maxCASBody, "compare-and-set request")
	if !ok {
		return
	}
	c, err := parseCAS(key, body)
	if err != nil {
		a.refuse(w, http.StatusBadRequest, err.Error())
		return
	}
	res, ok := a.execute(w, r, c, id, seq)
	if !ok {
		return
	}
	if res.Status == machine.OK {
		reply(w, http.StatusOK, client.CASReply{Key: key, Swapped: true, Found: true, Revision: res.Revision})
		return
	}
	rep := client.CASReply{Key: key, Found: res.Found, Revision: res.Revision}
	if res.Found {
		rep.JSONValue = client.EncodeValue(res.Value)
	}
	reply(w, http.StatusPreconditionFailed, rep)
}

// casUsage is what a malformed compare-and-set is told.
const casUsage = `want {"expect": "OLD", "value": "NEW"} or {"expect_absent": true, "value": "NEW"} ` +
	`(expect_base64 and value_base64 for bytes that are not UTF-8)`

// parseCAS reads a CASRequest: exactly one expectation and one value.
func parseCAS(key string, body []byte) (machine.Command, error) {
	var req client.CASRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return machine.Command{}, fmt.Errorf("malformed JSON (%v): %s", err, casUsage)
	}
	if _, err := dec.Token(); err != io.EOF {
		return machine.Command{}, fmt.Errorf("trailing data after the JSON object: %s", casUsage)
	}
	value, present, err := req.Bytes()
	if err != nil || !present {
		return machine.Command{}, fmt.Errorf("the new value: %v: %s", orMissing(err), casUsage)
	}
	expect, hasExpect, err := client.JSONValue{Value: req.Expect, Base64: req.ExpectBase64}.Bytes()
	if err != nil {
		return machine.Command{}, fmt.Errorf("the expected value: %v: %s", err, casUsage)
	}
	if hasExpect == req.ExpectAbsent {
		return machine.Command{}, fmt.Errorf("give either an expected value or expect_absent: %s", casUsage)
	}
	if len(value) > machine.MaxValue || len(expect) > machine.MaxValue {
		return machine.Command{}, fmt.Errorf("value of %d bytes; values have at most %d", max(len(value), len(expect)), machine.MaxValue)
	}
	if expect == nil {
		expect = []byte{}
	}
	c := machine.Command{Kind: machine.CAS, Key: key, Value: value, ExpectAbsent: req.ExpectAbsent}
	if !req.ExpectAbsent {
		c.Expect = expect
	}
	return c, nil
}

func orMissing(err error) error {
	if err == nil {
		return errors.New("missing")
	}
	return err
}

// list serves GET /kv?prefix=P&start=A&end=B&limit=N&keys.
func (a *api) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for name := range q {
		switch name {
		case "prefix", "start", "end", "limit", "keys", "json":
		default:
			a.refuse(w, http.StatusBadRequest, fmt.Sprintf("unknown parameter %q: a list takes prefix, start, end, limit and keys", name))
			return
		}
	}
	prefix, start, end := q.Get("prefix"), q.Get("start"), q.Get("end")
	for _, k := range []string{prefix, start, end} {
		if len(k) > machine.MaxKey+1 || !utf8.ValidString(k) {
			a.refuse(w, http.StatusBadRequest, fmt.Sprintf("prefix, start and end are UTF-8 of at most %d bytes", machine.MaxKey+1))
			return
		}
	}
	c := machine.Command{Kind: machine.List, Key: start, End: end}
	if _, ok := q["keys"]; ok {
		c.KeysOnly = true
	}
	if prefix != "" {
		if end != "" {
			a.refuse(w, http.StatusBadRequest, "prefix and end do not go together: a prefix sets the end")
			return
		}
		c.Key, c.End = max(prefix, start), machine.PrefixEnd(prefix)
		if c.End != "" && c.Key >= c.End {
			reply(w, http.StatusOK, client.ListReply{Items: []client.Entry{}})
			return
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > machine.MaxListLimit {
			a.refuse(w, http.StatusBadRequest, fmt.Sprintf("limit must be 1..%d, not %q", machine.MaxListLimit, l))
			return
		}
		c.Limit = n
	}
	res, ok := a.execute(w, r, c, 0, 0)
	if !ok {
		return
	}
	out := client.ListReply{Items: make([]client.Entry, 0, len(res.Items)), More: res.More, Revision: res.Revision}
	for _, it := range res.Items {
		e := client.Entry{Key: it.Key, Revision: it.Revision}
		if !c.KeysOnly {
			e.JSONValue = client.EncodeValue(it.Value)
		}
		out.Items = append(out.Items, e)
	}
	if res.More && len(res.Items) > 0 {
		out.Next = res.Items[len(res.Items)-1].Key + "\x00"
	}
	reply(w, http.StatusOK, out)
}

func (a *api) status(w http.ResponseWriter, r *http.Request) {
	reply(w, http.StatusOK, a.b.Status())
}
