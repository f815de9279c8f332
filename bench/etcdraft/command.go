package etcdraft

import (
	"encoding/binary"
	"errors"
)

// A proposal's bytes: the proposal id (so the replica that proposed it can
// wake its waiting client when it applies), the key's length, the key and
// the value.
//
//	id uint64 | keyLen uint16 | key | value
const commandHeader = 8 + 2

var errBadCommand = errors.New("etcdraft: malformed command")

func encodeCommand(id uint64, key string, value []byte) []byte {
	b := make([]byte, commandHeader+len(key)+len(value))
	binary.BigEndian.PutUint64(b, id)
	binary.BigEndian.PutUint16(b[8:], uint16(len(key)))
	n := copy(b[commandHeader:], key)
	copy(b[commandHeader+n:], value)
	return b
}

func decodeCommand(b []byte) (id uint64, key string, value []byte, err error) {
	if len(b) < commandHeader {
		return 0, "", nil, errBadCommand
	}
	id = binary.BigEndian.Uint64(b)
	n := int(binary.BigEndian.Uint16(b[8:]))
	if len(b) < commandHeader+n {
		return 0, "", nil, errBadCommand
	}
	return id, string(b[commandHeader : commandHeader+n]), b[commandHeader+n:], nil
}
