package linearizable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/kv/client"
	"github.com/rondo-dev/rondo/kv/machine"
)

// call makes one request with optional headers (name, value, ...).
func call(t *testing.T, method, u string, body []byte, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func expect(t *testing.T, what string, resp *http.Response, body []byte, code int) {
	t.Helper()
	if resp.StatusCode != code {
		t.Fatalf("%s: %d %s, want %d", what, resp.StatusCode, body, code)
	}
}

func TestAPlainClientPutsAndGetsRawValuesAndAnAbsentKeyIs404(t *testing.T) {
	srv := httptest.NewServer(testHandler(newMemBackend()))
	defer srv.Close()
	resp, body := call(t, "GET", srv.URL+"/kv/colour", nil)
	expect(t, "get before put", resp, body, 404)
	resp, body = call(t, "PUT", srv.URL+"/kv/colour", []byte("blue"))
	expect(t, "put", resp, body, 200)
	resp, body = call(t, "GET", srv.URL+"/kv/colour", nil)
	expect(t, "get", resp, body, 200)
	if string(body) != "blue" || resp.Header.Get("Content-Type") != "application/octet-stream" ||
		resp.Header.Get(client.RevisionHeader) != "1" {
		t.Fatalf("get returned %q, %v", body, resp.Header)
	}
	if resp.Header.Get(client.NodeHeader) != "0" || resp.Header.Get(client.LeaderHeader) != "0" {
		t.Fatalf("no node and leader headers: %v", resp.Header)
	}
	resp, body = call(t, "DELETE", srv.URL+"/kv/colour", nil)
	expect(t, "delete", resp, body, 200)
	if !strings.Contains(string(body), `"deleted":true`) {
		t.Fatalf("delete: %s", body)
	}
	resp, body = call(t, "GET", srv.URL+"/kv/colour", nil)
	expect(t, "get after delete", resp, body, 404)
	resp, body = call(t, "DELETE", srv.URL+"/kv/colour", nil)
	expect(t, "delete of an absent key", resp, body, 200)
	if !strings.Contains(string(body), `"deleted":false`) {
		t.Fatalf("delete of an absent key: %s", body)
	}
	// Any key that is one escaped path segment works, '/' included.
	key := "a/b c?d#é"
	resp, body = call(t, "PUT", srv.URL+"/kv/"+url.PathEscape(key), []byte("x"))
	expect(t, "put of an escaped key", resp, body, 200)
	resp, body = call(t, "GET", srv.URL+"/kv?prefix="+url.QueryEscape("a/"), nil)
	if !strings.Contains(string(body), `"key":"a/b c?d#é"`) {
		t.Fatalf("the escaped key is not listed as itself: %s", body)
	}
}

func TestJSONIsAskedForWithTheQueryOrTheAcceptHeaderAndBinaryValuesComeInBase64(t *testing.T) {
	srv := httptest.NewServer(testHandler(newMemBackend()))
	defer srv.Close()
	call(t, "PUT", srv.URL+"/kv/text", []byte("héllo"))
	call(t, "PUT", srv.URL+"/kv/bin", []byte{0xff, 0x00, 0xfe})
	for _, c := range []struct {
		path    string
		headers []string
	}{{"/kv/text?json", nil}, {"/kv/text", []string{"Accept", "application/json"}}} {
		resp, body := call(t, "GET", srv.URL+c.path, nil, c.headers...)
		var e client.Entry
		if err := json.Unmarshal(body, &e); err != nil || e.Value == nil || *e.Value != "héllo" || e.Revision != 1 ||
			resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s %v: %s (%v)", c.path, c.headers, body, err)
		}
	}
	_, body := call(t, "GET", srv.URL+"/kv/bin?json", nil)
	var e client.Entry
	json.Unmarshal(body, &e)
	if v, _, err := e.Bytes(); err != nil || !bytes.Equal(v, []byte{0xff, 0x00, 0xfe}) || e.Value != nil {
		t.Fatalf("binary value in JSON: %s", body)
	}
	// Raw, the bytes come back as they went in.
	if _, body := call(t, "GET", srv.URL+"/kv/bin", nil); !bytes.Equal(body, []byte{0xff, 0x00, 0xfe}) {
		t.Fatalf("raw binary value: %q", body)
	}
}

func TestAMegabyteValueRoundTripsAndOneByteMoreIsRefused(t *testing.T) {
	srv := httptest.NewServer(testHandler(newMemBackend()))
	defer srv.Close()
	v := bytes.Repeat([]byte("0123456789abcdef"), machine.MaxValue/16)
	resp, body := call(t, "PUT", srv.URL+"/kv/big", v)
	expect(t, "put of 1 MiB", resp, body, 200)
	if _, body := call(t, "GET", srv.URL+"/kv/big", nil); !bytes.Equal(body, v) {
		t.Fatalf("1 MiB came back as %d bytes", len(body))
	}
	resp, body = call(t, "PUT", srv.URL+"/kv/big", append(v, '!'))
	expect(t, "put of 1 MiB + 1", resp, body, 413)
	if resp.Header.Get(client.OutcomeHeader) != client.OutcomeNotTaken || !strings.Contains(string(body), "at most 1048576") {
		t.Fatalf("413 does not say the limit, or that the write was not taken: %v %s", resp.Header, body)
	}
	if _, body := call(t, "GET", srv.URL+"/kv/big", nil); !bytes.Equal(body, v) {
		t.Fatal("a refused write changed the value")
	}
}

func TestCompareAndSetSwapsOnlyOnWhatItExpectsAndSaysWhatItFound(t *testing.T) {
	srv := httptest.NewServer(testHandler(newMemBackend()))
	defer srv.Close()
	cas := func(body string) (int, client.CASReply) {
		resp, b := call(t, "POST", srv.URL+"/cas/lock", []byte(body))
		var r client.CASReply
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("cas %s: %d %s", body, resp.StatusCode, b)
		}
		return resp.StatusCode, r
	}
	if code, r := cas(`{"expect_absent": true, "value": "a"}`); code != 200 || !r.Swapped {
		t.Fatalf("create: %d %+v", code, r)
	}
	if code, r := cas(`{"expect_absent": true, "value": "b"}`); code != 412 || r.Swapped || !r.Found || *r.Value != "a" {
		t.Fatalf("second create: %d %+v", code, r)
	}
	if code, r := cas(`{"expect": "a", "value_base64": "/w=="}`); code != 200 || !r.Swapped {
		t.Fatalf("swap: %d %+v", code, r)
	}
	if code, r := cas(`{"expect": "a", "value": "c"}`); code != 412 || r.Value != nil || *r.Base64 != "/w==" {
		t.Fatalf("swap on a stale value: %d %+v", code, r)
	}
	call(t, "DELETE", srv.URL+"/kv/lock", nil)
	if code, r := cas(`{"expect": "", "value": "c"}`); code != 412 || r.Found {
		t.Fatalf("swap on an absent key expecting the empty value: %d %+v", code, r)
	}
}

func TestBadInputGetsAClearErrorAndChangesNothing(t *testing.T) {
	b := newMemBackend()
	srv := httptest.NewServer(testHandler(b))
	defer srv.Close()
	long := strings.Repeat("k", machine.MaxKey+1)
	for _, c := range []struct {
		method, path, body string
		headers            []string
		code               int
		says               string
	}{
		{"POST", "/cas/k", `{"expect": "a", "value": `, nil, 400, "malformed JSON"},
		{"POST", "/cas/k", `{"expect": "a", "value": "b"} {}`, nil, 400, "trailing data"},
		{"POST", "/cas/k", `{"expect": "a", "value": "b", "extra": 1}`, nil, 400, "unknown field"},
		{"POST", "/cas/k", `{"value": "b"}`, nil, 400, "either an expected value or expect_absent"},
		{"POST", "/cas/k", `{"expect": "a", "expect_absent": true, "value": "b"}`, nil, 400, "either"},
		{"POST", "/cas/k", `{"expect": "a"}`, nil, 400, "new value: missing"},
		{"POST", "/cas/k", `{"expect": "a", "value": "b", "value_base64": "Yg=="}`, nil, 400, "both"},
		{"POST", "/cas/k", `{"expect": "a", "value_base64": "!!"}`, nil, 400, "value_base64"},
		{"PUT", "/kv/" + long, "v", nil, 400, "at most 256"},
		{"GET", "/kv/%01", "", nil, 400, "control character"},
		{"GET", "/kv/%FF", "", nil, 400, "UTF-8"},
		{"PUT", "/kv/", "v", nil, 400, "non-empty KEY"},
		{"PUT", "/kv/a/b", "v", nil, 400, "without '/'"},
		{"GET", "/kv/..", "", nil, 400, "'..'"},
		{"PUT", "/kv/k", "v", []string{client.ClientHeader, "7"}, 400, "go together"},
		{"PUT", "/kv/k", "v", []string{client.ClientHeader, "0", client.SeqHeader, "1"}, 400, "Rondo-Client must be"},
		{"PUT", "/kv/k", "v", []string{client.ClientHeader, "7", client.SeqHeader, "x"}, 400, "Rondo-Seq must be"},
		{"GET", "/kv?prefix=a&end=b", "", nil, 400, "do not go together"},
		{"GET", "/kv?start=b&end=a", "", nil, 400, "empty range"},
		{"GET", "/kv?limit=0", "", nil, 400, "limit must be"},
		{"GET", "/kv?limit=99999", "", nil, 400, "limit must be"},
		{"GET", "/kv?pefix=a", "", nil, 400, "unknown parameter"},
		{"GET", "/nowhere", "", nil, 404, "no route GET /nowhere"},
		{"POST", "/kv/k", "v", nil, 405, "allowed: GET, PUT, DELETE"},
		{"GET", "/cas/k", "", nil, 405, "allowed: POST"},
		{"DELETE", "/status", "", nil, 405, "allowed: GET"},
	} {
		resp, body := call(t, c.method, srv.URL+c.path, []byte(c.body), c.headers...)
		var e client.ErrorReply
		if resp.StatusCode != c.code || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, c.says) ||
			e.Outcome != client.OutcomeNotTaken || resp.Header.Get(client.OutcomeHeader) != client.OutcomeNotTaken {
			t.Errorf("%s %s %q %v: %d %s; want %d saying %q, not taken", c.method, c.path, c.body, c.headers,
				resp.StatusCode, body, c.code, c.says)
		}
	}
	if b.writes != 0 {
		t.Fatalf("bad requests applied %d writes", b.writes)
	}
}

func TestErrorsSayWhetherTheOperationMayHaveTakenEffect(t *testing.T) {
	b := newMemBackend()
	srv := httptest.NewServer(testHandler(b))
	defer srv.Close()
	b.failNext = []error{notTaken(2, "no leader yet"), unknownOutcome(2, "the leader changed"), fmt.Errorf("something else")}
	for _, want := range []struct {
		code    int
		outcome string
	}{{503, client.OutcomeNotTaken}, {504, client.OutcomeUnknown}, {504, client.OutcomeUnknown}} {
		resp, body := call(t, "PUT", srv.URL+"/kv/k", []byte("v"))
		var e client.ErrorReply
		json.Unmarshal(body, &e)
		if resp.StatusCode != want.code || resp.Header.Get(client.OutcomeHeader) != want.outcome || e.Outcome != want.outcome ||
			resp.Header.Get("Retry-After") == "" {
			t.Errorf("%d %v %s; want %d, outcome %s, Retry-After", resp.StatusCode, resp.Header, body, want.code, want.outcome)
		}
	}
}

func TestListsPageThroughThousandsOfKeysByPrefixAndRange(t *testing.T) {
	srv := httptest.NewServer(testHandler(newMemBackend()))
	defer srv.Close()
	for i := range 2500 {
		call(t, "PUT", fmt.Sprintf("%s/kv/user%d%%2F%04d", srv.URL, i%2, i), []byte(fmt.Sprint(i)))
	}
	var keys []string
	q := "prefix=" + url.QueryEscape("user1/") + "&limit=400"
	for pages := 0; ; pages++ {
		_, body := call(t, "GET", srv.URL+"/kv?"+q, nil)
		var l client.ListReply
		if err := json.Unmarshal(body, &l); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		for _, e := range l.Items {
			keys = append(keys, e.Key)
			if *e.Value == "" {
				t.Fatalf("%s has no value", e.Key)
			}
		}
		if !l.More {
			break
		}
		q = "prefix=" + url.QueryEscape("user1/") + "&limit=400&start=" + url.QueryEscape(l.Next)
	}
	if len(keys) != 1250 || keys[0] != "user1/0001" || keys[1249] != "user1/2499" {
		t.Fatalf("listed %d keys from %v", len(keys), keys[:min(3, len(keys))])
	}
	_, body := call(t, "GET", srv.URL+"/kv?start=user0%2F0100&end=user0%2F0110&keys", nil)
	var l client.ListReply
	json.Unmarshal(body, &l)
	if len(l.Items) != 5 || l.Items[0].Key != "user0/0100" || l.Items[0].Value != nil || l.More {
		t.Fatalf("range, keys only: %s", body)
	}
}
