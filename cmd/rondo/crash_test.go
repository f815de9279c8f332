package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A rondo kv replica killed with SIGKILL while 32 clients write, then
// restarted on the same --data (on the test's real disk), has every write
// it acknowledged, with its value: three kills, each landing in the middle
// of the writers' batches.
func TestASIGKILLedKVReplicaKeepsEveryAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills OS processes")
	}
	bin := buildRondo(t)
	cfg := kvCluster(t, bin)
	args := []string{"--config", cfg, "--id", "0", "--data", t.TempDir()}
	acked := map[string][]byte{}
	for round := range 3 {
		p := startKV(t, bin, args...)
		url := p.urls[0]
		for k, want := range acked {
			if code, body := kvCall(t, "GET", url+"/kv/"+k+"?raw", ""); code != 200 || body != string(want) {
				t.Fatalf("round %d: acknowledged write %s reads %d (%d bytes) after SIGKILL and restart", round, k, code, len(body))
			}
		}
		var mu sync.Mutex
		var count atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 32 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					k := fmt.Sprintf("r%dw%di%d", round, w, i)
					v := randomValues(k, 1, 1000, uint64(round*1000+w))[k+"0"]
					resp, err := kvClient.Do(mustRequest("PUT", url+"/kv/"+k, v))
					if err != nil {
						return // the replica is gone: this write was not acknowledged
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						mu.Lock()
						acked[k] = v
						mu.Unlock()
						count.Add(1)
					}
				}
			})
		}
		kvEventually(t, 60*time.Second, "300 acknowledged writes", func() bool { return count.Load() >= 300 })
		p.cmd.Process.Kill() // SIGKILL, with writes in flight
		<-p.exited
		close(stop)
		wg.Wait()
		t.Logf("round %d: %d writes acknowledged before SIGKILL", round, count.Load())
	}
	p := startKV(t, bin, args...)
	for k, want := range acked {
		if code, body := kvCall(t, "GET", p.urls[0]+"/kv/"+k+"?raw", ""); code != 200 || body != string(want) {
			t.Fatalf("acknowledged write %s reads %d (%d bytes) after the last SIGKILL", k, code, len(body))
		}
	}
}

func mustRequest(method, url string, body []byte) *http.Request {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	return req
}

// ownSeqs lists the sequence numbers of the broadcasts node 0 delivered
// from itself.
func (p *proc) ownSeqs() []uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var seqs []uint64
	for _, l := range p.lines {
		if m, ok := l.Output.(map[string]any); ok {
			if o, _ := m["origin"].(float64); o == 0 {
				if s, ok := m["seq"].(float64); ok {
					seqs = append(seqs, uint64(s))
				}
			}
		}
	}
	return seqs
}

// A rondo node killed with SIGKILL after it delivered its own broadcast,
// then restarted on the same --data, never reuses a sequence number that
// delivery showed: the number was durable before the delivery was printed
// (a reused one would make peers drop the new broadcast as a duplicate).
func TestASIGKILLedNodeNeverReusesASequenceNumberItsOutputShowed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills OS processes")
	}
	bin := buildRondo(t)
	dir := t.TempDir()
	runTool(t, bin, "certs", "--out", filepath.Join(dir, "c"), "--nodes", "1")
	cfg := filepath.Join(dir, "c", "cluster.json")
	rewriteConfig(t, cfg, cfg, freeAddrs(t, 1))
	data := filepath.Join(dir, "data")
	var seen uint64
	for round := range 3 {
		node := startProc(t, fmt.Sprintf("node, round %d", round), bin, "node", "--config", cfg, "--id", "0", "--data", data, "--duration", "60s")
		waitFor(t, 30*time.Second, "a delivery of its own broadcast", func() bool { return len(node.ownSeqs()) > 0 })
		node.cmd.Process.Kill()
		<-node.exited
		for _, s := range node.ownSeqs() {
			if s <= seen {
				t.Fatalf("round %d delivered its broadcast number %d again, after a SIGKILL (numbers shown before it went up to %d)", round, s, seen)
			}
		}
		for _, s := range node.ownSeqs() {
			seen = max(seen, s)
		}
	}
}
