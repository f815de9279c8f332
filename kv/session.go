package kv

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/lattice"
)

// A client's session token is a vector clock (lattice.VClock) of writes per
// replica: the join of every clock it was handed back. A replica whose
// clock is ≥ the token holds every write the session made or saw, because
// a delta carrying a replica's k-th clock entry carries its k-th write too,
// and delta-interval anti-entropy delivers a replica's deltas causally (a
// whole-state transfer delivers the clock last, after every key).

// FormatSession writes c as a session token: "0.5-2.3" (node.count, by
// node, zero entries left out). The empty clock is "".
func FormatSession(c *lattice.VClock) string {
	var parts []string
	for _, n := range c.Nodes() {
		if v := c.Get(n); v > 0 {
			parts = append(parts, fmt.Sprintf("%d.%d", n, v))
		}
	}
	return strings.Join(parts, "-")
}

// MaxTokenNodes bounds the entries of a session token a replica parses.
const MaxTokenNodes = 1024

// ParseSession parses a session token written by FormatSession.
func ParseSession(s string) (*lattice.VClock, error) {
	c := map[core.NodeID]uint64{}
	if s == "" {
		return lattice.VClockOf(c), nil
	}
	parts := strings.Split(s, "-")
	if len(parts) > MaxTokenNodes {
		return nil, fmt.Errorf("session token names %d replicas, more than %d", len(parts), MaxTokenNodes)
	}
	for _, p := range parts {
		node, count, ok := strings.Cut(p, ".")
		n, err1 := strconv.ParseUint(node, 10, 32)
		v, err2 := strconv.ParseUint(count, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("session token part %q is not NODE.COUNT", p)
		}
		c[core.NodeID(n)] = max(c[core.NodeID(n)], v)
	}
	return lattice.VClockOf(c), nil
}
