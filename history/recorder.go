package history

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// Recorder collects the operations of concurrent clients against one clock.
// It is safe for use by many goroutines. The zero value is not ready: use
// NewRecorder.
type Recorder struct {
	start time.Time
	mu    sync.Mutex
	ops   []Op
}

// NewRecorder starts a record; its clock starts now.
func NewRecorder() *Recorder { return &Recorder{start: time.Now()} }

// Now is the record's clock: time since NewRecorder, monotonic.
func (r *Recorder) Now() time.Duration { return time.Since(r.start) }

// Add appends a finished operation (Call and Return, or Unknown, set by the
// caller with Now).
func (r *Recorder) Add(op Op) {
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

// Ops returns a copy of the operations recorded so far.
func (r *Recorder) Ops() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ops)
}

// Write writes ops as JSON Lines, one operation per line: the format Read
// reads and any client in any language can produce.
func Write(w io.Writer, ops []Op) error {
	enc := json.NewEncoder(w)
	for _, op := range ops {
		if err := enc.Encode(op); err != nil {
			return err
		}
	}
	return nil
}

// Read reads a history written by Write (or by another client), refusing
// lines that are not operations.
func Read(rd io.Reader) ([]Op, error) {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	var ops []Op
	for line := 1; ; line++ {
		var op Op
		if err := dec.Decode(&op); err == io.EOF {
			return ops, nil
		} else if err != nil {
			return nil, fmt.Errorf("history: operation %d: %w", line, err)
		}
		if err := op.validate(); err != nil {
			return nil, fmt.Errorf("history: operation %d: %w", line, err)
		}
		ops = append(ops, op)
	}
}

func (o Op) validate() error {
	if o.Kind < Get || o.Kind > CAS {
		return fmt.Errorf("no operation kind (get, put, delete, cas)")
	}
	if o.Client < 0 {
		return fmt.Errorf("negative client %d", o.Client)
	}
	if o.Call < 0 || !o.Unknown && o.Return < o.Call {
		return fmt.Errorf("%v returns (%v) before it is called (%v)", o, o.Return, o.Call)
	}
	return nil
}
