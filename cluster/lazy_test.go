package cluster

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rondo-dev/rondo/core"
)

// lazyEchoer writes each request ("lazy i n" or "strict i n": key i, a
// value of n bytes) lazily or strictly, then sends i to node 1 and
// outputs it.
type lazyEchoer struct{}

func (lazyEchoer) Init(core.Context) {}
func (lazyEchoer) Handle(ctx core.Context, ev core.Event) {
	r, ok := ev.(core.Request)
	if !ok {
		return
	}
	var kind string
	var i, size int
	fmt.Sscan(r.Body.(string), &kind, &i, &size)
	key, val := fmt.Sprintf("k/%06d", i), bytes.Repeat([]byte{byte(i)}, size)
	if kind == "lazy" {
		core.PutLazy(ctx.Storage(), key, val)
	} else {
		ctx.Storage().Put(key, val)
	}
	ctx.Send(1, i)
	ctx.Output(i)
}

// A batch whose writes are all lazy is committed without an fsync, and its
// messages, outputs and barriers leave at once; the next batch with an
// ordinary write is synced as before, which makes the lazy ones durable
// (Pebble syncs its log in order).
func TestABatchOfLazyWritesOnlyIsNotSyncedAndAStrictOneAfterItIs(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenDiskStorage(dir, DiskOptions{Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	outs := make(chan int, 1024)
	n := startTestNode(t, NodeConfig{
		New: func() core.Process { return lazyEchoer{} }, Storage: st,
		Output: func(o Output) { outs <- o.Value.(int) },
	}, 1)
	<-n.Barrier() // Init is committed
	before := st.Fsyncs()

	// 300 lazy writes of 128 bytes, each waited for: one batch (or a
	// few) per write. (Small enough for Pebble's first memtable: a flush
	// would sync files of its own.)
	submit := func(req string, i int) {
		t.Helper()
		if !n.Submit(req) {
			t.Fatal("the node stopped")
		}
		if got := <-outs; got != i {
			t.Fatalf("output %d, want %d", got, i)
		}
		<-n.Barrier()
	}
	for i := range 300 {
		submit(fmt.Sprintf("lazy %d 128", i), i)
	}
	if f := st.Fsyncs(); f != before {
		t.Fatalf("300 batches of lazy writes made %d fsyncs, want none", f-before)
	}
	if sent(n) != 300 {
		t.Fatalf("%d messages left the node, want 300", sent(n))
	}
	submit("strict 300 128", 300)
	if f := st.Fsyncs(); f == before {
		t.Fatal("the batch with an ordinary write was not synced")
	}
	// A megabyte, lazily too (a memtable flush may sync files of its own:
	// not counted), then a strict write.
	submit("lazy 301 1048576", 301)
	submit("strict 302 128", 302)

	// Everything is there after a restart of the store.
	n.Stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = OpenDiskStorage(dir, DiskOptions{Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys := st.Keys("k/")
	if len(keys) != 303 {
		t.Fatalf("the reopened store holds %d keys, want 303", len(keys))
	}
	if v, _ := st.Get("k/000301"); len(v) != 1<<20 || v[0] != byte(301%256) {
		t.Fatalf("the megabyte value came back as %d bytes", len(v))
	}
}

// A lazy write in a batch with an ordinary write is synced with it.
func TestALazyWriteInABatchWithAStrictOneIsSynced(t *testing.T) {
	st, err := OpenDiskStorage(t.TempDir(), DiskOptions{Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := core.PutLazy(st, "a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := st.Put("b", []byte("2")); err != nil {
		t.Fatal(err)
	}
	before := st.Fsyncs()
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
	if st.Fsyncs() == before {
		t.Fatal("a batch with an ordinary write was committed without an fsync")
	}
	// A lazy delete alone is not synced; the rollback of one is not
	// committed at all.
	before = st.Fsyncs()
	if err := core.DeleteLazy(st, "a"); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := core.DeleteLazy(st, "b"); err != nil {
		t.Fatal(err)
	}
	st.Rollback()
	if err := st.Put("c", []byte("3")); err != nil {
		t.Fatal(err)
	}
	st.Rollback()
	if err := core.PutLazy(st, "d", []byte("4")); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
	if st.Fsyncs() != before {
		t.Fatalf("lazy-only commits made %d fsyncs (a rolled-back strict write must not make the next batch strict)", st.Fsyncs()-before)
	}
	if got := strings.Join(st.Keys(""), ","); got != "b,d" {
		t.Fatalf("keys %s, want b,d", got)
	}
}

// heldSync is a DiskStorage whose first synced commit waits for hold
// before its fsync counts as done; it says on began what kind of commit
// each batch that wrote made ("strict" or "lazy").
type heldSync struct {
	*DiskStorage
	hold  chan struct{}
	began chan string
	lazy  bool // a lazy write since the last commit
	held  bool
}

func (h *heldSync) PipelineCommits() {}

func (h *heldSync) PutLazy(key string, value []byte) error {
	h.lazy = true
	return h.DiskStorage.PutLazy(key, value)
}

func (h *heldSync) Commit() error {
	wait, err := h.CommitAsync()
	if err != nil || wait == nil {
		return err
	}
	return wait()
}

func (h *heldSync) CommitAsync() (func() error, error) {
	wait, err := h.DiskStorage.CommitAsync()
	lazy := h.lazy
	h.lazy = false
	switch {
	case err != nil:
	case wait != nil && !h.held:
		h.held = true
		h.began <- "strict"
		return func() error { <-h.hold; return wait() }, nil
	case wait != nil:
		h.began <- "strict"
	case lazy:
		h.began <- "lazy"
	}
	return wait, err
}

// A batch of lazy writes needs no fsync, but it still leaves only after
// every earlier batch is durable: while a strict batch waits for the
// disk, the lazy batches after it are committed and held, then released
// in order.
func TestALazyBatchWaitsForTheStrictBatchBeforeItToBeDurable(t *testing.T) {
	ds, err := OpenDiskStorage(t.TempDir(), DiskOptions{Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Close() })
	st := &heldSync{DiskStorage: ds, hold: make(chan struct{}), began: make(chan string, 16)}
	var release sync.Once
	outs := make(chan int, 16)
	n := startTestNode(t, NodeConfig{
		New: func() core.Process { return lazyEchoer{} }, Storage: st,
		Output: func(o Output) { outs <- o.Value.(int) },
	}, 1)
	// A failure must not leave the node's committer waiting for ever: the
	// node could not stop (cleanups run last first, so this one before
	// the node's Stop).
	t.Cleanup(func() { release.Do(func() { close(st.hold) }) })
	expect := func(kind string) {
		t.Helper()
		if got := <-st.began; got != kind {
			t.Fatalf("a %s commit began, want %s", got, kind)
		}
	}
	n.Submit("strict 0 128")
	expect("strict") // its fsync is held
	n.Submit("lazy 1 128")
	expect("lazy")
	// A third batch's commit began: the node has finished with the
	// second, so had it released it, it would have done so by now.
	n.Submit("lazy 2 128")
	expect("lazy")
	if len(outs) != 0 || sent(n) != 0 {
		t.Fatalf("%d outputs and %d messages left while the first batch was not durable", len(outs), sent(n))
	}
	release.Do(func() { close(st.hold) })
	for want := range 3 {
		if got := <-outs; got != want {
			t.Fatalf("output %d, want %d: batches released out of order", got, want)
		}
	}
	<-n.Barrier()
	if sent(n) != 3 {
		t.Fatalf("%d messages left, want 3", sent(n))
	}
}
