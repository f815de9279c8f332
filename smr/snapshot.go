package smr

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/rondo-dev/rondo/core"
)

// Snapshots. A snapshot is the state machine's Snapshot, the session table
// and the log index they were taken at, encoded as one blob ("smr1" ‖
// uvarint index ‖ sessions ‖ length-prefixed state) and stored in pieces
// of chunkBytes: "smr/snap/c/<piece, 8 hex digits>", then "smr/snap/meta"
// = index ‖ total size ‖ CRC-32 of the blob. All of it is written in one
// handler, so it is durable all at once (one commit of a batch on the real
// runtime), and the log up to the index is deleted in the same handler.
// The same pieces travel to a replica too far behind for the log
// (catchup.go).

const (
	snapMetaKey   = "smr/snap/meta"
	snapChunkPref = "smr/snap/c/"
	snapMagic     = "smr1"
)

func snapChunkKey(i int) string { return fmt.Sprintf("%s%08x", snapChunkPref, i) }

type snapMeta struct {
	index, total uint64
	crc          uint32
}

func (m snapMeta) chunks() int { return int((m.total + chunkBytes - 1) / chunkBytes) }

var errCorruptSnapshot = errors.New("smr: the stored snapshot is corrupt")

func loadSnapMeta(st core.Storage) (snapMeta, bool, error) {
	b, ok := st.Get(snapMetaKey)
	if !ok {
		return snapMeta{}, false, nil
	}
	r := reader{b: b}
	m := snapMeta{index: r.u(), total: r.u(), crc: uint32(r.u())}
	if err := r.end("snapshot meta"); err != nil {
		return m, false, fmt.Errorf("%w: %w", errCorruptSnapshot, err)
	}
	return m, true, nil
}

// encodeSnapshot builds the blob of a snapshot at index.
func encodeSnapshot(index uint64, sess *sessions, state []byte) []byte {
	b := append([]byte(snapMagic), binary.AppendUvarint(nil, index)...)
	b = sess.appendTo(b)
	return appendBytes(b, state)
}

// decodeSnapshot splits a blob into its index, session table and state.
func decodeSnapshot(blob []byte, window, limit int) (uint64, sessions, []byte, error) {
	if len(blob) < len(snapMagic) || string(blob[:len(snapMagic)]) != snapMagic {
		return 0, sessions{}, nil, errors.New("smr: not a snapshot (bad magic)")
	}
	r := reader{b: blob[len(snapMagic):]}
	index := r.u()
	sess, err := readSessions(&r, window, limit)
	if err != nil {
		return 0, sess, nil, err
	}
	state := r.bytes()
	if err := r.end("snapshot"); err != nil {
		return 0, sess, nil, err
	}
	return index, sess, state, nil
}

// readSnapshot reads the stored blob meta describes, checking its size and
// checksum.
func readSnapshot(st core.Storage, meta snapMeta) ([]byte, error) {
	blob := make([]byte, 0, meta.total)
	for i := range meta.chunks() {
		c, ok := st.Get(snapChunkKey(i))
		if !ok {
			return nil, fmt.Errorf("%w: piece %d of %d is missing", errCorruptSnapshot, i, meta.chunks())
		}
		blob = append(blob, c...)
	}
	if uint64(len(blob)) != meta.total || crc32.ChecksumIEEE(blob) != meta.crc {
		return nil, fmt.Errorf("%w: %d bytes (want %d) or a bad checksum", errCorruptSnapshot, len(blob), meta.total)
	}
	return blob, nil
}

// restoreSnapshot loads the stored snapshot into a fresh state machine.
func (n *Node) restoreSnapshot(meta snapMeta) error {
	blob, err := readSnapshot(n.ctx.Storage(), meta)
	if err != nil {
		return err
	}
	index, sess, state, err := decodeSnapshot(blob, n.cfg.SessionWindow, n.cfg.MaxSessions)
	if err != nil || index != meta.index {
		return fmt.Errorf("%w: %v (index %d, meta %d)", errCorruptSnapshot, err, index, meta.index)
	}
	if err := n.sm.Restore(state); err != nil {
		return fmt.Errorf("smr: the state machine refuses the stored snapshot at %d: %w", index, err)
	}
	n.sess, n.applied, n.snap = sess, index, meta
	return nil
}

// storeSnapshot writes blob (the snapshot at index) in place of the
// previous one.
func (n *Node) storeSnapshot(index uint64, blob []byte) error {
	st := n.ctx.Storage()
	meta := snapMeta{index: index, total: uint64(len(blob)), crc: crc32.ChecksumIEEE(blob)}
	for i := range meta.chunks() {
		end := min((i+1)*chunkBytes, len(blob))
		if err := st.Put(snapChunkKey(i), blob[i*chunkBytes:end]); err != nil {
			return err
		}
	}
	for i := meta.chunks(); i < n.snap.chunks(); i++ {
		if err := st.Delete(snapChunkKey(i)); err != nil {
			return err
		}
	}
	if err := st.Put(snapMetaKey, appendTriple(nil, meta.index, meta.total, uint64(meta.crc))); err != nil {
		return err
	}
	n.snap = meta
	return nil
}

// maybeSnapshot takes a snapshot when enough was applied since the last.
func (n *Node) maybeSnapshot() {
	if n.applied-n.snap.index < uint64(n.cfg.SnapshotEvery) && n.logBytes < n.cfg.SnapshotBytes {
		return
	}
	state, err := n.sm.Snapshot()
	if err != nil {
		// The log keeps growing until a snapshot succeeds; nothing is lost.
		n.ctx.Logger().Error("smr: the state machine cannot snapshot; the log is kept", "index", n.applied, "err", err)
		n.logBytes = 0 // try again after as many bytes
		return
	}
	blob := encodeSnapshot(n.applied, &n.sess, state)
	if err := n.storeSnapshot(n.applied, blob); err != nil {
		n.failed = fmt.Errorf("smr: cannot store the snapshot at %d: %w", n.applied, err)
		return
	}
	if err := n.deleteLog(n.applied); err != nil {
		n.failed = err
		return
	}
	n.logBytes = 0
	n.stats.Snapshots++
}

// readChunk reads piece i of the current snapshot, for a peer.
func (n *Node) readChunk(i int) ([]byte, bool) {
	if i < 0 || i >= n.snap.chunks() {
		return nil, false
	}
	return n.ctx.Storage().Get(snapChunkKey(i))
}
