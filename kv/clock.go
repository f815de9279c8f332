package kv

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rondo-dev/rondo/core"
)

// Clock counts writes per replica. A client's session token is a Clock:
// the join of every clock it was handed back. A replica whose clock is ≥
// the token holds every write the session made or saw, because a delta
// carrying a replica's k-th clock entry carries its k-th write too, and
// delta-interval anti-entropy delivers a replica's deltas causally.
type Clock map[core.NodeID]uint64

// Merge takes the pointwise max into c and reports whether c changed.
func (c Clock) Merge(o Clock) bool {
	changed := false
	for n, v := range o {
		if v > c[n] {
			c[n] = v
			changed = true
		}
	}
	return changed
}

// LessEq reports whether every entry of c is ≤ o's.
func (c Clock) LessEq(o Clock) bool {
	for n, v := range c {
		if v > o[n] {
			return false
		}
	}
	return true
}

// IsZero reports whether every entry is 0.
func (c Clock) IsZero() bool {
	for _, v := range c {
		if v != 0 {
			return false
		}
	}
	return true
}

// String formats c as a session token: "0.5-2.3" (node.count, by node).
// The empty clock is "".
func (c Clock) String() string {
	nodes := slices.Sorted(maps.Keys(c))
	parts := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if c[n] > 0 {
			parts = append(parts, fmt.Sprintf("%d.%d", n, c[n]))
		}
	}
	return strings.Join(parts, "-")
}

// MaxTokenNodes bounds the entries of a session token a replica parses.
const MaxTokenNodes = 1024

// ParseClock parses a session token written by Clock.String.
func ParseClock(s string) (Clock, error) {
	c := Clock{}
	if s == "" {
		return c, nil
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
	return c, nil
}
