package transport

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestFrameRoundTrip(t *testing.T) {
	msgs := [][]byte{[]byte("a"), bytes.Repeat([]byte{7}, 1000), []byte("hello, node")}
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	for _, m := range msgs {
		if err := WriteFrame(bw, m, 4096); err != nil {
			t.Fatal(err)
		}
	}
	bw.Flush()
	br := bufio.NewReader(&buf)
	for i, want := range msgs {
		got, err := ReadFrame(br, 4096)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("frame %d: got %q, want %q", i, got, want)
		}
	}
	if _, err := ReadFrame(br, 4096); err != io.EOF {
		t.Fatalf("after the last frame: got %v, want io.EOF", err)
	}
}

func TestFrameRefusesMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, wire, reason string
	}{
		{"empty", "\x00\x00\x00\x00", "empty frame"},
		{"oversized", "\x00\x00\x10\x01", "exceeds the 4096-byte limit"},
		{"huge header", "\xff\xff\xff\xff", "exceeds"},
		{"cut header", "\x00\x00", "inside a frame header"},
		{"cut payload", "\x00\x00\x00\x05abc", "inside the payload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFrame(bufio.NewReader(strings.NewReader(tc.wire)), 4096)
			if !errors.Is(err, ErrFrame) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v, want an ErrFrame saying %q", err, tc.reason)
			}
		})
	}
}

func TestWriteFrameRefusesOversized(t *testing.T) {
	bw := bufio.NewWriter(io.Discard)
	if err := WriteFrame(bw, make([]byte, 11), 10); !errors.Is(err, ErrFrame) {
		t.Fatalf("got %v, want ErrFrame", err)
	}
}

// FuzzFrame feeds arbitrary bytes to the frame reader: it must never panic,
// never return a payload outside 1..max bytes, and every frame it accepts
// must re-encode to exactly the bytes it was read from.
func FuzzFrame(f *testing.F) {
	f.Add(AppendFrame(nil, []byte("hello")))
	f.Add(AppendFrame(AppendFrame(nil, []byte("a")), []byte("bc")))
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2})
	f.Add([]byte{0, 0, 1})
	const max = 1 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		// ReadFrame, and the connection's zero-copy reader fed one byte at a
		// time, must accept the same frames and fail the same way.
		br := bufio.NewReader(bytes.NewReader(data))
		fr := newFrameReader(iotest.OneByteReader(bytes.NewReader(data)), max)
		var again []byte
		for {
			p, err := ReadFrame(br, max)
			q, err2 := fr.next()
			if (err == nil) != (err2 == nil) || !bytes.Equal(p, q) || (err != nil && err.Error() != err2.Error()) {
				t.Fatalf("ReadFrame gave %x, %v; frameReader gave %x, %v", p, err, q, err2)
			}
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrFrame) {
					t.Fatalf("unexpected error type: %v", err)
				}
				break
			}
			if len(p) == 0 || len(p) > max {
				t.Fatalf("accepted a %d-byte payload (limit %d)", len(p), max)
			}
			if cap(q) != len(q) {
				t.Fatalf("payload has spare capacity %d: appending to it would clobber the next", cap(q)-len(q))
			}
			again = AppendFrame(again, p)
		}
		if !bytes.HasPrefix(data, again) {
			t.Fatalf("re-encoded frames %x are not a prefix of the input %x", again, data)
		}
	})
}

func TestFrameReaderAcrossChunks(t *testing.T) {
	// Many small frames cross chunk boundaries; big ones take the separate
	// path; earlier payloads must survive later reads unchanged.
	var wire []byte
	var want [][]byte
	for i := range 3000 {
		n := 1 + i%97
		if i%500 == 0 {
			n = chunkLimit + 1 + i
		}
		p := bytes.Repeat([]byte{byte(i)}, n)
		want = append(want, p)
		wire = AppendFrame(wire, p)
	}
	fr := newFrameReader(iotest.HalfReader(bytes.NewReader(wire)), 1<<20)
	var got [][]byte
	for {
		p, err := fr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("frame %d changed after later reads", i)
		}
	}
}
