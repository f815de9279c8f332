package broadcast

// seqSet is a set of sequence numbers from one origin. Sequence numbers are
// dense and start at 1, so a bitmap is both smaller and faster than a hash
// set; the fully-set prefix is dropped as it forms, so a long-lived node
// keeps only the window of numbers still in doubt.
type seqSet struct {
	base  uint64 // every seq < base is in the set
	words []uint64
	far   map[uint64]struct{} // numbers beyond the bitmap's reach
}

// maxWords bounds the bitmap (4 Mi numbers): a sequence number far ahead of
// the prefix, honest after a long loss or hostile, goes to a map instead of
// growing the bitmap without bound.
const maxWords = 1 << 16

func (s *seqSet) has(seq uint64) bool {
	if seq < s.base {
		return true
	}
	i := (seq - s.base) / 64
	if i >= maxWords {
		_, ok := s.far[seq]
		return ok
	}
	return i < uint64(len(s.words)) && s.words[i]&(1<<((seq-s.base)%64)) != 0
}

// add inserts seq and reports whether it was new.
func (s *seqSet) add(seq uint64) bool {
	if seq < s.base {
		return false
	}
	i := (seq - s.base) / 64
	if i >= maxWords {
		if _, ok := s.far[seq]; ok {
			return false
		}
		if s.far == nil {
			s.far = make(map[uint64]struct{})
		}
		s.far[seq] = struct{}{}
		return true
	}
	for uint64(len(s.words)) <= i {
		s.words = append(s.words, 0)
	}
	bit := uint64(1) << ((seq - s.base) % 64)
	if s.words[i]&bit != 0 {
		return false
	}
	s.words[i] |= bit
	// Drop full words from the front.
	k := 0
	for k < len(s.words) && s.words[k] == ^uint64(0) {
		k++
	}
	if k > 0 {
		s.base += 64 * uint64(k)
		s.words = append(s.words[:0], s.words[k:]...)
		s.pullNear()
	}
	return true
}

// pullNear moves far numbers that the advanced base brought within reach
// back into the bitmap.
func (s *seqSet) pullNear() {
	for seq := range s.far {
		if seq < s.base {
			delete(s.far, seq)
		} else if (seq-s.base)/64 < maxWords {
			delete(s.far, seq)
			s.add(seq)
		}
	}
}
