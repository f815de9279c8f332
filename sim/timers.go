package sim

// timers maps a node's armed timer keys to the generation of their latest
// arming. A process has few timers at once, so a slice scanned linearly beats
// a map (no hashing of the key on every set and fire).
type timers struct {
	keys []string
	gens []uint64
}

func (t *timers) reset() {
	clear(t.keys)
	t.keys, t.gens = t.keys[:0], t.gens[:0]
}

func (t *timers) set(key string, gen uint64) {
	for i, k := range t.keys {
		if k == key {
			t.gens[i] = gen
			return
		}
	}
	t.keys = append(t.keys, key)
	t.gens = append(t.gens, gen)
}

func (t *timers) cancel(key string) {
	for i, k := range t.keys {
		if k == key {
			last := len(t.keys) - 1
			t.keys[i], t.gens[i] = t.keys[last], t.gens[last]
			t.keys[last] = ""
			t.keys, t.gens = t.keys[:last], t.gens[:last]
			return
		}
	}
}

// armed reports whether a timer event with this generation is the one
// currently armed under key.
func (t *timers) armed(key string, gen uint64) bool {
	for i, k := range t.keys {
		if k == key {
			return t.gens[i] == gen
		}
	}
	return false
}
