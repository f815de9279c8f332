package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// kvProcess is a rondo kv running as its own OS process.
type kvProcess struct {
	cmd    *exec.Cmd
	urls   []string
	data   string // the embedded linearizable cluster's stores
	stderr strings.Builder
	exited chan struct{}
}

// startKV starts the lattice mode, bin kv ARGS --json (ARGS without
// --mode), and waits for the replicas' addresses.
func startKV(t *testing.T, bin string, args ...string) *kvProcess {
	t.Helper()
	if !slices.Contains(args, "--mode") {
		args = append([]string{"--mode", "lattice"}, args...)
	}
	return startKVProcess(t, bin, args...)
}

// startKVProcess starts bin kv --json ARGS and waits for the replicas'
// addresses.
func startKVProcess(t *testing.T, bin string, args ...string) *kvProcess {
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
			Data     string                  `json:"data"`
		}
		if err := json.Unmarshal([]byte(line), &started); err != nil {
			t.Fatalf("rondo kv printed %q: %v", line, err)
		}
		p.data = started.Data
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
		{[]string{"kv", "--causal"}, "--causal goes with --mode lattice"},
		{[]string{"kv", "--http-base-port", "65535"}, "leaves no room for 3 replicas' ports"},
		{[]string{"kv", "--mode", "lattice", "--id", "1"}, "go with --config"},
		{[]string{"kv", "--mode", "eventual"}, "--mode must be lattice or linearizable"},
		{[]string{"kv", "--id", "1"}, "go with --config"},
		{[]string{"kv", "--replicas", "0"}, "--replicas must be 1..64"},
		{[]string{"kv", "--config", "/nonexistent/cluster.json", "--id", "0"}, "cluster config"},
		{[]string{"kv", "--debug", "bad"}, "--debug bad: debug server: listen tcp: address bad"},
	} {
		var out, errb strings.Builder
		if code := run(c.args, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), c.says) {
			t.Errorf("rondo %s → exit %d, stderr %q; want exit 2 saying %q", strings.Join(c.args, " "), code, errb.String(), c.says)
		}
	}
}

// kvClient keeps a connection per concurrent writer.
var kvClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

// kvPutAll writes values[key] for every key at url, from workers writers
// at once, and fails the test unless every write is acknowledged.
func kvPutAll(t *testing.T, url string, values map[string][]byte, workers int) {
	t.Helper()
	keys := make(chan string, len(values))
	for k := range values {
		keys <- k
	}
	close(keys)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for k := range keys {
				req, _ := http.NewRequest("PUT", url+"/kv/"+k, bytes.NewReader(values[k]))
				resp, err := kvClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("PUT %s: %d %s", k, resp.StatusCode, body)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// kvStatus reads a replica's key count and digest.
func kvStatus(t *testing.T, url string) (keys int, digest string) {
	_, body := kvCall(t, "GET", url+"/status", "")
	var st struct {
		Keys   int
		Digest string
	}
	json.Unmarshal([]byte(body), &st)
	return st.Keys, st.Digest
}

// kvHolds reports whether every replica holds exactly the given keys, the
// same store (equal digests).
func kvHolds(t *testing.T, urls []string, keys int) bool {
	k0, d0 := kvStatus(t, urls[0])
	for _, u := range urls {
		if k, d := kvStatus(t, u); k != keys || d != d0 || k0 != keys {
			return false
		}
	}
	return true
}

// kvValues checks that every replica reads back every value.
func kvValues(t *testing.T, urls []string, values map[string][]byte) {
	t.Helper()
	for _, u := range urls {
		for k, want := range values {
			req, _ := http.NewRequest("GET", u+"/kv/"+k+"?raw", nil)
			resp, err := kvClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Equal(got, want) {
				t.Fatalf("%s/kv/%s → %d, %d bytes; want the %d bytes written", u, k, resp.StatusCode, len(got), len(want))
			}
		}
	}
}

// randomValues returns n values of size bytes under keys prefix0…, each
// different (random bytes: nothing compresses or dedups them).
func randomValues(prefix string, n, size int, seed uint64) map[string][]byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make(map[string][]byte, n)
	for i := range n {
		v := make([]byte, size)
		for j := range v {
			v[j] = byte(rng.Uint32())
		}
		out[fmt.Sprintf("%s%d", prefix, i)] = v
	}
	return out
}

// ramDir is a fresh directory for a replica's file storage: in /dev/shm
// when there is one, so that a test writing thousands of values measures
// anti-entropy rather than the disk's fsync (the storage is the same
// DiskStorage, on real files).
func ramDir(t *testing.T) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "rondo-kv-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// startKVCluster starts the replicas up of a fresh three-replica cluster as
// OS processes, each with its own data directory, and returns their URLs
// and a function that starts replica i (the others are left down).
func startKVCluster(t *testing.T, bin string, up ...int) (urls []string, start func(i int) string) {
	cfg := kvCluster(t, bin)
	data := []string{ramDir(t), ramDir(t), ramDir(t)}
	urls = make([]string, 3)
	start = func(i int) string {
		urls[i] = startKV(t, bin, "--config", cfg, "--id", fmt.Sprint(i), "--admin", "--data", data[i]).urls[0]
		return urls[i]
	}
	for _, i := range up {
		start(i)
	}
	return urls, start
}

// The reproductions of anti-entropy stalling past the 4 MiB frame
// limit, each on three rondo kv OS processes over TLS with file storage
// (one binary built for all three).
func TestKVStatePastTheFrameLimitReachesEveryReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts three processes")
	}
	bin := buildRondo(t)
	t.Run("eight concurrent 1 MiB PUTs then a small one", func(t *testing.T) { eightConcurrent1MiBPuts(t, bin) })
	t.Run("2,000 × 3 KB on each side of a partition", func(t *testing.T) { partitionedThousands(t, bin) })
	t.Run("an empty replica joining after 6 MB", func(t *testing.T) { emptyJoiner(t, bin) })
}

// Eight concurrent 1 MiB PUTs to one replica (an interval of 8 MiB, twice
// the frame limit), then a small PUT: every value reaches every replica.
func eightConcurrent1MiBPuts(t *testing.T, bin string) {
	urls, _ := startKVCluster(t, bin, 0, 1, 2)
	began := time.Now()
	big := randomValues("big", 8, 1<<20, 1)
	kvPutAll(t, urls[0], big, 8)
	small := map[string][]byte{"small": []byte("written last")}
	kvPutAll(t, urls[0], small, 1)
	kvEventually(t, 60*time.Second, "all nine values on every replica", func() bool { return kvHolds(t, urls, 9) })
	t.Logf("nine values on every replica %v after the first PUT", time.Since(began).Round(time.Millisecond))
	kvValues(t, urls, big)
	kvValues(t, urls, small)
}

// 2,000 values of 3 KB written on each side of a partition (6 MB each, and
// more deltas than a replica keeps for a peer), then the partition heals:
// every replica converges to all 4,000.
func partitionedThousands(t *testing.T, bin string) {
	urls, _ := startKVCluster(t, bin, 0, 1, 2)
	for _, u := range urls {
		if code, body := kvCall(t, "POST", u+"/admin/partition", `{"groups":[[0],[1,2]]}`); code != 200 {
			t.Fatalf("partition: %d %s", code, body)
		}
	}
	left, right := randomValues("left", 2000, 3000, 2), randomValues("right", 2000, 3000, 3)
	var wg sync.WaitGroup
	wg.Go(func() { kvPutAll(t, urls[0], left, 8) })
	wg.Go(func() { kvPutAll(t, urls[1], right, 8) })
	wg.Wait()
	kvEventually(t, 60*time.Second, "replicas 1 and 2 to agree inside their side", func() bool { return kvHolds(t, urls[1:], 2000) })
	healed := time.Now()
	for _, u := range urls {
		kvCall(t, "POST", u+"/admin/heal", "")
	}
	kvEventually(t, 60*time.Second, "all 4,000 values on every replica", func() bool { return kvHolds(t, urls, 4000) })
	t.Logf("converged %v after the heal", time.Since(healed).Round(time.Millisecond))
	for k := range 10 {
		key := fmt.Sprint(k * 199)
		kvValues(t, urls, map[string][]byte{"left" + key: left["left"+key], "right" + key: right["right"+key]})
	}
}

// A replica started empty after 6 MB were written (2,000 values of 3 KB)
// catches up with all of it. Replicas 0 and 1 hold their messages to it
// behind an admin partition until it starts: otherwise their transports
// would queue the small early delta-groups for it (a peer's queue holds
// messages until it connects), and those alone would bring it most of the
// way, whatever the protocol does with a large state.
func emptyJoiner(t *testing.T, bin string) {
	urls, start := startKVCluster(t, bin, 0, 1)
	for _, u := range urls[:2] {
		if code, body := kvCall(t, "POST", u+"/admin/partition", `{"groups":[[0,1],[2]]}`); code != 200 {
			t.Fatalf("partition: %d %s", code, body)
		}
	}
	values := randomValues("v", 2000, 3000, 4)
	kvPutAll(t, urls[0], values, 8)
	kvEventually(t, 60*time.Second, "replica 1 to hold the 6 MB", func() bool { return kvHolds(t, urls[:2], 2000) })
	joined := time.Now()
	start(2)
	for _, u := range urls[:2] {
		kvCall(t, "POST", u+"/admin/heal", "")
	}
	kvEventually(t, 60*time.Second, "the empty replica to catch up", func() bool { return kvHolds(t, urls, 2000) })
	t.Logf("the empty replica caught up %v after it started", time.Since(joined).Round(time.Millisecond))
	kvValues(t, urls[2:], values)
}

// A replica whose disk fills up stops for good (fail-stop) and its process
// exits non-zero saying why, instead of answering 503 for ever; restarted
// on the same data once there is space, it has every write it
// acknowledged. The disk is a small tmpfs, mounted for the test.
func TestAKVReplicaWhoseDiskFillsUpExitsAndRecoversWithSpace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and mounts a tmpfs")
	}
	disk := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(disk, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root and mount permission): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", disk).Run() })
	bin := buildRondo(t)
	cfg := kvCluster(t, bin)
	args := []string{"--config", cfg, "--id", "0", "--data", disk}
	p := startKV(t, bin, args...)
	values := map[string][]byte{}
	var refused string
	for i := 0; refused == "" && i < 100; i++ {
		key := fmt.Sprintf("k%d", i)
		v := randomValues(key, 1, 64<<10, uint64(i))[key+"0"]
		code, body := kvCall(t, "PUT", p.urls[0]+"/kv/"+key, string(v))
		switch code {
		case 200:
			values[key] = v
		case http.StatusServiceUnavailable:
			refused = body
		default:
			t.Fatalf("PUT %s: %d %s", key, code, body)
		}
	}
	if !strings.Contains(refused, "no space left on device") {
		t.Fatalf("the write that filled the disk was answered %q", refused)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("rondo kv kept running after its disk filled up")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != exitNodeFailed || !strings.Contains(p.stderr.String(), "replica 0 stopped and this process exits") ||
		!strings.Contains(p.stderr.String(), "no space left on device") || !strings.Contains(p.stderr.String(), "start it again on the same --data") {
		t.Fatalf("rondo kv exited %d saying:\n%s", code, p.stderr.String())
	}
	if len(values) == 0 {
		t.Fatal("no write fitted on the disk")
	}

	if out, err := exec.Command("mount", "-o", "remount,size=64m", disk).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, out)
	}
	again := startKV(t, bin, args...)
	kvValues(t, again.urls, values)
	if code, body := kvCall(t, "PUT", again.urls[0]+"/kv/after", "there is room again"); code != 200 {
		t.Fatalf("a write after the restart: %d %s", code, body)
	}
	t.Logf("%d writes acknowledged before the disk filled, all back after the restart", len(values))
}

// SIGTERM shuts rondo kv down gracefully: a PUT in progress when the signal
// arrives is answered 200 and durable — the replica restarted on the same
// data has it — and the process exits 0.
func TestKVFinishesAWriteInProgressOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildRondo(t)
	cfg := kvCluster(t, bin)
	args := []string{"--config", cfg, "--id", "0", "--data", t.TempDir()}
	p := startKV(t, bin, args...)
	c, err := net.Dial("tcp", strings.TrimPrefix(p.urls[0], "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	value := strings.Repeat("v", 100_000)
	fmt.Fprintf(c, "PUT /kv/late HTTP/1.1\r\nHost: kv\r\nContent-Length: %d\r\n\r\n%s", len(value), value[:1000])
	kvEventually(t, 30*time.Second, "the PUT to be in progress", func() bool {
		_, body := kvCall(t, "GET", p.urls[0]+"/status", "")
		return strings.Contains(body, `"writing":1`)
	})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	kvEventually(t, 30*time.Second, "the HTTP listener to close", func() bool {
		c, err := net.Dial("tcp", strings.TrimPrefix(p.urls[0], "http://"))
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	io.WriteString(c, value[1000:])
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the PUT in progress at SIGTERM: %v %v", resp, err)
	}
	<-p.exited
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("rondo kv exited %d after SIGTERM:\n%s", code, p.stderr.String())
	}
	again := startKV(t, bin, args...)
	if code, body := kvCall(t, "GET", again.urls[0]+"/kv/late?raw", ""); code != 200 || body != value {
		t.Fatalf("after a restart the write reads %d (%d bytes)", code, len(body))
	}
}
