package edittrace

import "unicode/utf8"

// Units says what a trace's positions and deletion lengths count.
type Units uint8

const (
	// Bytes: positions are UTF-8 byte offsets, as text.Doc counts them.
	Bytes Units = iota
	// CodePoints: positions count Unicode code points, as the
	// editing-traces format declares for every trace ("Position in the
	// document. This number is specified in unicode codepoints").
	CodePoints
)

func (u Units) String() string {
	if u == CodePoints {
		return "code points"
	}
	return "bytes"
}

// runeText is a replica's visible text kept beside it while replaying a
// trace whose positions count code points, to turn them into the byte
// offsets text.Doc takes. Chunks of at most maxChunk bytes, each with its
// code point count, so a conversion walks chunks, not characters.
type runeText struct {
	chunks [][]byte
	runes  []int
}

const maxChunk = 1024

func newRuneText(s string) *runeText {
	t := &runeText{}
	for len(s) > 0 {
		n := cut(s, maxChunk/2)
		t.chunks = append(t.chunks, []byte(s[:n]))
		t.runes = append(t.runes, utf8.RuneCountInString(s[:n]))
		s = s[n:]
	}
	return t
}

// cut returns a prefix length of s of about n bytes that ends on a
// character boundary.
func cut[S string | []byte](s S, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for n < len(s) && !utf8.RuneStart(s[n]) {
		n++
	}
	return n
}

// byteOffset returns the byte offset of code point cp, clamped to the
// text.
func (t *runeText) byteOffset(cp int) int {
	off := 0
	for i, c := range t.chunks {
		if cp < t.runes[i] {
			for cp > 0 {
				_, w := utf8.DecodeRune(c)
				c = c[w:]
				off += w
				cp--
			}
			return off
		}
		cp -= t.runes[i]
		off += len(c)
	}
	return off
}

// insert puts s at byte offset off.
func (t *runeText) insert(off int, s string) {
	i := 0
	for ; i < len(t.chunks) && off > len(t.chunks[i]); i++ {
		off -= len(t.chunks[i])
	}
	if i == len(t.chunks) {
		t.chunks = append(t.chunks, nil)
		t.runes = append(t.runes, 0)
	}
	c := append(t.chunks[i][:off:off], s...)
	c = append(c, t.chunks[i][off:]...)
	t.chunks[i], t.runes[i] = c, t.runes[i]+utf8.RuneCountInString(s)
	for len(t.chunks[i]) > maxChunk {
		c := t.chunks[i]
		n := cut(c, len(c)/2)
		head, tail := c[:n:n], c[n:]
		hr := utf8.RuneCount(head)
		t.chunks = append(t.chunks[:i+1], t.chunks[i:]...)
		t.runes = append(t.runes[:i+1], t.runes[i:]...)
		t.chunks[i], t.chunks[i+1] = head, tail
		t.runes[i], t.runes[i+1] = hr, t.runes[i+1]-hr
		if len(head) <= maxChunk {
			i++
		}
	}
}

// delete removes n bytes from byte offset off.
func (t *runeText) delete(off, n int) {
	for i := 0; i < len(t.chunks) && n > 0; {
		c := t.chunks[i]
		if off >= len(c) {
			off -= len(c)
			i++
			continue
		}
		m := min(n, len(c)-off)
		t.runes[i] -= utf8.RuneCount(c[off : off+m])
		t.chunks[i] = append(c[:off:off], c[off+m:]...)
		n -= m
		if len(t.chunks[i]) == 0 {
			t.chunks = append(t.chunks[:i], t.chunks[i+1:]...)
			t.runes = append(t.runes[:i], t.runes[i+1:]...)
			continue
		}
		off = 0
		i++
	}
}
