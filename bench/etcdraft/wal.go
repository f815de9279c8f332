package etcdraft

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// wal is the replica's write-ahead log, shaped like the one etcd's
// raftexample uses: one append-only file of checksummed records (entries and
// hard states), written once per Ready and flushed with one fdatasync when
// raft says the Ready must be durable. Like etcd's WAL it preallocates the
// file in large chunks so that each flush writes data, not a new file size.
//
// A record is: length uint32 (of kind and payload) | crc32c uint32 (of kind
// and payload) | kind byte | payload. A zero length marks the end of the
// written part of the preallocated file; a record that fails its checksum or
// runs past the end is a torn last write and ends the log there.
type wal struct {
	f     *os.File
	sync  bool  // flush to the device when a Ready must be durable
	off   int64 // where the next record goes
	alloc int64 // bytes preallocated
	buf   []byte
}

const (
	recordEntry     byte = 1
	recordHardState byte = 2

	recordHeader = 4 + 4 + 1
	// walChunk is how much the file grows by at a time (etcd's segment size).
	walChunk = 64 << 20
	// maxRecord bounds a record's claimed length when reading, so a corrupt
	// length cannot make the reader allocate without limit.
	maxRecord = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// openWAL opens (creating it if needed) the log at path and returns it with
// what it holds: the last hard state and the entries, later entries having
// replaced any earlier ones at the same or higher index, as a new leader's
// entries replace a follower's uncommitted tail.
func openWAL(path string, sync bool) (*wal, *pb.HardState, []*pb.Entry, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, nil, nil, err
	}
	w := &wal{f: f, sync: sync}
	st, ents, err := w.replay()
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("wal %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	w.alloc = fi.Size()
	return w, st, ents, nil
}

func (w *wal) replay() (*pb.HardState, []*pb.Entry, error) {
	st := &pb.HardState{}
	var ents []*pb.Entry
	fi, err := w.f.Stat()
	if err != nil {
		return nil, nil, err
	}
	r := bufio.NewReaderSize(io.NewSectionReader(w.f, 0, fi.Size()), 1<<20)
	hdr := make([]byte, recordHeader)
	for {
		start := w.off
		if _, err := io.ReadFull(r, hdr); err != nil {
			break // end of file, or a torn header
		}
		n := binary.BigEndian.Uint32(hdr)
		if n == 0 || n > maxRecord {
			break // the preallocated, never written part
		}
		body := make([]byte, n-1)
		if _, err := io.ReadFull(r, body); err != nil {
			break // torn last record
		}
		crc := crc32.Update(crc32.Checksum(hdr[8:9], castagnoli), castagnoli, body)
		if crc != binary.BigEndian.Uint32(hdr[4:]) {
			break // torn last record
		}
		switch hdr[8] {
		case recordEntry:
			e := &pb.Entry{}
			if err := proto.Unmarshal(body, e); err != nil {
				return nil, nil, fmt.Errorf("entry record at %d: %w", start, err)
			}
			// Keep only entries below this one's index, then append it.
			for len(ents) > 0 && ents[len(ents)-1].GetIndex() >= e.GetIndex() {
				ents = ents[:len(ents)-1]
			}
			ents = append(ents, e)
		case recordHardState:
			if err := proto.Unmarshal(body, st); err != nil {
				return nil, nil, fmt.Errorf("hard state record at %d: %w", start, err)
			}
		default:
			return nil, nil, fmt.Errorf("record of unknown kind %d at %d", hdr[8], start)
		}
		w.off += recordHeader + int64(len(body))
	}
	return st, ents, nil
}

// save appends one Ready's hard state and entries in a single write and,
// when mustSync and the log was opened with sync, flushes them.
func (w *wal) save(st *pb.HardState, ents []*pb.Entry, mustSync bool) error {
	w.buf = w.buf[:0]
	var err error
	for _, e := range ents {
		if w.buf, err = appendRecord(w.buf, recordEntry, e); err != nil {
			return err
		}
	}
	if st != nil && (st.Term != nil || st.Vote != nil || st.Commit != nil) {
		if w.buf, err = appendRecord(w.buf, recordHardState, st); err != nil {
			return err
		}
	}
	if len(w.buf) == 0 {
		return nil
	}
	if end := w.off + int64(len(w.buf)); end > w.alloc {
		grow := max(walChunk, end-w.alloc)
		if err := preallocate(w.f, w.alloc, grow); err != nil {
			return fmt.Errorf("wal: preallocate: %w", err)
		}
		w.alloc += grow
	}
	if _, err := w.f.WriteAt(w.buf, w.off); err != nil {
		return fmt.Errorf("wal: write: %w", err)
	}
	w.off += int64(len(w.buf))
	if mustSync && w.sync {
		if err := fdatasync(w.f); err != nil {
			return fmt.Errorf("wal: fdatasync: %w", err)
		}
	}
	return nil
}

func appendRecord(b []byte, kind byte, m proto.Message) ([]byte, error) {
	at := len(b)
	b = append(b, make([]byte, recordHeader)...)
	b[at+8] = kind
	b, err := proto.MarshalOptions{}.MarshalAppend(b, m)
	if err != nil {
		return nil, fmt.Errorf("wal: encode: %w", err)
	}
	if len(b)-at-8 > maxRecord {
		return nil, errors.New("wal: record too large")
	}
	binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-8))
	binary.BigEndian.PutUint32(b[at+4:], crc32.Checksum(b[at+8:], castagnoli))
	return b, nil
}

func (w *wal) close() error { return w.f.Close() }
