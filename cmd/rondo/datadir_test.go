package main

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/kv"
	"github.com/rondo-dev/rondo/transport"
)

// writeOldFiles writes keys the way rondo's old FileStorage did: one file
// per key in dir, named k-<hex key>.
func writeOldFiles(t *testing.T, dir string, keys map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for k, v := range keys {
		if err := os.WriteFile(filepath.Join(dir, "k-"+hex.EncodeToString([]byte(k))), v, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// oldKVState runs a lattice KV replica in memory, writes values through
// its API, and returns what it stored: exactly the keys an older rondo kv
// kept as files in --data/kv.
func oldKVState(t *testing.T, values map[string]string) map[string][]byte {
	t.Helper()
	ca, _ := transport.NewCA("old")
	idn, _ := ca.Identity(0, "127.0.0.1")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mem := &core.MemStorage{}
	r, err := kv.StartReplica(kv.ReplicaConfig{ID: 0, Addrs: []string{ln.Addr().String()}, Listener: ln, Identity: idn, Storage: mem})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range values {
		if code, body := kvCall(t, "PUT", r.URL()+"/kv/"+k, v); code != http.StatusOK {
			t.Fatalf("PUT %s: %d %s", k, code, body)
		}
	}
	r.Close()
	out := map[string][]byte{}
	for _, k := range mem.Keys("") {
		out[k], _ = mem.Get(k)
	}
	return out
}

// A --data directory written by an older rondo kv (one file per key under
// kv/) is imported into the new store at the first start: every value is
// there, the old files are gone, and the replica knows it restarted.
func TestAnOlderRondoKVDataDirectoryIsImported(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	values := map[string]string{"colour": "blue", "shape": "round"}
	for i := range 300 {
		values[fmt.Sprintf("k%d", i)] = strings.Repeat("v", i)
	}
	old := oldKVState(t, values)
	old["kv-incarnation"] = binary.AppendUvarint(nil, 4)
	data := t.TempDir()
	writeOldFiles(t, filepath.Join(data, "kv"), old)

	bin := buildRondo(t)
	cfg := kvCluster(t, bin)
	args := []string{"--config", cfg, "--id", "0", "--data", data}
	p := startKV(t, bin, args...)
	for k, v := range values {
		if code, body := kvCall(t, "GET", p.urls[0]+"/kv/"+k+"?raw", ""); code != 200 || body != v {
			t.Fatalf("%s reads %d %q after the import, want %q", k, code, body, v)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "kv")); !os.IsNotExist(err) {
		t.Fatalf("the imported files are still there: %v", err)
	}
	p.cmd.Process.Kill()
	<-p.exited
	if log := p.stderr.String(); !strings.Contains(log, "imported the files of an older rondo") || !strings.Contains(log, fmt.Sprintf("keys=%d", len(old)-1)) {
		t.Fatalf("the import was not logged:\n%s", log)
	}
	again := startKV(t, bin, args...)
	if code, body := kvCall(t, "GET", again.urls[0]+"/kv/colour?raw", ""); code != 200 || body != "blue" {
		t.Fatalf("colour reads %d %q after a second start", code, body)
	}
}

// A --data directory written by an older rondo node is imported: the
// protocol's keys (the broadcast sequence number, 7) and the incarnation
// count (2) carry over.
func TestAnOlderRondoNodeDataDirectoryIsImported(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts OS processes")
	}
	data := t.TempDir()
	writeOldFiles(t, filepath.Join(data, "storage"), map[string][]byte{"broadcast/seq": binary.AppendUvarint(nil, 7)})
	writeOldFiles(t, filepath.Join(data, "meta"), map[string][]byte{"incarnation": []byte("2")})
	bin := buildRondo(t)
	dir := t.TempDir()
	runTool(t, bin, "certs", "--out", dir, "--nodes", "1")
	cfg := filepath.Join(dir, "cluster.json")
	rewriteConfig(t, cfg, cfg, freeAddrs(t, 1))
	node := startProc(t, "node", bin, "node", "--config", cfg, "--id", "0", "--data", data, "--duration", "60s")
	waitFor(t, 30*time.Second, "both broadcasts", func() bool { return len(node.ownSeqs()) == 2 })
	if seqs := node.ownSeqs(); seqs[0] <= 7 || seqs[1] <= 7 {
		t.Fatalf("broadcast numbers %v after the import, want them past the imported 7", seqs)
	}
	if log := node.stderr.String(); !strings.Contains(log, `msg="node started" node=0 incarnation=3`) {
		t.Fatalf("the node did not start as incarnation 3:\n%s", log)
	}
	for _, d := range []string{"storage", "meta"} {
		if _, err := os.Stat(filepath.Join(data, d)); !os.IsNotExist(err) {
			t.Fatalf("the imported %s/ is still there: %v", d, err)
		}
	}
}

// A --data directory that is not this command's is refused with exit 2
// and a message that says what is wrong; nothing in it is changed.
func TestDataDirectoriesThatAreNotOursAreRefused(t *testing.T) {
	dir := t.TempDir()
	var out, errb strings.Builder
	if code := run([]string{"certs", "--out", dir, "--nodes", "1"}, &out, &errb); code != 0 {
		t.Fatalf("certs: %s", errb.String())
	}
	cfg := filepath.Join(dir, "cluster.json")
	rewriteConfig(t, cfg, cfg, freeAddrs(t, 1))
	rondo := func(args ...string) (int, string) {
		var out, errb strings.Builder
		code := run(args, &out, &errb)
		return code, errb.String()
	}

	// A node's data directory, used once.
	nodeData := t.TempDir()
	if code, msg := rondo("node", "--config", cfg, "--id", "0", "--data", nodeData, "--duration", "10ms"); code != 0 {
		t.Fatalf("rondo node: %d %s", code, msg)
	}

	foreign := t.TempDir()
	os.MkdirAll(filepath.Join(foreign, "store"), 0o700)
	os.WriteFile(filepath.Join(foreign, "store", "thesis.tex"), []byte("years of work"), 0o600)

	badOld := t.TempDir()
	writeOldFiles(t, filepath.Join(badOld, "storage"), map[string][]byte{"broadcast/seq": {1}})
	os.WriteFile(filepath.Join(badOld, "storage", "notes.txt"), []byte("mine"), 0o600)

	both := t.TempDir()
	if code, msg := rondo("node", "--config", cfg, "--id", "0", "--data", both, "--duration", "10ms"); code != 0 {
		t.Fatalf("rondo node: %d %s", code, msg)
	}
	writeOldFiles(t, filepath.Join(both, "storage"), map[string][]byte{"broadcast/seq": {9}})

	for _, c := range []struct {
		what string
		args []string
		says []string
	}{
		{"someone else's files", []string{"node", "--config", cfg, "--id", "0", "--data", foreign},
			[]string{"holds no rondo store", "thesis.tex"}},
		{"a node's directory given to rondo kv", []string{"kv", "--mode", "lattice", "--config", cfg, "--id", "0", "--data", nodeData},
			[]string{`belongs to "rondo node broadcast", not to "rondo kv lattice"`}},
		{"old files with a stranger among them", []string{"node", "--config", cfg, "--id", "0", "--data", badOld},
			[]string{"notes.txt is not a file of rondo's old file storage"}},
		{"a store and old files side by side", []string{"node", "--config", cfg, "--id", "0", "--data", both},
			[]string{"holds both a store", "storage/"}},
	} {
		code, msg := rondo(c.args...)
		if code != exitUsage {
			t.Errorf("%s: exit %d (%s), want %d", c.what, code, msg, exitUsage)
		}
		for _, s := range c.says {
			if !strings.Contains(msg, s) {
				t.Errorf("%s: %q does not say %q", c.what, msg, s)
			}
		}
	}
	if b, _ := os.ReadFile(filepath.Join(foreign, "store", "thesis.tex")); string(b) != "years of work" {
		t.Fatal("the refused directory's file was changed")
	}
	if ents, _ := os.ReadDir(filepath.Join(foreign, "store")); len(ents) != 1 {
		t.Fatalf("the refused directory holds %d files now", len(ents))
	}
	if _, err := os.Stat(filepath.Join(badOld, "storage", "k-"+hex.EncodeToString([]byte("broadcast/seq")))); err != nil {
		t.Fatalf("the old files were touched after a failed import: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(badOld, "store")); len(ents) != 0 {
		t.Fatalf("a failed import left %d files in store/", len(ents))
	}
}
