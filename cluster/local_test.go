package cluster_test

import (
	"testing"
	"time"

	"github.com/rondo-dev/rondo/broadcast"
	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/fault"
)

// runBroadcast runs eager reliable broadcast over loopback TLS and checks
// its properties on the history.
func runBroadcast(t *testing.T, n int, spec string, seed uint64) *cluster.LocalResult {
	t.Helper()
	sp, err := fault.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	sc := broadcast.Scenario()
	res, err := cluster.RunLocal(t.Context(), cluster.LocalConfig{Scenario: sc, N: n, Faults: sp, Seed: seed, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Finished {
		t.Errorf("broadcast under %q did not finish before the timeout", spec)
	}
	for _, v := range sc.Check(res.History) {
		t.Errorf("violation under %q seed %d: %v", spec, seed, v)
	}
	if res.Stats.MessagesSent == 0 {
		t.Error("no message crossed the network")
	}
	return res
}

func TestRunLocalBroadcast(t *testing.T) {
	res := runBroadcast(t, 4, "", 1)
	outputs := 0
	for _, o := range res.History.Observations {
		if o.Output {
			outputs++
		}
	}
	if want := 4 * len(res.Inputs); outputs != want {
		t.Errorf("%d deliveries, want %d (every node delivers every message once)", outputs, want)
	}
}

func TestRunLocalBroadcastUnderMessageFaults(t *testing.T) {
	runBroadcast(t, 4, "drop=0.2,dup=0.1,reorder=0.1,delay=1ms..10ms", 2)
}

func TestRunLocalBroadcastUnderPartitionAndCrash(t *testing.T) {
	res := runBroadcast(t, 4, "partition@100ms={0,1}|{2,3},heal@600ms,crash@300ms=3,restart@800ms=3", 3)
	if !res.History.Crashed[3] {
		t.Error("node 3 was not marked crashed")
	}
	restarted := false
	for _, o := range res.History.Observations {
		if o.Node == 3 && o.Incarnation == 1 {
			restarted = true
		}
	}
	if !restarted && res.History.Lost == 0 {
		t.Log("node 3's second incarnation observed nothing (possible if it had no input and no delivery was due)")
	}
}

func TestRunLocalRefusesByzantine(t *testing.T) {
	_, err := cluster.RunLocal(t.Context(), cluster.LocalConfig{Scenario: broadcast.Scenario(), N: 4, Faults: fault.Spec{Byzantine: 1}})
	if err == nil {
		t.Fatal("byzantine=1 was accepted")
	}
}
