package kv_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/kv"
)

func startLocal(t *testing.T, n int) *kv.Local {
	t.Helper()
	l, err := kv.StartLocal(kv.LocalConfig{N: n, Options: kv.Options{SessionWait: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// call makes one HTTP request and returns the status, the decoded JSON
// body (with the raw text under "_text") and the session header.
func call(t *testing.T, method, url, body string, header ...string) (int, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	json.Unmarshal(b, &out)
	out["_text"] = string(b)
	return resp.StatusCode, out, resp.Header.Get(kv.SessionHeader)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: still waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func digests(t *testing.T, l *kv.Local) []string {
	var ds []string
	for _, r := range l.Replicas {
		_, st, _ := call(t, "GET", r.URL()+"/status", "")
		ds = append(ds, st["digest"].(string))
	}
	return ds
}

func allEqual(xs []string) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return true
}
