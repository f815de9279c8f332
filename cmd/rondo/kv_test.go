package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kvProcess is a rondo kv running as its own OS process.
type kvProcess struct {
	cmd    *exec.Cmd
	urls   []string
	stderr strings.Builder
	exited chan struct{}
}

// startKV starts bin kv ARGS --json and waits for the replicas' addresses.
func startKV(t *testing.T, bin string, args ...string) *kvProcess {
	t.Helper()
	p := &kvProcess{cmd: exec.Command(bin, append([]string{"kv", "--json"}, args...)...), exited: make(chan struct{})}
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, out)
		p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("rondo kv %s stderr:\n%s", strings.Join(args, " "), p.stderr.String())
		}
	})
	select {
	case line := <-lines:
		var started struct {
			Replicas []struct{ HTTP string } `json:"replicas"`
		}
		if err := json.Unmarshal([]byte(line), &started); err != nil {
			t.Fatalf("rondo kv printed %q: %v", line, err)
		}
		for _, r := range started.Replicas {
			p.urls = append(p.urls, r.HTTP)
		}
	case <-p.exited:
		t.Fatalf("rondo kv %s exited: %s", strings.Join(args, " "), p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("rondo kv printed no address within 30s")
	}
	return p
}

// kvCall makes one request and returns the status and the body.
func kvCall(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func kvDigest(t *testing.T, url string) string {
	_, body := kvCall(t, "GET", url+"/status", "")
	var st struct{ Digest string }
	json.Unmarshal([]byte(body), &st)
	return st.Digest
}

func kvEventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: still waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kvCluster writes a three-replica cluster config on free loopback ports.
func kvCluster(t *testing.T, bin string) string {
	t.Helper()
	dir := t.TempDir()
	runTool(t, bin, "certs", "--out", dir, "--nodes", "3")
	path := filepath.Join(dir, "cluster.json")
	rewriteConfig(t, path, path, freeAddrs(t, 3))
	return path
}

// The acceptance test: three replicas of the lattice KV, each its
// own OS process, are cut into {0} and {1,2}; both sides take writes, one
// key on both; after the partition heals every replica holds the same state,
// in which the later write of the contested key won.
func TestLatticeKVConvergesAcrossThreeProcessesAfterAPartitionHeals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts three processes")
	}
	bin := buildRondo(t)
	cfg := kvCluster(t, bin)
	var urls []string
	var procs []*kvProcess
	data := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	for i, id := range []string{"0", "1", "2"} {
		p := startKV(t, bin, "--config", cfg, "--id", id, "--admin", "--data", data[i])
		urls = append(urls, p.urls[0])
		procs = append(procs, p)
	}

	// Connected: a write at 0 reaches 2.
	kvCall(t, "PUT", urls[0]+"/kv/hello", "world")
	kvEventually(t, 30*time.Second, "the first write to reach replica 2", func() bool {
		code, _ := kvCall(t, "GET", urls[2]+"/kv/hello", "")
		return code == 200
	})

	for _, u := range urls {
		if code, body := kvCall(t, "POST", u+"/admin/partition", `{"groups":[[0],[1,2]]}`); code != 200 {
			t.Fatalf("partition: %d %s", code, body)
		}
	}
	kvCall(t, "PUT", urls[0]+"/kv/left", "written at 0")
	kvCall(t, "PUT", urls[1]+"/kv/right", "written at 1")
	kvCall(t, "PUT", urls[0]+"/kv/contested", "first")
	kvCall(t, "PUT", urls[2]+"/kv/contested", "second")
	kvCall(t, "DELETE", urls[2]+"/kv/hello", "")
	kvEventually(t, 30*time.Second, "replicas 1 and 2 to agree inside their side", func() bool {
		return kvDigest(t, urls[1]) == kvDigest(t, urls[2])
	})
	if kvDigest(t, urls[0]) == kvDigest(t, urls[1]) {
		t.Fatal("the sides agree during the partition")
	}

	for _, u := range urls {
		kvCall(t, "POST", u+"/admin/heal", "")
	}
	kvEventually(t, 30*time.Second, "the three processes to converge", func() bool {
		d0 := kvDigest(t, urls[0])
		return d0 != "" && d0 == kvDigest(t, urls[1]) && d0 == kvDigest(t, urls[2])
	})
	for _, u := range urls {
		for key, want := range map[string]string{"left": "written at 0", "right": "written at 1", "contested": "second"} {
			if code, body := kvCall(t, "GET", u+"/kv/"+key+"?raw", ""); code != 200 || body != want {
				t.Errorf("%s/kv/%s → %d %q, want %q", u, key, code, body, want)
			}
		}
		if code, _ := kvCall(t, "GET", u+"/kv/hello", ""); code != 404 {
			t.Errorf("%s/kv/hello → %d after its delete, want 404", u, code)
		}
	}

	// Replica 1 is killed and restarted on its data directory: it comes
	// back with every write it had acknowledged, and catches up with one
	// made while it was down.
	procs[1].cmd.Process.Kill()
	<-procs[1].exited
	kvCall(t, "PUT", urls[0]+"/kv/while-down", "missed")
	urls[1] = startKV(t, bin, "--config", cfg, "--id", "1", "--admin", "--data", data[1]).urls[0]
	if code, body := kvCall(t, "GET", urls[1]+"/kv/right?raw", ""); code != 200 || body != "written at 1" {
		t.Fatalf("restarted replica 1 lost its own write: %d %q", code, body)
	}
	kvEventually(t, 30*time.Second, "the restarted replica to catch up", func() bool {
		d0 := kvDigest(t, urls[0])
		return d0 == kvDigest(t, urls[1]) && d0 == kvDigest(t, urls[2])
	})
}

// rondo kv with no flags runs three replicas in one process and prints
// their addresses; a write at one is read at another.
func TestKVEmbeddedDefaultsServeThreeReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildRondo(t)
	p := startKV(t, bin, "--mode", "lattice")
	if len(p.urls) != 3 {
		t.Fatalf("rondo kv started %d replicas, want 3", len(p.urls))
	}
	if code, body := kvCall(t, "PUT", p.urls[0]+"/kv/colour", "blue"); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	kvEventually(t, 30*time.Second, "the write to reach replica 2", func() bool {
		code, body := kvCall(t, "GET", p.urls[2]+"/kv/colour?raw", "")
		return code == 200 && body == "blue"
	})
}

func TestKVRefusesUnavailableModesAndBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"kv", "--mode", "linearizable"}, "not yet available"},
		{[]string{"kv", "--mode", "eventual"}, "--mode must be lattice or linearizable"},
		{[]string{"kv", "--id", "1"}, "go with --config"},
		{[]string{"kv", "--replicas", "0"}, "--replicas must be 1..64"},
		{[]string{"kv", "--config", "/nonexistent/cluster.json", "--id", "0"}, "cluster config"},
	} {
		var out, errb strings.Builder
		if code := run(c.args, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), c.says) {
			t.Errorf("rondo %s → exit %d, stderr %q; want exit 2 saying %q", strings.Join(c.args, " "), code, errb.String(), c.says)
		}
	}
}
