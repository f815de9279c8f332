package rounds_test

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// recorder is a core.Context for transcript tests of a process run by hand:
// it records what the process writes to storage, sends and outputs, in
// order, and keeps what it sent so that the test can deliver it.
type recorder struct {
	id     core.NodeID
	nodes  []core.NodeID
	now    time.Duration
	disk   *core.MemStorage
	rng    *rand.Rand
	log    []string
	sent   []sent
	outs   []any
	timer  time.Duration // -1: disarmed
	failed error
}

type sent struct {
	to  core.NodeID
	msg any
}

func newRecorder(id core.NodeID, n int, disk *core.MemStorage) *recorder {
	r := &recorder{id: id, disk: disk, rng: rand.New(rand.NewPCG(uint64(id), 7)), timer: -1}
	for i := range n {
		r.nodes = append(r.nodes, core.NodeID(i))
	}
	return r
}

func (r *recorder) ID() core.NodeID      { return r.id }
func (r *recorder) Nodes() []core.NodeID { return r.nodes }
func (r *recorder) Now() time.Duration   { return r.now }
func (r *recorder) Rand() *rand.Rand     { return r.rng }
func (r *recorder) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func (r *recorder) Storage() core.Storage {
	return core.FailStop(loggedStorage{r}, r.Fail)
}
func (r *recorder) Send(to core.NodeID, msg any) {
	r.log = append(r.log, fmt.Sprintf("send n%d %v", to, msg))
	r.sent = append(r.sent, sent{to, msg})
}
func (r *recorder) Output(v any) {
	r.log = append(r.log, fmt.Sprintf("output %v", v))
	r.outs = append(r.outs, v)
}
func (r *recorder) SetTimer(_ string, after time.Duration) { r.timer = r.now + after }
func (r *recorder) CancelTimer(string)                     { r.timer = -1 }
func (r *recorder) Fail(err error) {
	r.failed = err
	r.log = append(r.log, fmt.Sprintf("fail %v", err))
}

// take returns the transcript so far, and what was sent, and clears both.
func (r *recorder) take() ([]string, []sent) {
	l, s := r.log, r.sent
	r.log, r.sent = nil, nil
	return l, s
}

var _ core.Storage = loggedStorage{}

// loggedStorage records the writes of instance records (the durable state
// a test is about); the reservation and ballot writes are not logged.
type loggedStorage struct{ r *recorder }

func (s loggedStorage) Get(k string) ([]byte, bool) { return s.r.disk.Get(k) }
func (s loggedStorage) Keys(p string) []string      { return s.r.disk.Keys(p) }
func (s loggedStorage) Delete(k string) error {
	s.r.log = append(s.r.log, "delete "+k)
	return s.r.disk.Delete(k)
}
func (s loggedStorage) Put(k string, v []byte) error {
	if strings.Contains(k, "/i/") {
		s.r.log = append(s.r.log, fmt.Sprintf("put %s (%d bytes)", k, len(v)))
	}
	return s.r.disk.Put(k, v)
}

// transcript compares a transcript with the lines it should be.
func transcript(t *testing.T, step string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got: %s\nwant: %s", step, strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}
