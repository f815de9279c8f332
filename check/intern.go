package check

import (
	"unsafe"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

type flags uint8

const (
	flagCrashed flags = 1 << iota
	flagByzantine
)

// local is an interned local state: the algorithm's state plus what the
// model owns (status, input, fault flags). Carrying input and flags inside
// it is what makes a sorted vector of locals a faithful symmetric
// representative.
type local[S comparable] struct {
	S  S
	St rounds.Status
	In rounds.Value
	F  flags
}

// interner numbers the distinct local states and messages of an
// exploration, so that a global state is a vector of small integers and a
// mailbox a vector of message ids. Message id 0 means "no message".
type interner[S, M comparable] struct {
	locals   []local[S]
	localIdx map[local[S]]uint32
	msgs     []M // msgs[0] unused
	msgIdx   map[M]uint32
}

func newInterner[S, M comparable]() interner[S, M] {
	return interner[S, M]{localIdx: make(map[local[S]]uint32), msgs: make([]M, 1), msgIdx: make(map[M]uint32)}
}

// local returns l's id, numbering it if it is new.
func (in *interner[S, M]) local(l local[S]) uint32 {
	if id, ok := in.localIdx[l]; ok {
		return id
	}
	id := uint32(len(in.locals))
	in.locals = append(in.locals, l)
	in.localIdx[l] = id
	return id
}

// msg returns m's id (never 0), numbering it if it is new.
func (in *interner[S, M]) msg(m M) uint32 {
	if id, ok := in.msgIdx[m]; ok {
		return id
	}
	id := uint32(len(in.msgs))
	in.msgs = append(in.msgs, m)
	in.msgIdx[m] = id
	return id
}

// bytes estimates the memory the interner holds: the values, twice (slice
// and map key), and the maps' overhead.
func (in *interner[S, M]) bytes() uint64 {
	l := uint64(unsafe.Sizeof(local[S]{}))
	m := uint64(unsafe.Sizeof(*new(M)))
	return uint64(cap(in.locals))*l + uint64(len(in.localIdx))*(l+4)*2 +
		uint64(cap(in.msgs))*m + uint64(len(in.msgIdx))*(m+4)*2
}

// fill sets g's states, statuses, inputs and fault sets from the global
// state vec (g.Round is the caller's).
func (in *interner[S, M]) fill(g *rounds.Global[S], vec []uint32) {
	g.Faulty, g.Crashed = 0, 0
	for p, id := range vec {
		l := &in.locals[id]
		g.States[p], g.Status[p], g.Inputs[p] = l.S, l.St, l.In
		if l.F&flagByzantine != 0 {
			g.Faulty = g.Faulty.Add(core.NodeID(p))
		}
		if l.F&flagCrashed != 0 {
			g.Crashed = g.Crashed.Add(core.NodeID(p))
		}
	}
}
