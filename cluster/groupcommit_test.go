package cluster

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/transport"
)

// startTestNode starts node 0 of a cluster of peers+1 nodes whose other
// nodes never run; cfg supplies New, Storage, Output and MaxBatch. Its
// links to them are cut (transport.Faults), so that a message the node
// sends is dropped — and counted — the moment it is handed to the
// transport: the seam where a send leaves the node.
func startTestNode(t *testing.T, cfg NodeConfig, peers int) *Node {
	t.Helper()
	ca, err := transport.NewCA("t")
	if err != nil {
		t.Fatal(err)
	}
	idn, err := ca.Identity(0)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addrs = []string{ln.Addr().String()}
	groups := [][]core.NodeID{{0}}
	for i := range peers {
		cfg.Addrs = append(cfg.Addrs, "127.0.0.1:1") // nobody listens there
		groups = append(groups, []core.NodeID{core.NodeID(i + 1)})
	}
	cfg.Faults = transport.NewFaults(fault.Spec{}, len(cfg.Addrs), 1)
	cfg.Faults.Partition(groups)
	cfg.Listener, cfg.Identity = ln, idn
	reg := &core.Registry{}
	core.Register[int](reg, "int")
	core.Register[string](reg, "string")
	cfg.Codec = reg
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := StartNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return n
}

// sent is how many messages the node has handed to its transport (all of
// them dropped at the cut links).
func sent(n *Node) uint64 { return n.Transport().Stats().MessagesDropped }

// echoer persists each request i under its own key, then sends i to node 1
// and outputs it: both effects depend on the write.
type echoer struct{}

func (echoer) Init(core.Context) {}
func (echoer) Handle(ctx core.Context, ev core.Event) {
	if r, ok := ev.(core.Request); ok {
		i := r.Body.(int)
		ctx.Storage().Put(fmt.Sprintf("k/%06d", i), []byte("v"))
		ctx.Send(1, i)
		ctx.Output(i)
	}
}

// seam is a DiskStorage that watches the node at every commit: it records
// how many writes each commit made durable and what had left the node
// (sends handed to the transport, outputs) when the commit began. It can
// hold its first writing commit until released, so that a test can fill
// the inbox meanwhile, and fail a later one.
type seam struct {
	*DiskStorage
	node    atomic.Pointer[Node]
	outputs atomic.Int64

	pending int // writes since the last commit
	held    chan struct{}
	release chan struct{}
	failAt  int // the writing commit to fail (1-based; 0: none)
	// failSyncAt: the writing commit whose wait for the disk fails,
	// after the node went on to the next batch.
	failSyncAt int
	syncHold   chan struct{} // if set, that failure waits for it
	begun      int           // writing commits begun

	mu        sync.Mutex
	committed []int // writes per writing commit
	early     []string
}

func newSeam(t *testing.T, dir string) *seam {
	ds, err := OpenDiskStorage(dir, DiskOptions{Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Close() })
	return &seam{DiskStorage: ds, held: make(chan struct{}), release: make(chan struct{})}
}

func (s *seam) Put(key string, value []byte) error {
	s.pending++
	return s.DiskStorage.Put(key, value)
}

// PipelineCommits: the node commits the seam as it commits a DiskStorage.
func (s *seam) PipelineCommits() {}

func (s *seam) Commit() error {
	wait, err := s.CommitAsync()
	if err != nil || wait == nil {
		return err
	}
	return wait()
}

// CommitAsync is what the node calls: the DiskStorage's, watched. A commit
// counts as durable once its wait returned.
func (s *seam) CommitAsync() (func() error, error) {
	if s.pending == 0 {
		return s.DiskStorage.CommitAsync()
	}
	s.mu.Lock()
	k := s.begun + 1
	s.begun = k
	durable := 0
	for _, c := range s.committed {
		durable += c
	}
	// Earlier commits may still be syncing (their effects wait): what
	// left must not exceed what is durable.
	if n := s.node.Load(); n != nil {
		if got := sent(n); got > uint64(durable) {
			s.early = append(s.early, fmt.Sprintf("commit %d began with %d messages sent, %d writes durable", k, got, durable))
		}
	}
	if got := s.outputs.Load(); got > int64(durable) {
		s.early = append(s.early, fmt.Sprintf("commit %d began with %d outputs, %d writes durable", k, got, durable))
	}
	s.mu.Unlock()
	if k == 1 {
		close(s.held)
		<-s.release
	}
	pending := s.pending
	s.pending = 0
	if k == s.failAt {
		s.DiskStorage.Rollback()
		return nil, errors.New("the disk is on fire")
	}
	wait, err := s.DiskStorage.CommitAsync()
	if err != nil {
		return nil, err
	}
	return func() error {
		if wait != nil {
			if err := wait(); err != nil {
				return err
			}
		}
		if k == s.failSyncAt {
			if s.syncHold != nil {
				<-s.syncHold
			}
			return errors.New("the disk is on fire while syncing")
		}
		s.mu.Lock()
		s.committed = append(s.committed, pending)
		s.mu.Unlock()
		return nil
	}, nil
}

func (s *seam) begunCommits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.begun
}

func (s *seam) commits() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.committed)
}

// fillInbox submits request 0, waits until its commit is being made, then
// submits requests 1..n-1 and lets the commit finish: they are then all
// waiting, and the node takes them as one batch.
func fillInbox(t *testing.T, n *Node, st *seam, reqs int) {
	t.Helper()
	n.Submit(0)
	<-st.held
	for i := 1; i < reqs; i++ {
		if !n.Submit(i) {
			t.Fatalf("request %d refused", i)
		}
	}
	close(st.release)
}

// A node handles a batch of events, commits their writes once, and only
// then lets what they sent and output leave: at no commit had anything of
// its batch left the node, and 500 requests cost two commits.
func TestNothingLeavesANodeBeforeTheBatchThatCausedItIsCommitted(t *testing.T) {
	dir := t.TempDir()
	st := newSeam(t, dir)
	var outs []int
	var mu sync.Mutex
	n := startTestNode(t, NodeConfig{
		New: func() core.Process { return echoer{} }, Storage: st,
		Output: func(o Output) {
			st.outputs.Add(1)
			mu.Lock()
			outs = append(outs, o.Value.(int))
			mu.Unlock()
		},
	}, 1)
	st.node.Store(n)
	const reqs = 500
	fillInbox(t, n, st, reqs)
	select {
	case <-n.Barrier():
	case <-n.Done():
		t.Fatalf("node stopped: %v", n.Err())
	}
	if len(st.early) > 0 {
		t.Fatalf("effects left before their batch was committed:\n%s", strings.Join(st.early, "\n"))
	}
	if got := st.commits(); !slices.Equal(got, []int{1, reqs - 1}) {
		t.Fatalf("writes per commit = %v, want [1 %d]: the waiting requests in one batch", got, reqs-1)
	}
	mu.Lock()
	if len(outs) != reqs || !slices.IsSorted(outs) {
		t.Fatalf("%d outputs (sorted: %v), want all %d in order", len(outs), slices.IsSorted(outs), reqs)
	}
	mu.Unlock()
	if got := sent(n); got != reqs {
		t.Fatalf("%d messages sent, want %d", got, reqs)
	}
	n.Stop()
	st.Close()
	r := openStore(t, dir)
	defer r.Close()
	if got := len(r.Keys("k/")); got != reqs {
		t.Fatalf("%d writes durable after the node stopped, want %d", got, reqs)
	}
}

// A commit that fails stops the node for good (fail-stop): nothing of its
// batch leaves — no message, no output — Err says why, and the storage
// holds what earlier batches committed, and nothing of the failed one.
func TestACommitThatFailsStopsTheNodeAndNothingOfItsBatchLeaves(t *testing.T) {
	dir := t.TempDir()
	st := newSeam(t, dir)
	st.failAt = 2
	n := startTestNode(t, NodeConfig{
		New: func() core.Process { return echoer{} }, Storage: st,
		Output: func(Output) { st.outputs.Add(1) },
	}, 1)
	st.node.Store(n)
	fillInbox(t, n, st, 100)
	select {
	case <-n.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the node kept running after its commit failed")
	}
	if err := n.Err(); !errors.Is(err, ErrFailStop) || !strings.Contains(err.Error(), "the disk is on fire") {
		t.Fatalf("Err() = %v, want a fail-stop naming the cause", err)
	}
	if got := st.outputs.Load(); got != 1 {
		t.Fatalf("%d outputs, want only the first batch's 1", got)
	}
	if got := sent(n); got != 1 {
		t.Fatalf("%d messages sent, want only the first batch's 1", got)
	}
	if n.Submit(7) {
		t.Fatal("a stopped node accepted a request")
	}
	n.Stop()
	st.Close()
	r := openStore(t, dir)
	defer r.Close()
	if got := r.Keys("k/"); !slices.Equal(got, []string{"k/000000"}) {
		t.Fatalf("durable after the failed commit: %q, want only k/000000", got)
	}
}

// selfer sends itself n numbered messages for a request n, persisting a
// counter with each, and outputs each message as it arrives.
type selfer struct{ got int }

func (*selfer) Init(core.Context) {}
func (p *selfer) Handle(ctx core.Context, ev core.Event) {
	switch ev := ev.(type) {
	case core.Request:
		req := ev.Body.(string)
		for i := range 10 {
			ctx.Send(ctx.ID(), fmt.Sprintf("%s-%d", req, i))
		}
	case core.Message:
		p.got++
		ctx.Storage().Put("got", []byte(fmt.Sprint(p.got)))
		ctx.Output(ev.Body)
	}
}

// Messages to self are handled in the order they were sent, before the
// next event from outside, even when they straddle batches.
func TestMessagesToSelfStayInOrderAcrossBatches(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	var mu sync.Mutex
	var outs []string
	n := startTestNode(t, NodeConfig{
		New: func() core.Process { return &selfer{} }, Storage: st, MaxBatch: 3,
		Output: func(o Output) {
			mu.Lock()
			outs = append(outs, o.Value.(string))
			mu.Unlock()
		},
	}, 0)
	var want []string
	for _, r := range []string{"a", "b", "c"} {
		n.Submit(r)
		for i := range 10 {
			want = append(want, fmt.Sprintf("%s-%d", r, i))
		}
	}
	<-n.Barrier()
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(outs, want) {
		t.Fatalf("self messages handled as %v,\nwant %v", outs, want)
	}
	if v, _ := st.Get("got"); string(v) != "30" {
		t.Fatalf("got = %q, want 30", v)
	}
}

// panicker persists a request's key, and panics on "boom".
type panicker struct{}

func (panicker) Init(core.Context) {}
func (panicker) Handle(ctx core.Context, ev core.Event) {
	if r, ok := ev.(core.Request); ok {
		if r.Body == "boom" {
			panic("boom")
		}
		ctx.Storage().Put(fmt.Sprint("k/", r.Body), nil)
		ctx.Output(r.Body)
	}
}

// A process that panics stops its node like a crash: the writes of the
// batch it panicked in are taken back, and nothing of that batch leaves.
func TestAPanicTakesBackTheWritesOfItsBatch(t *testing.T) {
	dir := t.TempDir()
	st := newSeam(t, dir)
	n := startTestNode(t, NodeConfig{
		New: func() core.Process { return panicker{} }, Storage: st,
		Output: func(Output) { st.outputs.Add(1) },
	}, 0)
	n.Submit(0)
	<-st.held
	n.Submit(1)
	n.Submit(2)
	n.Submit("boom")
	close(st.release)
	<-n.Done()
	if err := n.Err(); err == nil || !strings.Contains(err.Error(), "panicked: boom") {
		t.Fatalf("Err() = %v, want the panic", err)
	}
	if got := st.outputs.Load(); got != 1 {
		t.Fatalf("%d outputs, want the first batch's 1", got)
	}
	n.Stop()
	if got := st.Keys("k/"); !slices.Equal(got, []string{"k/0"}) {
		t.Fatalf("keys after the panic: %q, want [k/0]", got)
	}
}

// A node whose disk fills up fails its next commit and stops (fail-stop)
// with the cause; nothing of that batch leaves, and with space again the
// store opens with every write the node acknowledged. The disk is a tmpfs
// of 1 MiB, mounted for the test (skipped where mounting is not allowed).
func TestAFullDiskFailsTheCommitAndTheStoreRecoversWithSpace(t *testing.T) {
	disk := filepath.Join(t.TempDir(), "disk")
	os.Mkdir(disk, 0o700)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root and mount permission): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", disk).Run() })
	dir := filepath.Join(disk, "store")
	st := openStore(t, dir)
	var acked atomic.Int64
	n := startTestNode(t, NodeConfig{
		New: func() core.Process { return bigWriter{} }, Storage: st,
		Output: func(Output) { acked.Add(1) },
	}, 0)
	for i := range 4 {
		n.Submit(i)
	}
	<-n.Barrier()
	if acked.Load() != 4 {
		t.Fatalf("%d writes acknowledged before the disk filled, want 4", acked.Load())
	}
	filler := filepath.Join(disk, "filler")
	f, _ := os.Create(filler)
	for {
		if _, err := f.Write(make([]byte, 4096)); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	for i := 4; i < 8; i++ {
		n.Submit(i)
	}
	select {
	case <-n.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the node kept running on a full disk")
	}
	if err := n.Err(); !errors.Is(err, ErrFailStop) || !errors.Is(err, ErrStorageFailed) || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("Err() = %v, want a fail-stop saying the disk is full", err)
	}
	if got := acked.Load(); got != 4 {
		t.Fatalf("%d writes acknowledged, want the 4 made before the disk filled", got)
	}
	n.Stop()
	st.Close()

	os.Remove(filler)
	r := openStore(t, dir)
	defer r.Close()
	keys := r.Keys("big/")
	for i := range 4 {
		if !slices.Contains(keys, fmt.Sprintf("big/%d", i)) {
			t.Fatalf("acknowledged write %d is gone after the restart (keys %q)", i, keys)
		}
	}
}

// bigWriter writes 64 KiB per request and acknowledges it: a few fill a
// small disk.
type bigWriter struct{}

func (bigWriter) Init(core.Context) {}
func (bigWriter) Handle(ctx core.Context, ev core.Event) {
	if r, ok := ev.(core.Request); ok {
		ctx.Storage().Put(fmt.Sprint("big/", r.Body), randomBytes(64<<10, uint64(r.Body.(int))))
		ctx.Output(r.Body)
	}
}

// The node does not wait for the disk between batches: it goes on to the
// next batch while the previous one syncs. A sync that then fails stops the
// node for good, and nothing of that batch, nor of the later batch already
// committed behind it, leaves: only the first batch's message and output
// did.
func TestASyncThatFailsAfterTheNodeWentOnStopsItAndNothingOfThatBatchOrLaterLeaves(t *testing.T) {
	st := newSeam(t, t.TempDir())
	st.failSyncAt = 2
	st.syncHold = make(chan struct{})
	n := startTestNode(t, NodeConfig{
		New: func() core.Process { return echoer{} }, Storage: st,
		Output: func(Output) { st.outputs.Add(1) },
	}, 1)
	st.node.Store(n)
	awaitCommit := func(k int) {
		for st.begunCommits() < k {
			select {
			case <-n.Done():
				t.Fatalf("the node stopped before commit %d: %v", k, n.Err())
			case <-time.After(time.Millisecond):
			}
		}
	}
	fillInbox(t, n, st, 100) // commit 1: request 0; commit 2: 1..99, whose sync hangs
	awaitCommit(2)
	n.Submit(100) // commit 3, made while commit 2 syncs
	awaitCommit(3)
	close(st.syncHold)
	select {
	case <-n.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the node kept running after a sync failed")
	}
	if err := n.Err(); !errors.Is(err, ErrFailStop) || !strings.Contains(err.Error(), "while syncing") {
		t.Fatalf("Err() = %v, want a fail-stop naming the cause", err)
	}
	if got := st.outputs.Load(); got != 1 {
		t.Fatalf("%d outputs, want only the first batch's 1", got)
	}
	if got := sent(n); got != 1 {
		t.Fatalf("%d messages sent, want only the first batch's 1", got)
	}
	if len(st.early) > 0 {
		t.Fatalf("effects left before their batch was durable:\n%s", strings.Join(st.early, "\n"))
	}
}

// refusing wraps a DiskStorage and overrides Commit to fail every commit
// that writes; it inherits CommitAsync but does not say PipelineCommits.
type refusing struct {
	*DiskStorage
	wrote bool
}

func (r *refusing) Put(key string, value []byte) error {
	r.wrote = true
	return r.DiskStorage.Put(key, value)
}

func (r *refusing) Commit() error {
	if !r.wrote {
		return r.DiskStorage.Commit()
	}
	r.DiskStorage.Rollback()
	return errors.New("refused by the wrapper")
}

// A storage that embeds a DiskStorage and overrides Commit is committed
// through its Commit, not through the pipelined commit it inherits: its
// refusal stops the node, and nothing of the batch leaves or is stored.
func TestAWrapperThatOverridesCommitIsNotBypassed(t *testing.T) {
	dir := t.TempDir()
	ds, err := OpenDiskStorage(dir, DiskOptions{Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	var outputs atomic.Int64
	n := startTestNode(t, NodeConfig{
		New: func() core.Process { return echoer{} }, Storage: &refusing{DiskStorage: ds},
		Output: func(Output) { outputs.Add(1) },
	}, 1)
	n.Submit(1)
	select {
	case <-n.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the node kept running after its storage refused a commit")
	}
	if err := n.Err(); !errors.Is(err, ErrFailStop) || !strings.Contains(err.Error(), "refused by the wrapper") {
		t.Fatalf("Err() = %v, want the wrapper's refusal", err)
	}
	if outputs.Load() != 0 || sent(n) != 0 {
		t.Fatalf("%d outputs and %d messages left a batch whose commit was refused", outputs.Load(), sent(n))
	}
	if keys := ds.Keys("k/"); len(keys) != 0 {
		t.Fatalf("the store holds %q after the refused commit", keys)
	}
}

// A node's metrics say how many events it handled, in how many batches,
// how many commits wrote and how many fsyncs the store made.
func TestANodeCountsItsEventsBatchesCommitsAndFsyncs(t *testing.T) {
	st := newSeam(t, t.TempDir())
	reg := prometheus.NewRegistry()
	n := startTestNode(t, NodeConfig{
		New: func() core.Process { return echoer{} }, Storage: st, Registerer: reg,
		Output: func(Output) { st.outputs.Add(1) },
	}, 1)
	fsyncs := st.Fsyncs()
	fillInbox(t, n, st, 100)
	<-n.Barrier()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				got[mf.GetName()] += m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				got[mf.GetName()+"_count"] += float64(m.GetHistogram().GetSampleCount())
				got[mf.GetName()+"_sum"] += m.GetHistogram().GetSampleSum()
			}
		}
	}
	// Init, then request 0 alone, then requests 1..99 in one batch.
	want := map[string]float64{
		MetricEvents: 101, MetricBatchEvents + "_count": 3, MetricBatchEvents + "_sum": 101,
		MetricCommits: 2, MetricCommitSeconds + "_count": 2,
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s = %v, want %v", name, got[name], w)
		}
	}
	// At most one fsync per commit, give or take Pebble's own
	// housekeeping: two commits syncing at once (the node went on to the
	// next batch while the first synced) may share one.
	if f := got[MetricFsyncs]; f < float64(fsyncs+1) || f > float64(st.Fsyncs()) {
		t.Errorf("%s = %v, want at least %d and at most %d", MetricFsyncs, f, fsyncs+1, st.Fsyncs())
	}
}

// chainer writes key i only if key i-1 is there: within a batch it must
// read the writes of the batch's earlier events, not yet committed.
type chainer struct{}

func (chainer) Init(core.Context) {}
func (chainer) Handle(ctx core.Context, ev core.Event) {
	if r, ok := ev.(core.Request); ok {
		i := r.Body.(int)
		if _, ok := ctx.Storage().Get(fmt.Sprintf("k/%06d", i-1)); i > 0 && !ok {
			ctx.Fail(fmt.Errorf("request %d does not see the write of request %d", i, i-1))
			return
		}
		ctx.Storage().Put(fmt.Sprintf("k/%06d", i), nil)
		ctx.Output(i)
	}
}

// On a node, a handler reads what earlier handlers of its batch wrote.
func TestAHandlerReadsTheWritesOfItsBatch(t *testing.T) {
	st := newSeam(t, t.TempDir())
	n := startTestNode(t, NodeConfig{
		New: func() core.Process { return chainer{} }, Storage: st,
		Output: func(Output) { st.outputs.Add(1) },
	}, 0)
	fillInbox(t, n, st, 200)
	select {
	case <-n.Barrier():
	case <-n.Done():
		t.Fatalf("node stopped: %v", n.Err())
	}
	if got := st.commits(); !slices.Equal(got, []int{1, 199}) {
		t.Fatalf("writes per commit = %v, want [1 199]", got)
	}
}
