package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/history"
	"github.com/rondo-dev/rondo/kv/client"
)

// The crash test runs for kvCrashDuration; CI runs the bounded default,
// and a longer run is
//
//	go test ./cmd/rondo -run TestLinearizableKVProcesses -kvcrash.duration 10m
//
// (-kvcrash.seed S replays a fault schedule; the service's own timing
// still varies from run to run).
var (
	kvCrashDuration = flag.Duration("kvcrash.duration", 20*time.Second, "how long the linearizable KV crash test injects faults")
	kvCrashSeed     = flag.Uint64("kvcrash.seed", 0, "the crash test's fault schedule seed (0: random, logged)")
)

// kvReplicaProc is one linearizable replica as its own OS process, on a
// fixed HTTP address and data directory across restarts.
type kvReplicaProc struct {
	args []string
	url  string
	p    *kvProcess // nil while down
}

// The real-process check: three linearizable replicas, each its
// own OS process on its own --data, while five clients read, write,
// compare-and-set and delete over HTTP; replicas are killed with SIGKILL
// and restarted, and cut off from the others through the runtime's fault
// layer (POST /admin/partition); then the recorded history is checked for
// linearizability by Porcupine, key by key.
func TestLinearizableKVProcessesSurviveSIGKILLAndPartitionsAndStayLinearizable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills OS processes")
	}
	bin := buildRondo(t)
	cfg := kvCluster(t, bin)
	https := freeAddrs(t, 3)
	reps := make([]*kvReplicaProc, 3)
	for i := range reps {
		reps[i] = &kvReplicaProc{
			args: []string{"--config", cfg, "--id", fmt.Sprint(i), "--admin", "--data", t.TempDir(), "--http", https[i]},
			url:  "http://" + https[i],
		}
	}
	start := func(r *kvReplicaProc) {
		r.p = startLinearizableKV(t, bin, r.args...)
		if r.p.urls[0] != r.url {
			t.Fatalf("the replica serves %s, want %s", r.p.urls[0], r.url)
		}
	}
	for _, r := range reps {
		start(r)
	}
	seed := *kvCrashSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("fault schedule seed %d (-kvcrash.seed %d replays it), %v of faults", seed, seed, *kvCrashDuration)
	rng := rand.New(rand.NewPCG(seed, 0))

	c, err := client.New(client.Config{Endpoints: []string{reps[0].url, reps[1].url, reps[2].url},
		MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rec := history.NewRecorder()
	keys := []string{"a", "b", "c", "d"}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for id := range 5 {
		crng := rand.New(rand.NewPCG(seed, uint64(id+1)))
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				kvClientOp(rec, c, id, keys[crng.IntN(len(keys))], crng.IntN(10), fmt.Sprintf("c%d-%d", id, i))
			}
		})
	}

	// The faults, one at a time, each followed by a healthy spell.
	heal := func() {
		for _, r := range reps {
			if r.p != nil {
				post(t, r.url+"/admin/heal", "", true)
			}
		}
	}
	pause := func(lo, hi time.Duration) { time.Sleep(lo + time.Duration(rng.Int64N(int64(hi-lo)))) }
	kills, cuts := 0, 0
	deadline := time.Now().Add(*kvCrashDuration)
	for time.Now().Before(deadline) {
		pause(500*time.Millisecond, 1500*time.Millisecond)
		victim := reps[rng.IntN(len(reps))]
		if rng.IntN(2) == 0 {
			victim = leaderOf(reps, victim)
		}
		if rng.IntN(2) == 0 {
			victim.p.cmd.Process.Kill() // SIGKILL, with requests in flight
			<-victim.p.exited
			victim.p = nil
			kills++
			pause(200*time.Millisecond, 1500*time.Millisecond)
			start(victim)
			continue
		}
		var groups [2][]int
		for i, r := range reps {
			g := 1
			if r == victim {
				g = 0
			}
			groups[g] = append(groups[g], i)
		}
		body := fmt.Sprintf(`{"groups":[%s,%s]}`, intsJSON(groups[0]), intsJSON(groups[1]))
		for _, r := range reps {
			post(t, r.url+"/admin/partition", body, false)
		}
		cuts++
		pause(300*time.Millisecond, 2*time.Second)
		heal()
	}
	heal()
	close(stop)
	wg.Wait()

	// Every key read once more, after the faults: what was acknowledged is
	// there.
	for _, k := range keys {
		kvClientOp(rec, c, 100, k, 0, "")
	}
	ops := rec.Ops()
	res := history.Check(ops, 5*time.Minute)
	ok := 0
	for _, op := range ops {
		if !op.Unknown {
			ok++
		}
	}
	t.Logf("%d SIGKILLs, %d partitions; %v", kills, cuts, res)
	if res.Verdict != history.Linearizable {
		f, err := os.CreateTemp("", "rondo-kv-history-*.jsonl")
		if err == nil {
			history.Write(f, ops)
			f.Close()
			t.Logf("the history is in %s (rondo's history package reads it)", f.Name())
		}
		t.Fatalf("seed %d: %v", seed, res)
	}
	if ok < 100 {
		t.Fatalf("only %d operations completed: the service made too little progress to judge", ok)
	}
}

// kvClientOp runs one random operation (by dice 0..9: 0-3 get, 4-6 put,
// 7-8 CAS, 9 delete) of client id on key and records it: with its return
// if its outcome is known, as unknown if it may have taken effect, and not
// at all if it did not take effect (a definite failure).
func kvClientOp(rec *history.Recorder, c *client.Client, id int, key string, dice int, value string) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	op := history.Op{Client: id, Key: key, Call: rec.Now()}
	var err error
	switch {
	case dice <= 3:
		op.Kind = history.Get
		var v []byte
		v, _, err = c.Get(ctx, key)
		if errors.Is(err, client.ErrNotFound) {
			err = nil
		} else if err == nil {
			op.Found, op.Got = true, string(v)
		}
	case dice <= 6:
		op.Kind, op.Value = history.Put, value
		_, err = c.Put(ctx, key, []byte(value))
	case dice <= 8:
		// Compare with what this client last read, or with absent.
		op.Kind, op.Value = history.CAS, value
		var r client.CASResult
		if dice == 7 {
			op.ExpectAbsent = true
			r, err = c.CompareAndSet(ctx, key, nil, []byte(value))
		} else {
			// The read that sets the expectation is an operation of the
			// record too.
			read := history.Op{Client: id, Kind: history.Get, Key: key, Call: op.Call}
			cur, _, gerr := c.Get(ctx, key)
			if gerr != nil {
				return // absent (this dice's CAS wants a value) or not taken
			}
			read.Return, read.Found, read.Got = rec.Now(), true, string(cur)
			rec.Add(read)
			op.Call = rec.Now()
			op.Expect = string(cur)
			r, err = c.CompareAndSet(ctx, key, cur, []byte(value))
		}
		op.Swapped = r.Swapped
	default:
		op.Kind = history.Delete
		_, err = c.Delete(ctx, key)
	}
	switch {
	case err == nil:
		op.Return = rec.Now()
	case errors.Is(err, client.ErrUnknownOutcome):
		op.Unknown = true
	default:
		return // did not take effect
	}
	rec.Add(op)
}

// leaderOf is the replica the running ones name as leader, or fallback.
func leaderOf(reps []*kvReplicaProc, fallback *kvReplicaProc) *kvReplicaProc {
	hc := http.Client{Timeout: time.Second}
	for _, r := range reps {
		resp, err := hc.Get(r.url + "/status")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if l := resp.Header.Get(client.LeaderHeader); l != "" {
			for i, q := range reps {
				if fmt.Sprint(i) == l {
					return q
				}
			}
		}
	}
	return fallback
}

// post sends an admin request; a replica that is down (between a kill and
// its restart) cannot take it, which is fine: it restarts healed.
func post(t *testing.T, url, body string, mustAnswer bool) {
	t.Helper()
	hc := http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		if mustAnswer {
			t.Errorf("POST %s: %v", url, err)
		}
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST %s %s: %d", url, body, resp.StatusCode)
	}
}

func intsJSON(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(s, ",") + "]"
}

// A linearizable replica of a --config cluster refuses to run without
// --data: an acceptor that restarts without its promises could decide
// twice.
func TestALinearizableReplicaRefusesToRunWithoutItsDataDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cfg := kvCluster(t, buildRondo(t))
	var out, errb strings.Builder
	code := run([]string{"kv", "--config", cfg, "--id", "0"}, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "--data DIR is required with --config") {
		t.Fatalf("exit %d, %q", code, errb.String())
	}
}
