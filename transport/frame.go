package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/rondo-dev/rondo/core"
)

// FrameHeader is the size of a frame's length prefix.
const FrameHeader = 4

// DefaultMaxFrame bounds a frame's payload when Config.MaxFrame is zero: the
// message size limit every world shares (the simulator enforces it too).
const DefaultMaxFrame = core.MaxMessageSize

// ErrFrame wraps every reason a frame is refused: too large, empty or cut
// short. A connection that sends one is closed.
var ErrFrame = errors.New("bad frame")

// cutShort is a frame the connection ended inside. It is an ErrFrame, and
// also an io.ErrUnexpectedEOF: the usual cause is a peer that crashed or
// stopped in the middle of sending, which the transport reports as the
// peer going away rather than as a malformed frame.
type cutShort string

func (e cutShort) Error() string { return ErrFrame.Error() + ": connection ended " + string(e) }

func (e cutShort) Is(target error) bool { return target == ErrFrame || target == io.ErrUnexpectedEOF }

// AppendFrame appends payload to buf as one frame.
func AppendFrame(buf, payload []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(payload)))
	return append(buf, payload...)
}

// WriteFrame writes payload as one frame to w. It refuses a payload larger
// than max, so that a sender never emits what its peer would refuse.
func WriteFrame(w *bufio.Writer, payload []byte, max int) error {
	if len(payload) == 0 || len(payload) > max {
		return fmt.Errorf("%w: payload of %d bytes is outside 1..%d", ErrFrame, len(payload), max)
	}
	// AvailableBuffer keeps the header off the heap: no allocation per frame.
	hdr := binary.BigEndian.AppendUint32(w.AvailableBuffer(), uint32(len(payload)))
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// ReadFrame reads one frame from r and returns its payload in a fresh slice
// the caller owns. It returns io.EOF only on a clean end between frames; a
// length outside 1..max or a frame cut short is an error wrapping ErrFrame.
// The length is checked before anything is allocated, so a hostile header
// cannot make the reader allocate more than max bytes.
func ReadFrame(r *bufio.Reader, max int) ([]byte, error) {
	hdr, err := r.Peek(FrameHeader)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			return nil, cutShort("inside a frame header")
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr)
	r.Discard(FrameHeader)
	if n == 0 {
		return nil, fmt.Errorf("%w: empty frame", ErrFrame)
	}
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: frame of %d bytes exceeds the %d-byte limit", ErrFrame, n, max)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, cutShort(fmt.Sprintf("after %d-byte header, inside the payload", n))
		}
		return nil, err
	}
	return payload, nil
}

// frameReader reads frames without copying them twice: it reads from the
// connection straight into a chunk and hands out payloads that are slices of
// that chunk, each capped at its length so that appending to one cannot
// overwrite the next. A chunk is never reused, only replaced (the unread tail
// is carried over), because handed-out payloads still point into it; a
// retained message therefore keeps at most one chunk alive. Payloads larger
// than chunkLimit get their own allocation.
type frameReader struct {
	r          io.Reader
	max        int
	buf        []byte
	start, end int // the unread bytes are buf[start:end]
}

const (
	chunkSize  = 64 << 10
	chunkLimit = 4 << 10
)

func newFrameReader(r io.Reader, max int) *frameReader {
	return &frameReader{r: r, max: max}
}

// next returns the next frame's payload, with ReadFrame's errors.
func (fr *frameReader) next() ([]byte, error) {
	if err := fr.fill(FrameHeader); err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, cutShort("inside a frame header")
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(fr.buf[fr.start:])
	if n == 0 {
		return nil, fmt.Errorf("%w: empty frame", ErrFrame)
	}
	if uint64(n) > uint64(fr.max) {
		return nil, fmt.Errorf("%w: frame of %d bytes exceeds the %d-byte limit", ErrFrame, n, fr.max)
	}
	fr.start += FrameHeader
	if n > chunkLimit {
		payload := make([]byte, n)
		k := copy(payload, fr.buf[fr.start:fr.end])
		fr.start += k
		if _, err := io.ReadFull(fr.r, payload[k:]); err != nil {
			return nil, payloadCut(err, n)
		}
		return payload, nil
	}
	if err := fr.fill(int(n)); err != nil {
		return nil, payloadCut(err, n)
	}
	payload := fr.buf[fr.start : fr.start+int(n) : fr.start+int(n)]
	fr.start += int(n)
	return payload, nil
}

func payloadCut(err error, n uint32) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return cutShort(fmt.Sprintf("after %d-byte header, inside the payload", n))
	}
	return err
}

// fill makes at least need unread bytes available. It returns io.EOF if
// the stream ended cleanly before any of them, io.ErrUnexpectedEOF if it
// ended part way.
func (fr *frameReader) fill(need int) error {
	if fr.end-fr.start >= need {
		return nil
	}
	if len(fr.buf)-fr.start < need {
		// Not enough room after start: move the unread tail to a fresh chunk.
		nb := make([]byte, max(chunkSize, need))
		fr.end = copy(nb, fr.buf[fr.start:fr.end])
		fr.buf, fr.start = nb, 0
	}
	for fr.end-fr.start < need {
		k, err := fr.r.Read(fr.buf[fr.end:])
		fr.end += k
		if err != nil {
			if fr.end-fr.start >= need {
				return nil
			}
			if err == io.EOF && fr.end > fr.start {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}
