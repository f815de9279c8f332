package hraft

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/raft"
)

// A command's bytes: keyLen uint16 | key | value.
const commandHeader = 2

var errBadCommand = errors.New("hraft: malformed command")

func encodeCommand(key string, value []byte) []byte {
	b := make([]byte, commandHeader+len(key)+len(value))
	binary.BigEndian.PutUint16(b, uint16(len(key)))
	n := copy(b[commandHeader:], key)
	copy(b[commandHeader+n:], value)
	return b
}

func decodeCommand(b []byte) (key string, value []byte, err error) {
	if len(b) < commandHeader {
		return "", nil, errBadCommand
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < commandHeader+n {
		return "", nil, errBadCommand
	}
	return string(b[commandHeader : commandHeader+n]), b[commandHeader+n:], nil
}

// fsm is the replicated map. It implements raft.BatchingFSM, so raft hands
// it every committed batch in one call.
type fsm struct {
	mu      sync.Mutex
	kv      map[string][]byte
	applied uint64
}

func newFSM() *fsm { return &fsm{kv: map[string][]byte{}} }

// Apply implements raft.FSM; the result is nil or the decoding error.
func (f *fsm) Apply(l *raft.Log) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.apply(l)
}

// ApplyBatch implements raft.BatchingFSM.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, l := range logs {
		out[i] = f.apply(l)
	}
	return out
}

func (f *fsm) apply(l *raft.Log) any {
	f.applied = l.Index
	if l.Type != raft.LogCommand {
		return nil
	}
	key, value, err := decodeCommand(l.Data)
	if err != nil {
		return fmt.Errorf("log %d: %w", l.Index, err)
	}
	f.kv[key] = value
	return nil
}

// state returns a copy of the map and the last applied index.
func (f *fsm) state() (map[string][]byte, uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string][]byte, len(f.kv))
	for k, v := range f.kv {
		m[k] = v
	}
	return m, f.applied
}

// Snapshot implements raft.FSM. The benchmark never reaches the snapshot
// threshold, but raft requires the method and a restarted replica may use
// it, so it is real: a copy of the map, written as length-prefixed pairs.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	m, _ := f.state()
	return snapshot(m), nil
}

// Restore implements raft.FSM.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	m := map[string][]byte{}
	br := bufio.NewReader(rc)
	for {
		k, err := readChunk(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		v, err := readChunk(br)
		if err != nil {
			return fmt.Errorf("hraft: snapshot: %w", err)
		}
		m[string(k)] = v
	}
	f.mu.Lock()
	f.kv = m
	f.mu.Unlock()
	return nil
}

// maxChunk bounds a key or value read from a snapshot.
const maxChunk = 64 << 20

func readChunk(r *bufio.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxChunk {
		return nil, fmt.Errorf("hraft: snapshot chunk of %d bytes", size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return b, nil
}

type snapshot map[string][]byte

// Persist implements raft.FSMSnapshot.
func (s snapshot) Persist(sink raft.SnapshotSink) error {
	bw := bufio.NewWriter(sink)
	var n [4]byte
	for k, v := range s {
		for _, b := range [][]byte{[]byte(k), v} {
			binary.BigEndian.PutUint32(n[:], uint32(len(b)))
			bw.Write(n[:])
			bw.Write(b)
		}
	}
	if err := bw.Flush(); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

// Release implements raft.FSMSnapshot.
func (snapshot) Release() {}
