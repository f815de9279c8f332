package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// keyPath is the escaped path of a key: every byte that is not unreserved
// is escaped, '/' included, so that any key is one path segment.
func keyPath(prefix, key string) string { return prefix + url.PathEscape(key) }

// unexpected is an answer the operation has no meaning for.
func unexpected(op, key string, r *response) error {
	return &Error{Op: op, Key: key, StatusCode: r.status, Message: message(r.body)}
}

// Get reads key: its value and revision, or ErrNotFound.
func (c *Client) Get(ctx context.Context, key string) (value []byte, revision uint64, err error) {
	r, err := c.do(ctx, request{op: "get", key: key, method: http.MethodGet, path: keyPath("/kv/", key)})
	if err != nil {
		return nil, 0, err
	}
	switch r.status {
	case http.StatusOK:
		rev, _ := strconv.ParseUint(r.header.Get(RevisionHeader), 10, 64)
		return r.body, rev, nil
	case http.StatusNotFound:
		return nil, 0, ErrNotFound
	}
	return nil, 0, unexpected("get", key, r)
}

// Put writes value under key, exactly once however often it is retried,
// and returns the revision it made.
func (c *Client) Put(ctx context.Context, key string, value []byte) (revision uint64, err error) {
	r, err := c.do(ctx, request{op: "put", key: key, method: http.MethodPut, path: keyPath("/kv/", key),
		body: value, write: true})
	if err != nil {
		return 0, err
	}
	var w WriteReply
	if r.status != http.StatusOK || json.Unmarshal(r.body, &w) != nil {
		return 0, unexpected("put", key, r)
	}
	return w.Revision, nil
}

// Delete removes key, exactly once; existed says whether it was there.
func (c *Client) Delete(ctx context.Context, key string) (existed bool, err error) {
	r, err := c.do(ctx, request{op: "delete", key: key, method: http.MethodDelete, path: keyPath("/kv/", key),
		write: true})
	if err != nil {
		return false, err
	}
	var w WriteReply
	if r.status != http.StatusOK || json.Unmarshal(r.body, &w) != nil || w.Deleted == nil {
		return false, unexpected("delete", key, r)
	}
	return *w.Deleted, nil
}

// CASResult is what a compare-and-set did: Swapped, with the Revision it
// made; or not, with what the key holds (Found, Value, Revision).
type CASResult struct {
	Swapped  bool
	Found    bool
	Value    []byte
	Revision uint64
}

// CompareAndSet writes value under key if the key holds expect, exactly
// once. A nil expect means "the key is absent" (use []byte{} for an empty
// value).
func (c *Client) CompareAndSet(ctx context.Context, key string, expect, value []byte) (CASResult, error) {
	req := CASRequest{JSONValue: EncodeValue(value)}
	if expect == nil {
		req.ExpectAbsent = true
	} else {
		e := EncodeValue(expect)
		req.Expect, req.ExpectBase64 = e.Value, e.Base64
	}
	body, err := json.Marshal(req)
	if err != nil {
		return CASResult{}, err
	}
	r, err := c.do(ctx, request{op: "cas", key: key, method: http.MethodPost, path: keyPath("/cas/", key),
		body: body, json: true, write: true})
	if err != nil {
		return CASResult{}, err
	}
	var cr CASReply
	if (r.status != http.StatusOK && r.status != http.StatusPreconditionFailed) || json.Unmarshal(r.body, &cr) != nil {
		return CASResult{}, unexpected("cas", key, r)
	}
	v, _, err := cr.Bytes()
	if err != nil {
		return CASResult{}, unexpected("cas", key, r)
	}
	return CASResult{Swapped: cr.Swapped, Found: cr.Found, Value: v, Revision: cr.Revision}, nil
}

// ListOptions choose what List reads: the keys with Prefix, or the keys in
// [Start, End) (End "" for no bound); at most Limit of them (0: the
// service's default, 1000); KeysOnly leaves the values out.
type ListOptions struct {
	Prefix     string
	Start, End string
	Limit      int
	KeysOnly   bool
}

// Item is one key a list read.
type Item struct {
	Key      string
	Value    []byte
	Revision uint64
}

// ListResult is one page of a list; with More set, list again from Next.
type ListResult struct {
	Items    []Item
	More     bool
	Next     string
	Revision uint64
}

// List reads keys in order: one page (ListOptions.Limit).
func (c *Client) List(ctx context.Context, o ListOptions) (ListResult, error) {
	q := url.Values{}
	if o.Prefix != "" {
		q.Set("prefix", o.Prefix)
	}
	if o.Start != "" {
		q.Set("start", o.Start)
	}
	if o.End != "" {
		q.Set("end", o.End)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.KeysOnly {
		q.Set("keys", "")
	}
	path := "/kv"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	r, err := c.do(ctx, request{op: "list", method: http.MethodGet, path: path, json: true})
	if err != nil {
		return ListResult{}, err
	}
	var lr ListReply
	if r.status != http.StatusOK || json.Unmarshal(r.body, &lr) != nil {
		return ListResult{}, unexpected("list", "", r)
	}
	out := ListResult{More: lr.More, Next: lr.Next, Revision: lr.Revision}
	for _, e := range lr.Items {
		v, _, err := e.Bytes()
		if err != nil {
			return ListResult{}, fmt.Errorf("kv list: item %q: %w", e.Key, err)
		}
		out.Items = append(out.Items, Item{Key: e.Key, Value: v, Revision: e.Revision})
	}
	return out, nil
}

// Status asks one endpoint (by index in Endpoints) for its status, without
// retries.
func (c *Client) Status(ctx context.Context, endpoint int) (Status, error) {
	if endpoint < 0 || endpoint >= len(c.endpoints) {
		return Status{}, fmt.Errorf("kv status: no endpoint %d", endpoint)
	}
	resp, how, err := c.attempt(ctx, endpoint, request{op: "status", method: http.MethodGet, path: "/status", json: true}, nil)
	if how != answered {
		return Status{}, err
	}
	var st Status
	if resp.status != http.StatusOK || json.Unmarshal(resp.body, &st) != nil {
		return Status{}, unexpected("status", "", resp)
	}
	return st, nil
}
