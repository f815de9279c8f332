package lattice

// Pair is the product of two lattices, merged componentwise (Bloom^L's
// product). Nil components read as ⊥, so the zero value is ⊥.
type Pair[A Lattice[A], B Lattice[B]] struct {
	A A
	B B
}

// PairOf returns the pair (a, b).
func PairOf[A Lattice[A], B Lattice[B]](a A, b B) *Pair[A, B] { return &Pair[A, B]{A: a, B: b} }

// Merge merges each component.
func (p *Pair[A, B]) Merge(o *Pair[A, B]) bool {
	ca := MergeInto(&p.A, o.A)
	cb := MergeInto(&p.B, o.B)
	return ca || cb
}

// LessEq holds when both components are ≤.
func (p *Pair[A, B]) LessEq(o *Pair[A, B]) bool { return LessEq(p.A, o.A) && LessEq(p.B, o.B) }

// IsBot holds when both components are ⊥.
func (p *Pair[A, B]) IsBot() bool { return IsBot(p.A) && IsBot(p.B) }

// Clone deep-copies p.
func (p *Pair[A, B]) Clone() *Pair[A, B] { return &Pair[A, B]{A: clone(p.A), B: clone(p.B)} }

// DomPair is the lexicographic pair (Bloom^L's dominating pair, hydro's
// DomPair): the pair with the larger Key wins outright and Val is merged
// only between equal keys. It is how a version (a Lamport clock, a ballot)
// guards a value that may be replaced rather than grown: a larger key
// discards the old Val, which is exactly what an LWW register needs.
//
// Caveat: DomPair is a lattice only when Key's order is total over the
// values that actually meet (Max, Min, a Lamport clock with a node-id tie
// break). With a partially ordered key, such as a Set or a VClock, two
// incomparable keys have no "winner"; Merge then merges both components, as
// hydro does, but associativity fails: ((k1,v1) ⊔ (k2,v2)) ⊔ (k3,v3) can
// keep v1 while (k1,v1) ⊔ ((k2,v2) ⊔ (k3,v3)) discarded it, because the
// second grouping let a larger key dominate first. The test
// TestDomPairWithPartialKeyIsCaught shows latticetest finding this.
type DomPair[K Lattice[K], V Lattice[V]] struct {
	Key K
	Val V
}

// DomPairOf returns the dominating pair (k, v).
func DomPairOf[K Lattice[K], V Lattice[V]](k K, v V) *DomPair[K, V] {
	return &DomPair[K, V]{Key: k, Val: v}
}

// Merge keeps the pair with the larger key, merging values on equal keys.
func (d *DomPair[K, V]) Merge(o *DomPair[K, V]) bool {
	le, ge := LessEq(d.Key, o.Key), LessEq(o.Key, d.Key)
	switch {
	case le && ge:
		return MergeInto(&d.Val, o.Val)
	case le:
		d.Key, d.Val = clone(o.Key), clone(o.Val)
		return true
	case ge:
		return false
	default: // incomparable keys: not a lattice any more, see the type's doc
		ck := MergeInto(&d.Key, o.Key)
		cv := MergeInto(&d.Val, o.Val)
		return ck || cv
	}
}

// LessEq reports d ≤ o lexicographically.
func (d *DomPair[K, V]) LessEq(o *DomPair[K, V]) bool {
	if !LessEq(d.Key, o.Key) {
		return false
	}
	if !LessEq(o.Key, d.Key) {
		return true
	}
	return LessEq(d.Val, o.Val)
}

// IsBot holds when both components are ⊥.
func (d *DomPair[K, V]) IsBot() bool { return IsBot(d.Key) && IsBot(d.Val) }

// Clone deep-copies d.
func (d *DomPair[K, V]) Clone() *DomPair[K, V] {
	return &DomPair[K, V]{Key: clone(d.Key), Val: clone(d.Val)}
}
