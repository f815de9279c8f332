package crdt_test

import (
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// recorder is a rapid.TB that records failures, to assert that the law
// checker rejects a broken type.
type recorder struct {
	mu     sync.Mutex
	failed bool
	out    strings.Builder
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Logf(f string, a ...any) {
	r.mu.Lock()
	fmt.Fprintf(&r.out, f+"\n", a...)
	r.mu.Unlock()
}
func (r *recorder) Log(a ...any)              { r.Logf("%s", fmt.Sprint(a...)) }
func (r *recorder) Skipf(string, ...any)      {}
func (r *recorder) Skip(...any)               {}
func (r *recorder) SkipNow()                  {}
func (r *recorder) Errorf(f string, a ...any) { r.Fail(); r.Logf(f, a...) }
func (r *recorder) Error(a ...any)            { r.Fail(); r.Log(a...) }
func (r *recorder) Fatalf(f string, a ...any) { r.Fail(); r.Logf(f, a...) }
func (r *recorder) Fatal(a ...any)            { r.Fail(); r.Log(a...) }
func (r *recorder) FailNow()                  { r.Fail() }
func (r *recorder) Fail()                     { r.mu.Lock(); r.failed = true; r.mu.Unlock() }
func (r *recorder) Failed() bool              { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }

func expectCheckFails(t *testing.T, run func(rapid.TB)) string {
	t.Helper()
	if err := flag.Set("rapid.nofailfile", "true"); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	run(rec)
	if !rec.Failed() {
		t.Fatalf("the law checker passed a broken type:\n%s", rec.out.String())
	}
	return rec.out.String()
}
