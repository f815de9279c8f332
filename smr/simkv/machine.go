// Package simkv is a small key-value state machine for the replicated log
// (package smr) and the simulation scenario that checks the log with it:
// concurrent clients put, delete, compare-and-set and read keys through any
// replica, with retries, under faults; the run's history is checked for
// linearizability with Porcupine (package history), and the replicas'
// logs for agreement and exactly-once application.
//
// It is the log's test bench, not a service: the linearizable KV users
// deploy is package kv.
package simkv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/rondo-dev/rondo/smr"
)

// Op codes of commands and queries.
const (
	opPut    = 'p'
	opDelete = 'd'
	opCAS    = 'c'
	opGet    = 'g'
)

// Put, Delete and CAS encode commands; Get a query.
func Put(key, value string) []byte {
	return appendStr(appendStr([]byte{opPut}, key), value)
}

func Delete(key string) []byte { return appendStr([]byte{opDelete}, key) }

// CAS writes value if key holds expect, or is absent when expectAbsent.
func CAS(key string, expectAbsent bool, expect, value string) []byte {
	b := appendStr([]byte{opCAS}, key)
	if expectAbsent {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return appendStr(appendStr(b, expect), value)
}

func Get(key string) []byte { return appendStr([]byte{opGet}, key) }

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// Decoded is a command or query taken apart.
type Decoded struct {
	Op                 byte
	Key, Value, Expect string
	ExpectAbsent       bool
}

var errBad = errors.New("simkv: malformed command")

// Decode takes a command or query apart.
func Decode(b []byte) (Decoded, error) {
	var d Decoded
	if len(b) == 0 {
		return d, errBad
	}
	d.Op, b = b[0], b[1:]
	str := func() (string, bool) {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return "", false
		}
		s := string(b[k : k+int(l)])
		b = b[k+int(l):]
		return s, true
	}
	var ok bool
	if d.Key, ok = str(); !ok {
		return d, errBad
	}
	switch d.Op {
	case opPut:
		d.Value, ok = str()
	case opCAS:
		if len(b) == 0 || b[0] > 1 {
			return d, errBad
		}
		d.ExpectAbsent, b = b[0] == 1, b[1:]
		if d.Expect, ok = str(); ok {
			d.Value, ok = str()
		}
	case opDelete, opGet:
	default:
		return d, errBad
	}
	if !ok || len(b) != 0 {
		return d, errBad
	}
	return d, nil
}

// Results.
var (
	ok      = []byte("ok")
	swapped = []byte("swapped")
	kept    = []byte("kept")
	bad     = []byte("bad command")
)

// Found reads a Get's result: the value, and whether the key was present.
func Found(res []byte) (string, bool) {
	if len(res) == 0 || res[0] != 1 {
		return "", false
	}
	return string(res[1:]), true
}

// Swapped reads a CAS's result.
func Swapped(res []byte) bool { return string(res) == string(swapped) }

// Machine is the state machine: a map from keys to values.
type Machine struct {
	m map[string]string
}

// New returns an empty machine (smr.Config.New).
func New() smr.StateMachine { return &Machine{m: map[string]string{}} }

// Apply applies a put, delete or compare-and-set.
func (k *Machine) Apply(cmd []byte) []byte {
	d, err := Decode(cmd)
	if err != nil {
		return bad
	}
	switch d.Op {
	case opPut:
		k.m[d.Key] = d.Value
		return ok
	case opDelete:
		delete(k.m, d.Key)
		return ok
	case opCAS:
		cur, present := k.m[d.Key]
		if d.ExpectAbsent && !present || !d.ExpectAbsent && present && cur == d.Expect {
			k.m[d.Key] = d.Value
			return swapped
		}
		return kept
	}
	return bad
}

// Query answers a Get.
func (k *Machine) Query(q []byte) []byte {
	d, err := Decode(q)
	if err != nil || d.Op != opGet {
		return bad
	}
	v, present := k.m[d.Key]
	if !present {
		return []byte{0}
	}
	return append([]byte{1}, v...)
}

// Snapshot encodes the map, keys in order.
func (k *Machine) Snapshot() ([]byte, error) {
	keys := make([]string, 0, len(k.m))
	for key := range k.m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	b := binary.AppendUvarint(nil, uint64(len(keys)))
	for _, key := range keys {
		b = appendStr(appendStr(b, key), k.m[key])
	}
	return b, nil
}

// Restore decodes what Snapshot wrote.
func (k *Machine) Restore(snap []byte) error {
	n, i := binary.Uvarint(snap)
	if i <= 0 {
		return fmt.Errorf("simkv: snapshot: %w", errBad)
	}
	b := snap[i:]
	m := map[string]string{}
	str := func() (string, error) {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return "", fmt.Errorf("simkv: snapshot: %w", errBad)
		}
		s := string(b[k : k+int(l)])
		b = b[k+int(l):]
		return s, nil
	}
	for range n {
		key, err := str()
		if err != nil {
			return err
		}
		v, err := str()
		if err != nil {
			return err
		}
		m[key] = v
	}
	if len(b) != 0 {
		return fmt.Errorf("simkv: snapshot: %d trailing bytes", len(b))
	}
	k.m = m
	return nil
}
