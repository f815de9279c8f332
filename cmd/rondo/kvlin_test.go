package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/kv/linearizable"
)

// startLinearizableKV starts bin kv ARGS (the linearizable mode) and waits
// for its replicas' addresses.
func startLinearizableKV(t *testing.T, bin string, args ...string) *kvProcess {
	t.Helper()
	return startKVProcess(t, bin, append([]string{"--mode", "linearizable"}, args...)...)
}

// kvTool runs bin with args (and env added) and returns its exit status,
// stdout and stderr.
func kvTool(t *testing.T, bin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// The first acceptance line: rondo kv with no flags starts a
// linearizable cluster, and the client commands, with no flags either,
// write and read it.
func TestRondoKVWithNoFlagsServesTheClientCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildRondo(t)
	p := startKVProcess(t, bin) // what the user types, plus --json to read the addresses
	if len(p.urls) != 3 {
		t.Fatalf("rondo kv started %d replicas, want 3", len(p.urls))
	}
	var env []string
	if strings.Join(p.urls, ",") != defaultKVEndpoints() {
		// Another service holds the default ports on this machine (a
		// rondo kv of the user's): rondo kv moved, as its output says,
		// and the client follows it through the environment.
		t.Logf("the default ports are taken; the replicas serve on %v", p.urls)
		env = []string{"RONDO_KV_ENDPOINTS=" + strings.Join(p.urls, ",")}
	}
	if code, out, errs := kvTool(t, bin, env, "kv", "put", "colour", "blue"); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("rondo kv put colour blue: exit %d, %q %q", code, out, errs)
	}
	if code, out, errs := kvTool(t, bin, env, "kv", "get", "colour"); code != 0 || out != "blue\n" {
		t.Fatalf("rondo kv get colour: exit %d, %q %q", code, out, errs)
	}
	// Through a plain HTTP client at another replica too.
	if code, body := kvCall(t, "GET", p.urls[2]+"/kv/colour", ""); code != 200 || body != "blue" {
		t.Fatalf("GET at replica 2: %d %q", code, body)
	}
	// The value from standard input, and a missing key.
	cmd := exec.Command(bin, "kv", "put", "poem", "--endpoints", p.urls[1])
	cmd.Stdin = strings.NewReader("roses\nare red\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("put from stdin: %v %s", err, out)
	}
	if code, out, _ := kvTool(t, bin, env, "kv", "get", "poem", "--endpoints", p.urls[0]); code != 0 || out != "roses\nare red\n\n" {
		t.Fatalf("get poem: %d %q", code, out)
	}
	if code, out, errs := kvTool(t, bin, env, "kv", "get", "nothing-here"); code != exitViolation || out != "" || !strings.Contains(errs, `no key "nothing-here"`) {
		t.Fatalf("get of a missing key: exit %d, %q %q; want exit 1 saying so", code, out, errs)
	}
	// SIGTERM stops it gracefully, and its temporary stores go with it.
	if p.data == "" {
		t.Fatal("rondo kv --json did not say where its stores are")
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("rondo kv exited %d on SIGTERM: %s", code, p.stderr.String())
	}
	if _, err := os.Stat(p.data); !os.IsNotExist(err) {
		t.Fatalf("rondo kv left its temporary stores in %s (%v)", p.data, err)
	}
}

// The client commands against a cluster in this process: every outcome
// and its exit status.
func TestKVClientCommandsAnswerAndFailClearly(t *testing.T) {
	l, err := linearizable.StartLocal(linearizable.LocalConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := l.Leader(ctx); err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, r := range l.Replicas() {
		urls = append(urls, r.URL())
	}
	eps := strings.Join(urls, ",")
	rondo := func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := run(append(args, "--endpoints", eps), &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, c := range []struct {
		args []string
		code int
		out  string // stdout, exactly (unless says is set and out is "")
		says string // in stderr
	}{
		{[]string{"kv", "put", "k", "one"}, 0, "OK (revision 1)\n", ""},
		{[]string{"kv", "get", "k"}, 0, "one\n", ""},
		{[]string{"kv", "get", "k", "--json"}, 0, `{"key":"k","value":"one","revision":1}` + "\n", ""},
		{[]string{"kv", "cas", "k", "two", "--expect", "one"}, 0, "swapped (revision 2)\n", ""},
		{[]string{"kv", "cas", "k", "three", "--expect", "one"}, exitViolation, "", `not swapped: "k" holds "two"`},
		{[]string{"kv", "cas", "new", "x", "--absent"}, 0, "swapped (revision 3)\n", ""},
		{[]string{"kv", "list"}, 0, "k\ttwo\nnew\tx\n", ""},
		{[]string{"kv", "list", "--prefix", "n", "--keys"}, 0, "new\n", ""},
		{[]string{"kv", "del", "k"}, 0, "deleted\n", ""},
		{[]string{"kv", "del", "k"}, 0, "absent (nothing to delete)\n", ""},
		{[]string{"kv", "get", "k"}, exitViolation, "", `no key "k"`},
		{[]string{"kv", "put", strings.Repeat("x", 300), "v"}, exitUsage, "", "key"},
		{[]string{"kv", "put", "big", strings.Repeat("v", 1<<20+1)}, exitUsage, "", "413"},
		{[]string{"kv", "cas", "k", "v"}, exitUsage, "", "give exactly one of --expect OLD and --absent"},
		{[]string{"kv", "get"}, exitUsage, "", "accepts 1 arg"},
		{[]string{"kv", "get", "k", "--timeout", "0s"}, exitUsage, "", "--timeout must be positive"},
		{[]string{"kv", "list", "--prefix", "a", "--end", "b"}, exitUsage, "", "do not go together"},
	} {
		code, out, errs := rondo(c.args...)
		name := strings.Join(c.args, " ")
		if len(name) > 60 {
			name = name[:60] + "…"
		}
		if code != c.code || (c.out != "" || c.says == "") && out != c.out || !strings.Contains(errs, c.says) {
			t.Errorf("rondo %s: exit %d, stdout %q, stderr %.300q; want exit %d, %q, saying %q", name, code, out, errs, c.code, c.out, c.says)
		}
	}
	// Nobody there: the command says so at once (not after its timeout)
	// with exit 3, the operation not taken.
	var out, errb strings.Builder
	code := run([]string{"kv", "put", "k", "v", "--endpoints", "http://127.0.0.1:1", "--timeout", "1h"}, &out, &errb)
	if code != exitInconclusive || !strings.Contains(errb.String(), "no endpoint reachable") ||
		!strings.Contains(errb.String(), "did not take effect") {
		t.Fatalf("put to nothing: exit %d, %q", code, errb.String())
	}
	code = run([]string{"kv", "get", "k", "--endpoints", "ftp://x"}, &out, &errb)
	if code != exitUsage {
		t.Fatalf("an ftp endpoint: exit %d", code)
	}
}
