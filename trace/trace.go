// Package trace records what happened in a run, one event per line, in a
// canonical byte form: the same run always writes the same bytes, so a trace
// has a digest that two runs can be compared by, and a file that a person can
// read and a tool can replay. The simulator and the checkers write it.
//
// A trace file is JSON Lines: a header object, then one object per event.
package trace

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"strconv"
	"time"
)

// Version is the trace format version written in every header.
const Version = 1

// Header opens a trace: what ran, on how many nodes, with which seed and faults.
type Header struct {
	Version  int    `json:"version"`
	Tool     string `json:"tool"` // "sim", "check", …
	Protocol string `json:"protocol"`
	Nodes    int    `json:"nodes"`
	// Seed is the run's seed; a tool whose traces have none (the checker
	// explores every run) leaves it out, and a reader gets 0.
	Seed   uint64   `json:"seed,omitempty"`
	Faults string   `json:"faults"`         // canonical fault spec
	Plan   []string `json:"plan,omitempty"` // the concrete fault schedule
	Extra  string   `json:"extra,omitempty"`
}

// Event is one thing that happened. Peer is the other end of a message (the
// receiver of a send, the sender of a delivery), or -1.
type Event struct {
	At     time.Duration `json:"t"`
	Kind   string        `json:"ev"`
	Node   int           `json:"node"`
	Peer   int           `json:"peer"`
	Seq    uint64        `json:"seq,omitempty"` // message or timer serial number
	Msg    string        `json:"msg,omitempty"`
	Detail string        `json:"detail,omitempty"`
}

// Kinds of events written by the simulator.
const (
	Send      = "send"
	Deliver   = "deliver"
	Drop      = "drop"
	Duplicate = "dup"
	Timer     = "timer"
	Crash     = "crash"
	Restart   = "restart"
	Partition = "partition"
	Heal      = "heal"
	Input     = "input"
	Output    = "output"
	Violation = "violation"
)

// Kinds lists every event kind, in the order a reader meets them in the
// documentation.
func Kinds() []string {
	return []string{Send, Deliver, Drop, Duplicate, Timer, Crash, Restart, Partition, Heal, Input, Output, Violation}
}

// Writer writes a trace and keeps its SHA-256 digest. Out may be nil to keep
// only the digest.
type Writer struct {
	out    *bufio.Writer
	h      hash.Hash
	line   []byte
	events int
	err    error
}

// NewWriter starts a trace on out (nil: digest only).
func NewWriter(out io.Writer) *Writer {
	w := &Writer{h: sha256.New()}
	if out != nil {
		w.out = bufio.NewWriterSize(out, 64<<10)
	}
	return w
}

// WriteHeader writes the header line; call it once, first.
func (w *Writer) WriteHeader(h Header) {
	h.Version = Version
	b, err := json.Marshal(h)
	if err != nil {
		w.err = err
		return
	}
	w.emit(append(b, '\n'))
}

// Write appends one event.
func (w *Writer) Write(e Event) {
	b := w.line[:0]
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, int64(e.At), 10)
	b = append(b, `,"ev":`...)
	b = strconv.AppendQuote(b, e.Kind)
	b = append(b, `,"node":`...)
	b = strconv.AppendInt(b, int64(e.Node), 10)
	b = append(b, `,"peer":`...)
	b = strconv.AppendInt(b, int64(e.Peer), 10)
	if e.Seq != 0 {
		b = append(b, `,"seq":`...)
		b = strconv.AppendUint(b, e.Seq, 10)
	}
	if e.Msg != "" {
		b = append(b, `,"msg":`...)
		b = strconv.AppendQuote(b, e.Msg)
	}
	if e.Detail != "" {
		b = append(b, `,"detail":`...)
		b = strconv.AppendQuote(b, e.Detail)
	}
	b = append(b, "}\n"...)
	w.line = b
	w.events++
	w.emit(b)
}

func (w *Writer) emit(b []byte) {
	w.h.Write(b)
	if w.out != nil && w.err == nil {
		_, w.err = w.out.Write(b)
	}
}

// Events counts the events written.
func (w *Writer) Events() int { return w.events }

// Digest is the hex SHA-256 of every byte written so far.
func (w *Writer) Digest() string {
	return hex.EncodeToString(w.h.Sum(nil))
}

// Flush writes buffered lines to the underlying writer.
func (w *Writer) Flush() error {
	if w.out != nil && w.err == nil {
		w.err = w.out.Flush()
	}
	return w.err
}

// Read parses a trace file.
func Read(r io.Reader) (Header, []Event, error) {
	var h Header
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return h, nil, err
		}
		return h, nil, fmt.Errorf("trace: empty file")
	}
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
		return h, nil, fmt.Errorf("trace: line 1 is not a trace header: %v", err)
	}
	if h.Version != Version {
		return h, nil, fmt.Errorf("trace: format version %d, this rondo reads version %d", h.Version, Version)
	}
	var evs []Event
	for line := 2; sc.Scan(); line++ {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return h, evs, fmt.Errorf("trace: line %d: %v", line, err)
		}
		evs = append(evs, e)
	}
	return h, evs, sc.Err()
}
