package smr

import (
	"encoding/binary"
	"fmt"
)

// A batch is the value of one consensus instance: the commands the leader
// gathered, in the order they will be applied. Its encoding is a uvarint
// count, then for each command uvarint client ‖ uvarint seq ‖ uvarint
// length ‖ bytes. The empty string is the no-op a follower proposes when
// it must coordinate an instance it has no command for, and what a leader
// proposes to fill a gap in the log.

// command is one client command, as queued and as decided.
type command struct {
	client, seq uint64
	cmd         []byte
}

type key struct{ client, seq uint64 }

func (c command) key() key { return key{c.client, c.seq} }

// size is the command's share of an encoded batch.
func (c command) size() int {
	return uvarintLen(c.client) + uvarintLen(c.seq) + uvarintLen(uint64(len(c.cmd))) + len(c.cmd)
}

const noop = ""

func encodeBatch(cmds []command) string {
	n := uvarintLen(uint64(len(cmds)))
	for _, c := range cmds {
		n += c.size()
	}
	b := binary.AppendUvarint(make([]byte, 0, n), uint64(len(cmds)))
	for _, c := range cmds {
		b = binary.AppendUvarint(b, c.client)
		b = binary.AppendUvarint(b, c.seq)
		b = appendBytes(b, c.cmd)
	}
	return string(b)
}

// decodeBatch decodes a batch. The commands alias one copy of v.
func decodeBatch(v string) ([]command, error) {
	if v == noop {
		return nil, nil
	}
	r := reader{b: []byte(v)}
	n := r.u()
	if n > uint64(len(r.b))/3 { // a command takes three bytes at least
		return nil, fmt.Errorf("smr: batch: %d commands in %d bytes", n, len(v))
	}
	cmds := make([]command, 0, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		cmds = append(cmds, command{client: r.u(), seq: r.u(), cmd: r.bytes()})
	}
	if err := r.end("batch"); err != nil {
		return nil, err
	}
	return cmds, nil
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
