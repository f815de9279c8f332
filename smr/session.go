package smr

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
)

// sessions is the table that makes every (client, seq) take effect at
// most once. It is replicated state: every replica updates it in log
// order, and it is part of every snapshot, so a duplicate is recognised
// whichever leader proposed it and whichever replica applies it.
//
// A client's session remembers the highest seq applied (max) and the
// results of the applied seqs in (max−window, max]. A seq in that range
// without a result was never applied: it is applied now (a client may have
// several commands outstanding, decided in any order). A seq at or below
// max−window is expired: it may have been applied, but its result is gone.
type sessions struct {
	window, limit int
	m             map[uint64]*session
}

type session struct {
	max     uint64
	last    uint64 // the log index of the client's latest command: eviction order
	results map[uint64]result
}

type result struct {
	index uint64
	data  []byte
}

// outcome is what the table says of a (client, seq).
type outcome uint8

const (
	fresh     outcome = iota // never applied: apply it
	duplicate                // applied: here is its result
	expired                  // below the window: unknown
)

func newSessions(window, limit int) sessions {
	return sessions{window: window, limit: limit, m: map[uint64]*session{}}
}

func (t *sessions) check(client, seq uint64) (result, outcome) {
	s := t.m[client]
	if s == nil {
		return result{}, fresh
	}
	if r, ok := s.results[seq]; ok {
		return r, duplicate
	}
	if s.max >= uint64(t.window) && seq <= s.max-uint64(t.window) {
		return result{}, expired
	}
	return result{}, fresh
}

// record notes that (client, seq) was applied at index with data as result.
func (t *sessions) record(client, seq, index uint64, data []byte) {
	s := t.m[client]
	if s == nil {
		s = &session{results: map[uint64]result{}}
		t.m[client] = s
	}
	s.results[seq] = result{index: index, data: data}
	s.last = index
	if seq > s.max {
		prev := s.max
		s.max = seq
		s.expire(prev, uint64(t.window))
	}
	if len(t.m) > t.limit {
		t.evict()
	}
}

// expire drops the results that fell out of the window when max rose from
// prev. A client's seqs mostly rise one at a time, so it deletes the few
// seqs that left, rather than walking every result at every command.
func (s *session) expire(prev, window uint64) {
	if s.max < window {
		return
	}
	hi := s.max - window // results at or below hi go
	lo := uint64(1)      // the lowest seq that may still be there
	if prev >= window {
		lo = prev - window + 1
	}
	if hi-lo >= uint64(len(s.results)) {
		for q := range s.results {
			if q <= hi {
				delete(s.results, q)
			}
		}
		return
	}
	for q := lo; q <= hi; q++ {
		delete(s.results, q)
	}
}

// evict drops the least recently active sessions (ties: the lowest client
// id), down to seven eighths of the limit, so that eviction, a sort, runs
// once per limit/8 new clients. Deterministic: it depends on the log only.
func (t *sessions) evict() {
	type age struct{ client, last uint64 }
	all := make([]age, 0, len(t.m))
	for c, s := range t.m {
		all = append(all, age{c, s.last})
	}
	slices.SortFunc(all, func(a, b age) int {
		return cmp.Or(cmp.Compare(a.last, b.last), cmp.Compare(a.client, b.client))
	})
	for _, a := range all[:len(all)-t.limit*7/8] {
		delete(t.m, a.client)
	}
}

// appendTo encodes the table, clients and seqs in increasing order (the
// same table, the same bytes): count ‖ per client: client ‖ max ‖ last ‖
// count ‖ per result: seq ‖ index ‖ data.
func (t *sessions) appendTo(b []byte) []byte {
	clients := make([]uint64, 0, len(t.m))
	for c := range t.m {
		clients = append(clients, c)
	}
	slices.Sort(clients)
	b = binary.AppendUvarint(b, uint64(len(clients)))
	for _, c := range clients {
		s := t.m[c]
		b = appendTriple(b, c, s.max, s.last)
		seqs := make([]uint64, 0, len(s.results))
		for q := range s.results {
			seqs = append(seqs, q)
		}
		slices.Sort(seqs)
		b = binary.AppendUvarint(b, uint64(len(seqs)))
		for _, q := range seqs {
			r := s.results[q]
			b = binary.AppendUvarint(b, q)
			b = binary.AppendUvarint(b, r.index)
			b = appendBytes(b, r.data)
		}
	}
	return b
}

// readSessions decodes what appendTo wrote.
func readSessions(r *reader, window, limit int) (sessions, error) {
	t := newSessions(window, limit)
	n := r.u()
	for i := uint64(0); i < n && r.err == nil; i++ {
		c, s := r.u(), &session{max: r.u(), last: r.u(), results: map[uint64]result{}}
		k := r.u()
		for j := uint64(0); j < k && r.err == nil; j++ {
			q, idx := r.u(), r.u()
			s.results[q] = result{index: idx, data: append([]byte(nil), r.bytes()...)}
		}
		t.m[c] = s
	}
	if r.err != nil {
		return t, fmt.Errorf("session table: %w", r.err)
	}
	return t, nil
}
