package kv_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/kv"
)

// A transcript of the API on one replica: what each request answers.
func TestHTTPAPIStatusCodes(t *testing.T) {
	l := startLocal(t, 1)
	u := l.Replicas[0].URL()
	for _, step := range []struct {
		method, path, body string
		code               int
		says               string // in the body
	}{
		{"GET", "/kv/colour", "", 404, `no key \"colour\"`},
		{"PUT", "/kv/colour", "blue", 200, `"key":"colour"`},
		{"GET", "/kv/colour", "", 200, `"value":"blue"`},
		{"GET", "/kv/colour?raw", "", 200, `blue`},
		{"PUT", "/kv/colour", "green", 200, `"version"`},
		{"GET", "/kv/colour", "", 200, `"value":"green"`},
		{"DELETE", "/kv/colour", "", 200, `"deleted":true`},
		{"GET", "/kv/colour", "", 404, `no key`},
		{"PUT", "/kv/empty", "", 200, `"key":"empty"`},
		{"GET", "/kv/empty", "", 200, `"value":""`},
		{"PUT", "/kv/" + strings.Repeat("k", 257), "x", 400, "keys have at most 256"},
		{"PUT", "/kv/bad%01key", "x", 400, "control character"},
		{"GET", "/kv/", "", 400, "non-empty KEY"},
		{"PUT", "/kv/big", strings.Repeat("x", 1<<20+1), 413, "value larger than 1048576 bytes"},
		{"GET", "/kv/a/b", "", 400, "without '/'"},
		{"PUT", "/kv/a%2Fb", "slash", 200, `"key":"a/b"`},
		{"POST", "/kv/colour", "", 405, ""},
		{"GET", "/status", "", 200, `"keys":3`},
		{"POST", "/admin/partition", `{"groups":[[7]]}`, 400, "node 7 is not in this cluster"},
		{"POST", "/admin/partition", `nonsense`, 400, `want {`},
		{"POST", "/admin/partition", `{"groups":[[0],[0]]}`, 400, "node 0 is in group 1 and in group 2"},
		{"POST", "/admin/partition", `{"groups":[[0],[]]}`, 400, "group 2 is empty"},
		{"POST", "/admin/partition", `{"groups":[[0]]} trailing`, 400, "trailing data after the JSON object"},
		{"POST", "/admin/partition", `{"groups":[[0]]}{"groups":[[0]]}`, 400, "trailing data after the JSON object"},
		{"PUT", "/kv/..", "x", 400, `KEY may not be '.' or '..'`},
		{"GET", "/kv/.", "", 400, `KEY may not be '.' or '..'`},
		{"GET", "/kv/%2E%2E", "", 400, `KEY may not be '.' or '..'`},
		{"GET", "//status", "", 400, "repeated '/'"},
		{"POST", "/admin/heal", "", 200, `"healed":true`},
	} {
		code, body, _ := call(t, step.method, u+step.path, step.body)
		got := body["_text"].(string)
		if code != step.code || !strings.Contains(got, step.says) {
			t.Errorf("%s %s → %d %v; want %d with %q", step.method, truncate(step.path), code, got, step.code, step.says)
		}
	}
}

func TestABadSessionTokenIsRefused(t *testing.T) {
	l := startLocal(t, 1)
	code, body, _ := call(t, "GET", l.Replicas[0].URL()+"/kv/a", "", "Rondo-Session", "zero.five")
	if code != http.StatusBadRequest || !strings.Contains(body["error"].(string), "NODE.COUNT") {
		t.Fatalf("got %d %v", code, body)
	}
}

// Three replicas, cut into {0} and {1,2}: each side takes writes, including
// to the same key, and the sides disagree. Once the partition heals,
// anti-entropy brings every replica to the same state, where the later
// write of the contested key wins everywhere.
func TestThreeReplicasConvergeAfterAPartitionHeals(t *testing.T) {
	l := startLocal(t, 3)
	r0, r1, r2 := l.Replicas[0].URL(), l.Replicas[1].URL(), l.Replicas[2].URL()
	if code, body, _ := call(t, "POST", r0+"/admin/partition", `{"groups":[[0],[1,2]]}`); code != 200 {
		t.Fatalf("partition: %d %v", code, body)
	}
	call(t, "PUT", r0+"/kv/left", "from 0")
	call(t, "PUT", r1+"/kv/right", "from 1")
	call(t, "PUT", r0+"/kv/contested", "first")
	call(t, "PUT", r2+"/kv/contested", "second")

	eventually(t, 10*time.Second, "replicas 1 and 2 to agree inside their side", func() bool {
		d := digests(t, l)
		return d[1] == d[2]
	})
	if code, _, _ := call(t, "GET", r1+"/kv/left", ""); code != 404 {
		t.Fatalf("replica 1 sees a write made across the partition (%d)", code)
	}

	call(t, "POST", r0+"/admin/heal", "")
	eventually(t, 10*time.Second, "all three replicas to converge", func() bool { return allEqual(digests(t, l)) })
	for _, u := range []string{r0, r1, r2} {
		for key, want := range map[string]string{"left": "from 0", "right": "from 1", "contested": "second"} {
			if code, body, _ := call(t, "GET", u+"/kv/"+key, ""); code != 200 || body["value"] != want {
				t.Errorf("%s/kv/%s → %d %v, want %q", u, key, code, body, want)
			}
		}
	}
}

// Read-your-writes: a session token from a write at replica 0 makes a read
// at a replica that has not seen the write wait, and answer 503 if the
// write cannot reach it in time; after the partition heals the same read
// returns the written value.
func TestSessionTokenGivesReadYourWrites(t *testing.T) {
	l := startLocal(t, 2)
	r0, r1 := l.Replicas[0].URL(), l.Replicas[1].URL()
	call(t, "POST", r0+"/admin/partition", `{"groups":[[0],[1]]}`)
	code, _, token := call(t, "PUT", r0+"/kv/cart", "3 apples")
	if code != 200 || token == "" {
		t.Fatalf("write: %d, token %q", code, token)
	}
	code, body, _ := call(t, "GET", r1+"/kv/cart?wait=50ms", "", "Rondo-Session", token)
	if code != http.StatusServiceUnavailable || !strings.Contains(body["error"].(string), "has not yet received every write of your session") {
		t.Fatalf("partitioned read with a session: %d %v", code, body)
	}
	if code, _, _ := call(t, "GET", r1+"/kv/cart", ""); code != 404 {
		t.Fatalf("a read without a session should answer at once from what replica 1 has: %d", code)
	}
	call(t, "POST", r0+"/admin/heal", "")
	code, body, _ = call(t, "GET", r1+"/kv/cart", "", "Rondo-Session", token)
	if code != 200 || body["value"] != "3 apples" {
		t.Fatalf("after the heal: %d %v", code, body)
	}
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// In causal mode, writes made on both sides of a partition to the same key
// are both kept after it heals (siblings, on every replica); the next write,
// which has seen both, replaces them.
func TestCausalModeKeepsConcurrentWritesAsSiblings(t *testing.T) {
	l, err := kv.StartLocal(kv.LocalConfig{N: 2, Options: kv.Options{Causal: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r0, r1 := l.Replicas[0].URL(), l.Replicas[1].URL()
	call(t, "POST", r0+"/admin/partition", `{"groups":[[0],[1]]}`)
	call(t, "PUT", r0+"/kv/cart", "apples")
	call(t, "PUT", r1+"/kv/cart", "pears")
	call(t, "POST", r0+"/admin/heal", "")
	eventually(t, 10*time.Second, "both replicas to converge", func() bool { return allEqual(digests(t, l)) })
	for _, u := range []string{r0, r1} {
		code, body, _ := call(t, "GET", u+"/kv/cart", "")
		if code != 200 || !strings.Contains(body["_text"].(string), `"values":["apples","pears"]`) {
			t.Fatalf("%s: %d %s, want both siblings", u, code, body["_text"])
		}
		if code, _, _ := call(t, "GET", u+"/kv/cart?raw", ""); code != http.StatusMultipleChoices {
			t.Fatalf("raw read of siblings: %d, want 300", code)
		}
	}
	call(t, "PUT", r1+"/kv/cart", "apples and pears")
	eventually(t, 10*time.Second, "the resolving write to reach replica 0", func() bool {
		_, body, _ := call(t, "GET", r0+"/kv/cart", "")
		return body["value"] == "apples and pears"
	})
	call(t, "DELETE", r0+"/kv/cart", "")
	if code, _, _ := call(t, "GET", r0+"/kv/cart", ""); code != 404 {
		t.Fatalf("deleted causal key: %d", code)
	}
}
