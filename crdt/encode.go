package crdt

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt/internal/wire"
	"github.com/rondo-dev/rondo/lattice"
)

// The binary encodings here are versioned by a leading tag byte per type,
// written with uvarints, deterministic (entries sorted, never in map
// order, so that a simulated run's bytes replay exactly), and decoded by
// readers that bound every count by the input left, so that no input can
// make a decoder panic or allocate much more than its own size.

var errMalformed = errors.New("crdt: malformed encoding")

const (
	tagGCounter byte = 0xC1 + iota
	tagPNCounter
	tagLWW
	tagMVRegister
	tagEWFlag
	tagAWSet
	tagORMap
)

// maxElem bounds one JSON-encoded element.
const maxElem = 1 << 20

// appendElem encodes one element: natively for strings, integers, bools and
// byte slices, as length-prefixed JSON for anything else.
func appendElem(b []byte, x any) ([]byte, error) {
	switch v := x.(type) {
	case string:
		return wire.AppendString(b, v), nil
	case []byte:
		return wire.AppendBytes(b, v), nil
	case bool:
		if v {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case int:
		return wire.AppendUvarint(b, zigzag(int64(v))), nil
	case int64:
		return wire.AppendUvarint(b, zigzag(v)), nil
	case int32:
		return wire.AppendUvarint(b, zigzag(int64(v))), nil
	case uint:
		return wire.AppendUvarint(b, uint64(v)), nil
	case uint64:
		return wire.AppendUvarint(b, v), nil
	case uint32:
		return wire.AppendUvarint(b, uint64(v)), nil
	case core.NodeID:
		return wire.AppendUvarint(b, uint64(v)), nil
	}
	j, err := json.Marshal(x)
	if err != nil {
		return b, fmt.Errorf("crdt: encoding element: %w", err)
	}
	return wire.AppendBytes(b, j), nil
}

// readElem decodes what appendElem wrote into *p.
func readElem(r *wire.Reader, p any) {
	switch v := p.(type) {
	case *string:
		*v = r.String()
	case *[]byte:
		*v = append([]byte(nil), r.Bytes(r.Uvarint())...)
	case *bool:
		switch r.Byte() {
		case 0:
			*v = false
		case 1:
			*v = true
		default:
			r.Fail(errMalformed)
		}
	case *int:
		*v = int(unzigzag(r.Uvarint()))
	case *int64:
		*v = unzigzag(r.Uvarint())
	case *int32:
		*v = int32(unzigzag(r.Uint(1<<32 - 1)))
	case *uint:
		*v = uint(r.Uvarint())
	case *uint64:
		*v = r.Uvarint()
	case *uint32:
		*v = uint32(r.Uint(1<<32 - 1))
	case *core.NodeID:
		*v = core.NodeID(r.Uint(1<<32 - 1))
	default:
		n := r.Uint(maxElem)
		j := r.Bytes(n)
		if r.Err() == nil {
			if err := json.Unmarshal(j, p); err != nil {
				r.Fail(err)
			}
		}
	}
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func appendDot(b []byte, d Dot) []byte {
	return wire.AppendUvarint(wire.AppendUvarint(b, uint64(d.Node)), d.Seq)
}

func readDot(r *wire.Reader) Dot {
	n := r.Uint(1<<32 - 1)
	s := r.Uvarint()
	if s == 0 {
		r.Fail(errMalformed)
	}
	return Dot{core.NodeID(n), s}
}

func appendDots(b []byte, ds []Dot) []byte {
	b = wire.AppendUvarint(b, uint64(len(ds)))
	for _, d := range ds {
		b = appendDot(b, d)
	}
	return b
}

func readDots(r *wire.Reader) []Dot {
	n := r.Count(2)
	if n == 0 {
		r.Fail(errMalformed) // a stored entry always has a dot
		return nil
	}
	return readDotsN(r, uint64(n))
}

// appendContext writes the version vector, then the cloud as ranges of
// consecutive dots per node: a delta's context is mostly a few such ranges.
func appendContext(b []byte, c *Context) []byte {
	c = ctxOrEmpty(c)
	nodes := slices.Sorted(maps.Keys(c.vv))
	b = wire.AppendUvarint(b, uint64(len(nodes)))
	for _, n := range nodes {
		b = wire.AppendUvarint(wire.AppendUvarint(b, uint64(n)), c.vv[n])
	}
	cloud := slices.SortedFunc(maps.Keys(c.cloud), cmpDot)
	type span struct {
		d Dot
		n uint64
	}
	var spans []span
	for _, d := range cloud {
		if k := len(spans) - 1; k >= 0 && spans[k].d.Node == d.Node && spans[k].d.Seq+spans[k].n == d.Seq {
			spans[k].n++
			continue
		}
		spans = append(spans, span{d, 1})
	}
	b = wire.AppendUvarint(b, uint64(len(spans)))
	for _, s := range spans {
		b = wire.AppendUvarint(appendDot(b, s.d), s.n)
	}
	return b
}

// maxCloud bounds the dots a decoded cloud may expand to.
const maxCloud = 1 << 22

func readContext(r *wire.Reader) *Context {
	c := &Context{}
	n := r.Count(2)
	for range n {
		node := core.NodeID(r.Uint(1<<32 - 1))
		s := r.Uvarint()
		if r.Err() != nil {
			return c
		}
		if c.vv == nil {
			c.vv = make(map[core.NodeID]uint64, n)
		}
		if _, dup := c.vv[node]; dup {
			r.Fail(errMalformed)
			return c
		}
		c.vv[node] = s
	}
	n = r.Count(3)
	total := uint64(0)
	for range n {
		d := readDot(r)
		k := r.Uvarint()
		total += k
		if r.Err() != nil || k == 0 || total > maxCloud || d.Seq+k < d.Seq {
			r.Fail(errMalformed)
			return c
		}
		for q := d.Seq; q < d.Seq+k; q++ {
			c.Add(Dot{d.Node, q})
		}
	}
	return c
}

// checkStore verifies that every stored dot is in the context, as in every
// state a replica can reach.
func checkStore(r *wire.Reader, c *Context, each func(func(Dot))) {
	each(func(d Dot) {
		if !c.Contains(d) {
			r.Fail(errMalformed)
		}
	})
}

func expectTag(r *wire.Reader, tag byte) {
	if r.Byte() != tag {
		r.Fail(errMalformed)
	}
}

// ---- GCounter, PNCounter

func appendGCounter(b []byte, g *GCounter) []byte {
	nodes := g.v.Nodes()
	b = wire.AppendUvarint(b, uint64(len(nodes)))
	for _, n := range nodes {
		b = wire.AppendUvarint(wire.AppendUvarint(b, uint64(n)), g.v.Get(n))
	}
	return b
}

func readGCounter(r *wire.Reader, g *GCounter) {
	n := r.Count(2)
	entries := make(map[core.NodeID]uint64, n)
	for range n {
		node := core.NodeID(r.Uint(1<<32 - 1))
		v := r.Uvarint()
		if r.Err() != nil {
			return
		}
		if _, dup := entries[node]; dup {
			r.Fail(errMalformed)
			return
		}
		entries[node] = v
	}
	g.v = *lattice.VClockOf(entries)
}

// AppendBinary appends the encoding of g.
func (g GCounter) AppendBinary(b []byte) ([]byte, error) {
	return appendGCounter(append(b, tagGCounter), &g), nil
}

// UnmarshalBinary decodes a GCounter; it never panics.
func (g *GCounter) UnmarshalBinary(data []byte) error {
	*g = GCounter{}
	r := wire.NewReader(data)
	expectTag(r, tagGCounter)
	readGCounter(r, g)
	return r.Done()
}

// AppendBinary appends the encoding of c.
func (c PNCounter) AppendBinary(b []byte) ([]byte, error) {
	b = appendGCounter(append(b, tagPNCounter), &c.P)
	return appendGCounter(b, &c.N), nil
}

// UnmarshalBinary decodes a PNCounter; it never panics.
func (c *PNCounter) UnmarshalBinary(data []byte) error {
	*c = PNCounter{}
	r := wire.NewReader(data)
	expectTag(r, tagPNCounter)
	readGCounter(r, &c.P)
	readGCounter(r, &c.N)
	return r.Done()
}

// ---- LWW

// AppendBinary appends the encoding of r.
func (r LWW[T]) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, tagLWW)
	if !r.ok {
		return append(b, 0), nil
	}
	b = append(b, 1)
	b = wire.AppendUvarint(wire.AppendUvarint(b, r.ts), uint64(r.node))
	return appendElem(b, r.val)
}

// UnmarshalBinary decodes an LWW register; it never panics.
func (r *LWW[T]) UnmarshalBinary(data []byte) error {
	*r = LWW[T]{}
	rd := wire.NewReader(data)
	expectTag(rd, tagLWW)
	switch rd.Byte() {
	case 0:
	case 1:
		r.ok = true
		r.ts = rd.Uvarint()
		r.node = core.NodeID(rd.Uint(1<<32 - 1))
		readElem(rd, &r.val)
	default:
		rd.Fail(errMalformed)
	}
	if err := rd.Done(); err != nil {
		*r = LWW[T]{}
		return err
	}
	return nil
}

// ---- causal types: store, then context

// AppendBinary appends the encoding of f.
func (f EWFlag) AppendBinary(b []byte) ([]byte, error) {
	b, _ = f.appendStore(append(b, tagEWFlag))
	return appendContext(b, f.ctx), nil
}

func (f *EWFlag) appendStore(b []byte) ([]byte, error) {
	if len(f.dots) == 0 {
		return append(b, 0), nil
	}
	return appendDots(b, f.dots), nil
}

func (f *EWFlag) readStore(r *wire.Reader, ctx *Context) *EWFlag {
	v := &EWFlag{ctx: ctx}
	if n := r.Uvarint(); n > 0 && r.Err() == nil {
		// Re-read with the count: readDots wants it in front.
		v.dots = readDotsN(r, n)
	}
	return v
}

// UnmarshalBinary decodes an EWFlag; it never panics.
func (f *EWFlag) UnmarshalBinary(data []byte) error {
	return decodeCausal(data, tagEWFlag, f, func(v *EWFlag) { *f = *v })
}

func readDotsN(r *wire.Reader, n uint64) []Dot {
	if n > uint64(r.Len()/2) {
		r.Fail(errMalformed)
		return nil
	}
	ds := make([]Dot, 0, n)
	for range n {
		d := readDot(r)
		if slices.Contains(ds, d) {
			r.Fail(errMalformed)
		}
		ds = append(ds, d)
	}
	slices.SortFunc(ds, cmpDot)
	return ds
}

// AppendBinary appends the encoding of m.
func (m MVRegister[T]) AppendBinary(b []byte) ([]byte, error) {
	b, err := m.appendStore(append(b, tagMVRegister))
	if err != nil {
		return b, err
	}
	return appendContext(b, m.ctx), nil
}

func (m *MVRegister[T]) appendStore(b []byte) ([]byte, error) {
	dots := slices.SortedFunc(maps.Keys(m.vals), cmpDot)
	b = wire.AppendUvarint(b, uint64(len(dots)))
	var err error
	for _, d := range dots {
		if b, err = appendElem(appendDot(b, d), m.vals[d]); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (m *MVRegister[T]) readStore(r *wire.Reader, ctx *Context) *MVRegister[T] {
	v := &MVRegister[T]{ctx: ctx}
	n := r.Count(3)
	for range n {
		d := readDot(r)
		var x T
		readElem(r, &x)
		if r.Err() != nil {
			break
		}
		if v.vals == nil {
			v.vals = make(map[Dot]T, n)
		}
		if _, dup := v.vals[d]; dup {
			r.Fail(errMalformed)
		}
		v.vals[d] = x
	}
	return v
}

// UnmarshalBinary decodes an MVRegister; it never panics.
func (m *MVRegister[T]) UnmarshalBinary(data []byte) error {
	return decodeCausal(data, tagMVRegister, m, func(v *MVRegister[T]) { *m = *v })
}

// AppendBinary appends the encoding of s.
func (s AWSet[T]) AppendBinary(b []byte) ([]byte, error) {
	b, err := s.appendStore(append(b, tagAWSet))
	if err != nil {
		return b, err
	}
	return appendContext(b, s.ctx), nil
}

func (s *AWSet[T]) appendStore(b []byte) ([]byte, error) {
	// Entries in the order of their first dot: deterministic, and every
	// dot belongs to one entry.
	keys := slices.Collect(maps.Keys(s.entries))
	slices.SortFunc(keys, func(a, c T) int { return cmpDot(s.entries[a][0], s.entries[c][0]) })
	b = wire.AppendUvarint(b, uint64(len(keys)))
	var err error
	for _, k := range keys {
		if b, err = appendElem(b, k); err != nil {
			return b, err
		}
		b = appendDots(b, s.entries[k])
	}
	return b, nil
}

func (s *AWSet[T]) readStore(r *wire.Reader, ctx *Context) *AWSet[T] {
	v := &AWSet[T]{ctx: ctx}
	n := r.Count(3)
	for range n {
		var x T
		readElem(r, &x)
		ds := readDots(r)
		if r.Err() != nil {
			break
		}
		if _, dup := v.entries[x]; dup {
			r.Fail(errMalformed)
			break
		}
		for _, d := range ds {
			if _, taken := v.owner[d]; taken { // a dot belongs to one element
				r.Fail(errMalformed)
			}
		}
		v.set(x, ds)
	}
	return v
}

// UnmarshalBinary decodes an AWSet; it never panics.
func (s *AWSet[T]) UnmarshalBinary(data []byte) error {
	return decodeCausal(data, tagAWSet, s, func(v *AWSet[T]) { *s = *v })
}

// AppendBinary appends the encoding of m.
func (m ORMap[K, V]) AppendBinary(b []byte) ([]byte, error) {
	b, err := m.appendStore(append(b, tagORMap))
	if err != nil {
		return b, err
	}
	return appendContext(b, m.ctx), nil
}

func (m *ORMap[K, V]) appendStore(b []byte) ([]byte, error) {
	first := make(map[K]Dot, len(m.entries))
	for k, v := range m.entries {
		min := Dot{Node: ^core.NodeID(0), Seq: ^uint64(0)}
		v.eachDot(func(d Dot) {
			if cmpDot(d, min) < 0 {
				min = d
			}
		})
		first[k] = min
	}
	keys := slices.SortedFunc(maps.Keys(m.entries), func(a, c K) int { return cmpDot(first[a], first[c]) })
	b = wire.AppendUvarint(b, uint64(len(keys)))
	var err error
	for _, k := range keys {
		if b, err = appendElem(b, k); err != nil {
			return b, err
		}
		if b, err = m.entries[k].appendStore(b); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (m *ORMap[K, V]) readStore(r *wire.Reader, ctx *Context) *ORMap[K, V] {
	var zero V
	v := &ORMap[K, V]{ctx: ctx}
	n := r.Count(2)
	for range n {
		var k K
		readElem(r, &k)
		nv := zero.readStore(r, ctx)
		if r.Err() != nil {
			break
		}
		if nv.storeEmpty() {
			r.Fail(errMalformed)
			break
		}
		if _, dup := v.entries[k]; dup {
			r.Fail(errMalformed)
			break
		}
		nv.eachDot(func(d Dot) {
			if _, taken := v.owner[d]; taken { // a dot lives under one key
				r.Fail(errMalformed)
			}
		})
		v.reindex(k, nil, nv, true)
	}
	return v
}

// UnmarshalBinary decodes an ORMap; it never panics.
func (m *ORMap[K, V]) UnmarshalBinary(data []byte) error {
	return decodeCausal(data, tagORMap, m, func(v *ORMap[K, V]) { *m = *v })
}

// storeCodec is the part of Embeddable that encodes.
type storeCodec[V any] interface {
	Embeddable[V]
	appendStore(b []byte) ([]byte, error)
	readStore(r *wire.Reader, ctx *Context) V
}

// decodeCausal reads tag, store, context; checks that the store only holds
// seen dots; and hands the value to set.
func decodeCausal[V storeCodec[V]](data []byte, tag byte, zero V, set func(V)) (err error) {
	r := wire.NewReader(data)
	expectTag(r, tag)
	ctx := &Context{}
	v := zero.readStore(r, ctx)
	*ctx = *readContext(r)
	checkStore(r, ctx, v.eachDot)
	if err := r.Done(); err != nil {
		set(zero.newIn(&Context{}))
		return err
	}
	set(v)
	return nil
}
