package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
)

// proc is a rondo node running as its own OS process.
type proc struct {
	name   string
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []nodeOutput // parsed stdout
	stdout bytes.Buffer
	stderr syncBuffer
	exited chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startProc(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var o nodeOutput
			err := json.Unmarshal(sc.Bytes(), &o)
			p.mu.Lock()
			p.stdout.Write(append(sc.Bytes(), '\n'))
			if err == nil {
				p.lines = append(p.lines, o)
			}
			p.mu.Unlock()
		}
		p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("%s stdout:\n%s\n%s stderr:\n%s", p.name, p.out(), p.name, p.stderr.String())
		}
	})
	return p
}

func (p *proc) out() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

// payloads lists the broadcast payloads the node delivered, by origin.
func (p *proc) delivered() map[string]float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	got := map[string]float64{}
	for _, l := range p.lines {
		if m, ok := l.Output.(map[string]any); ok {
			if pl, ok := m["payload"].(string); ok {
				got[pl], _ = m["origin"].(float64)
			}
		}
	}
	return got
}

func (p *proc) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var lns []net.Listener
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return addrs
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rewriteConfig points the nodes of a rondo certs config at addrs.
func rewriteConfig(t *testing.T, from, to string, addrs []string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := cluster.ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfg.Nodes {
		cfg.Nodes[i].Addr = addrs[cfg.Nodes[i].ID]
	}
	if err := cfg.Write(to); err != nil {
		t.Fatal(err)
	}
}

// built is the rondo binary the process tests share: linking it takes
// seconds, so it is built once per test run (TestMain removes it).
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func buildRondo(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		}
		if built.dir, built.err = os.MkdirTemp("", "rondo-bin-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "rondo")
		if out, err := exec.Command(goBin, "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

func runTool(t *testing.T, bin string, args ...string) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("rondo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestNodesAsProcesses runs a three-node cluster as three OS processes made
// from a rondo certs config, checks that every node delivers every node's
// broadcasts, then starts a fourth process with a certificate from another
// CA and checks that every real node refuses it, logs why, and lets nothing
// of it through.
func TestNodesAsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts OS processes")
	}
	bin := buildRondo(t)
	dir := t.TempDir()
	real, other := filepath.Join(dir, "real"), filepath.Join(dir, "other")
	runTool(t, bin, "certs", "--out", real, "--nodes", "3")
	runTool(t, bin, "certs", "--out", other, "--nodes", "4")
	addrs := freeAddrs(t, 4)
	cfgPath := filepath.Join(real, "cluster.json")
	rewriteConfig(t, cfgPath, cfgPath, addrs[:3])

	var nodes []*proc
	for i := range 3 {
		id := string(rune('0' + i))
		nodes = append(nodes, startProc(t, "node "+id, bin, "node", "--config", cfgPath, "--id", id,
			"--data", filepath.Join(dir, "data"+id), "--duration", "60s"))
	}

	sc, _ := catalog().Lookup("broadcast")
	inputs := cluster.Workload(sc, 3, 1)
	for _, n := range nodes {
		waitFor(t, 20*time.Second, n.name+" to deliver every broadcast", func() bool {
			got := n.delivered()
			for _, in := range inputs {
				if origin, ok := got[in.Body.(string)]; !ok || core.NodeID(origin) != in.Node {
					return false
				}
			}
			return true
		})
	}

	// The intruder is node 0 of its own 4-node config, signed by another CA,
	// whose nodes 1..3 are the real nodes: it dials all three.
	intruderCfg := filepath.Join(other, "intruder.json")
	rewriteConfig(t, filepath.Join(other, "cluster.json"), intruderCfg, []string{addrs[3], addrs[0], addrs[1], addrs[2]})
	intruder := startProc(t, "intruder", bin, "node", "--config", intruderCfg, "--id", "0", "--duration", "60s")
	for _, n := range nodes {
		waitFor(t, 15*time.Second, n.name+" to log the intruder's refusal", func() bool {
			log := n.stderr.String()
			// The intruder checks the node's certificate first (TLS 1.3) and
			// rejects it, or the node rejects the intruder's: either way the
			// node logs the refusal, the remote address and the reason.
			return strings.Contains(log, `msg="refused peer"`) && strings.Contains(log, "remote=127.0.0.1:") &&
				(strings.Contains(log, "does not trust this cluster's CA") || strings.Contains(log, "certificate signed by unknown authority"))
		})
	}
	// Let the intruder retry a few times, then check nothing got through:
	// each node delivered exactly the cluster's broadcasts and accepted
	// only the connections of its real, lower-id peers.
	waitFor(t, 15*time.Second, "the intruder to be refused again", func() bool {
		return strings.Count(nodes[2].stderr.String(), `msg="refused peer"`) >= 3
	})
	for i, n := range nodes {
		if got := n.count(); got != len(inputs) {
			t.Errorf("%s printed %d outputs, want exactly %d", n.name, got, len(inputs))
		}
		if in := strings.Count(n.stderr.String(), "direction=in"); in != i {
			t.Errorf("%s accepted %d connections, want %d (its lower-id peers only)", n.name, in, i)
		}
	}

	for _, p := range append(nodes, intruder) {
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, n := range nodes {
		select {
		case <-n.exited:
			if code := n.cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("%s exited with %d after SIGTERM, want 0", n.name, code)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not exit after SIGTERM", n.name)
		}
	}

	// Node 0 restarted on the same data knows it is recovering.
	again := startProc(t, "node 0 again", bin, "node", "--config", cfgPath, "--id", "0",
		"--data", filepath.Join(dir, "data0"), "--duration", "500ms")
	select {
	case <-again.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("restarted node 0 did not stop after --duration")
	}
	if code := again.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("restarted node 0 exited with %d, want 0", code)
	}
	if log := again.stderr.String(); !strings.Contains(log, `msg="node started" node=0 incarnation=1`) ||
		!strings.Contains(log, `reason="--duration elapsed"`) {
		t.Errorf("restarted node 0 did not start as incarnation 1 and stop after --duration:\n%s", log)
	}
}
