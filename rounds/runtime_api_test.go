package rounds_test

import (
	"bufio"
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos/registry"
	"github.com/rondo-dev/rondo/trace"
)

// next takes every decision Next has, as "instance=value".
func next(nd *mpNode) []string {
	var got []string
	for {
		d, ok := nd.rt.Next()
		if !ok {
			return got
		}
		got = append(got, strings.TrimPrefix(d.String(), "Decision{i"))
	}
}

// A replicated log takes its decisions from Next, in instance order, not
// in the order they were made; and ProposeNext stays within the window of
// instances in flight past the last one taken.
func TestDecisionsComeOutOfNextInInstanceOrderWithinAWindow(t *testing.T) {
	nd := mpCluster(t, 1, rounds.ConfigOf[string]{Ordered: true, Window: 2})[0]
	nd.propose(2, "b")
	if got := next(nd); got != nil {
		t.Fatalf("instance 1 is not decided, yet Next gave %q", got)
	}
	if log, _ := nd.rec.take(); len(log) != 0 && strings.Contains(strings.Join(log, " "), "output") {
		t.Fatalf("an Ordered runtime output its decisions: %q", log)
	}
	nd.propose(1, "a")
	transcript(t, "in order", next(nd), `1="a" r3}`, `2="b" r3}`)
	for _, want := range []uint64{3, 4} {
		inst, err := nd.rt.ProposeNext(nd.rec, "c")
		if err != nil || inst != want {
			t.Fatalf("ProposeNext: instance %d, %v; want %d", inst, err, want)
		}
	}
	if _, err := nd.rt.ProposeNext(nd.rec, "c"); !errors.Is(err, rounds.ErrWindowFull) {
		t.Fatalf("a third instance past the last one taken: %v", err)
	}
	if d, ok := nd.rt.Next(); !ok || d.Instance != 3 {
		t.Fatalf("Next: %v %v", d, ok)
	}
	if inst, err := nd.rt.ProposeNext(nd.rec, "c"); err != nil || inst != 5 {
		t.Fatalf("once instance 3 is taken: %d, %v", inst, err)
	}
	if err := nd.rt.Propose(nd.rec, 1, "again"); !errors.Is(err, rounds.ErrDecided) {
		t.Fatalf("proposing in a decided instance: %v", err)
	}
}

// Truncate forgets instances for good: their records go, they are refused,
// and a restart honours the floor.
func TestTruncatedInstancesAreForgottenForGoodAcrossARestart(t *testing.T) {
	nd := mpCluster(t, 1, rounds.ConfigOf[string]{Ordered: true})[0]
	for i := uint64(1); i <= 3; i++ {
		nd.propose(i, "v")
	}
	next(nd)
	if keys := nd.rec.disk.Keys("rounds/multipaxos/i/"); len(keys) != 3 {
		t.Fatalf("records before truncation: %q", keys)
	}
	if err := nd.rt.Truncate(nd.rec, 2); err != nil {
		t.Fatal(err)
	}
	log, _ := nd.rec.take()
	transcript(t, "truncation", log,
		"delete rounds/multipaxos/i/0000000000000001", "delete rounds/multipaxos/i/0000000000000002")
	if err := nd.rt.Propose(nd.rec, 2, "v"); !errors.Is(err, rounds.ErrForgotten) {
		t.Fatalf("a truncated instance: %v", err)
	}
	nd.start()
	if err := nd.rt.Propose(nd.rec, 1, "v"); !errors.Is(err, rounds.ErrForgotten) {
		t.Fatalf("a truncated instance after a restart: %v", err)
	}
	if inst, err := nd.rt.ProposeNext(nd.rec, "w"); err != nil || inst != 4 {
		t.Fatalf("the next instance after a restart: %d, %v", inst, err)
	}
	transcript(t, "after the restart, instance 3 rejoined and decided again, then 4", next(nd), `3="v" r7}`, `4="w" r3}`)
}

// Truncate deletes exactly the records at or below the floor, in order,
// without listing the store: those of this incarnation, those a restart
// found, and one a deletion cut short left below the floor (a store that
// writes through); the records above the floor stay.
func TestTruncateDeletesTheRecordsAtOrBelowTheFloorAndOnlyThose(t *testing.T) {
	nd := mpCluster(t, 1, rounds.ConfigOf[string]{Ordered: true})[0]
	for i := uint64(1); i <= 6; i++ {
		nd.propose(i, "v")
	}
	next(nd)
	if err := nd.rt.Truncate(nd.rec, 2); err != nil {
		t.Fatal(err)
	}
	// A crash cut a deletion short: instance 1's record is back below the
	// floor of 2.
	rec, _ := nd.rec.disk.Get("rounds/multipaxos/i/0000000000000003")
	nd.rec.disk.Put("rounds/multipaxos/i/0000000000000001", rec)
	nd.start()
	nd.rec.take()
	if err := nd.rt.Truncate(nd.rec, 4); err != nil {
		t.Fatal(err)
	}
	log, _ := nd.rec.take()
	transcript(t, "truncation after the restart", log,
		"delete rounds/multipaxos/i/0000000000000001",
		"delete rounds/multipaxos/i/0000000000000003",
		"delete rounds/multipaxos/i/0000000000000004")
	if keys := nd.rec.disk.Keys("rounds/multipaxos/i/"); !slices.Equal(keys,
		[]string{"rounds/multipaxos/i/0000000000000005", "rounds/multipaxos/i/0000000000000006"}) {
		t.Fatalf("records left: %q", keys)
	}
}

// A trace of a run deciding 64 KiB values has short lines: proposals,
// messages and decisions print their values abbreviated. (Proposals used to
// print as JSON, the whole value on one line.)
func TestATraceOfBigValuesHasShortLines(t *testing.T) {
	e, _ := registry.Lookup("multipaxos")
	s := setup(t, e.Scenario(registry.Defaults(), none), 3, "drop=0.1")
	var buf bytes.Buffer
	tr := trace.NewWriter(&buf)
	if _, err := s.RunOne(t.Context(), 1, tr); err != nil {
		t.Fatal(err)
	}
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		lines++
		if len(sc.Bytes()) > 1024 {
			t.Fatalf("a trace line of %d bytes: %.200s…", len(sc.Bytes()), sc.Bytes())
		}
	}
	if err := sc.Err(); err != nil || lines < 20 {
		t.Fatalf("%d lines, %v", lines, err)
	}
}

// Highest covers every instance a node has accepted in, even one it only
// joined on a leader's accept, and survives a restart through the records
// and the truncation floor: a replicated log's read index is built on it.
func TestHighestCoversEveryInstanceAnAcceptorJoinedAcrossARestart(t *testing.T) {
	nodes := mpCluster(t, 3, rounds.ConfigOf[string]{Ordered: true})
	leased(t, nodes)
	l, n1 := nodes[0], nodes[1]
	_, accepts := l.propose(7, "x")
	if h := n1.rt.Highest(); h != 0 {
		t.Fatalf("before the accept: %d", h)
	}
	deliver(n1, 0, accepts)
	if h := n1.rt.Highest(); h != 7 {
		t.Fatalf("an acceptor that joined instance 7 on its accept: Highest %d", h)
	}
	n1.start()
	if h := n1.rt.Highest(); h != 7 {
		t.Fatalf("after a restart, from the record: Highest %d", h)
	}
	if err := n1.rt.Truncate(n1.rec, 9); err != nil {
		t.Fatal(err)
	}
	n1.start()
	if h := n1.rt.Highest(); h != 9 {
		t.Fatalf("after truncating to 9 and a restart: Highest %d", h)
	}
}
