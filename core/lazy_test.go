package core_test

import (
	"errors"
	"testing"

	"github.com/rondo-dev/rondo/core"
)

// lazyRecorder is a LazyStorage that notes which writes came lazily.
type lazyRecorder struct {
	core.MemStorage
	lazy []string
	err  error
}

func (r *lazyRecorder) PutLazy(key string, value []byte) error {
	if r.err != nil {
		return r.err
	}
	r.lazy = append(r.lazy, "put "+key)
	return r.Put(key, value)
}

func (r *lazyRecorder) DeleteLazy(key string) error {
	if r.err != nil {
		return r.err
	}
	r.lazy = append(r.lazy, "delete "+key)
	return r.Delete(key)
}

func TestTheFailStopViewPassesLazyWritesOnAsLazyWrites(t *testing.T) {
	rec := &lazyRecorder{}
	view := core.FailStop(rec, func(err error) { t.Fatalf("no write failed, yet fail was called: %v", err) })
	if err := core.PutLazy(view, "log/1", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := core.DeleteLazy(view, "log/0"); err != nil {
		t.Fatal(err)
	}
	if err := view.Put("floor", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if len(rec.lazy) != 2 || rec.lazy[0] != "put log/1" || rec.lazy[1] != "delete log/0" {
		t.Fatalf("the storage saw these lazy writes: %q; want the put and the delete, and not the strict put", rec.lazy)
	}
	if v, ok := view.Get("log/1"); !ok || string(v) != "one" {
		t.Fatalf("a lazy write is not read back at once: %q, %v", v, ok)
	}
}

func TestALazyWriteOnAStorageWithoutThemIsAnOrdinaryWrite(t *testing.T) {
	var s core.MemStorage
	if err := core.PutLazy(&s, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if v, ok := s.Get("k"); !ok || string(v) != "v" {
		t.Fatalf("got %q, %v", v, ok)
	}
	if err := core.DeleteLazy(&s, "k"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get("k"); ok {
		t.Fatal("the lazy delete fell back to nothing")
	}
}

func TestALazyWriteThatFailsStopsTheNode(t *testing.T) {
	boom := errors.New("disk full")
	rec := &lazyRecorder{err: boom}
	var failed error
	view := core.FailStop(rec, func(err error) { failed = err })
	if err := core.PutLazy(view, "log/1", []byte("one")); !errors.Is(err, boom) {
		t.Fatalf("PutLazy returned %v, want the storage's error", err)
	}
	if !errors.Is(failed, boom) {
		t.Fatalf("fail was called with %v, want the storage's error", failed)
	}
	failed = nil
	if err := core.DeleteLazy(view, "log/1"); !errors.Is(err, boom) || !errors.Is(failed, boom) {
		t.Fatalf("DeleteLazy: returned %v, fail got %v; want the storage's error both times", err, failed)
	}
}
