package broadcast

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/scenario"
)

// PerNode is how many messages each node broadcasts in the standard workload.
const PerNode = 2

// Spread is the time span the standard workload's broadcasts fall in.
const Spread = 2 * time.Second

// Scenario is eager reliable broadcast with its workload and properties, as
// the CLI runs it.
func Scenario() scenario.Scenario {
	return scenarioWith(options{relay: true, retransmit: true})
}

func scenarioWith(opt options) scenario.Scenario {
	return scenario.Scenario{
		Name:    "broadcast",
		Model:   "event",
		Summary: "eager reliable broadcast: every node relays each message once, over retransmitting links",
		Faults: "crash-stop and crash-restart nodes (any number; only never-crashed nodes count as correct), " +
			"lossy, duplicating, reordering, delaying links and partitions that heal: " +
			"drop<1, dup, reorder, delay, crashes=K, crash=F (F<n), partitions=K; not byzantine",
		FaultModel: "crash-recovery",
		Threshold:  "any f < n crashed nodes",
		MinNodes:   1,
		Register:   Register,
		New: func(core.NodeID, int) core.Process {
			return &Node{opt: opt}
		},
		Workload:   Workload,
		Properties: []string{"validity", "agreement", "integrity"},
		// Uniform agreement here is "delivered by one correct node, then
		// eventually by all": liveness, like validity.
		Liveness: []string{"validity", "agreement"},
		// Each broadcast costs n² messages and the workload grows with n:
		// a run costs about n³ events.
		MaxNodes:    256,
		MaxNodesWhy: "each broadcast is relayed by every node, so a run costs about n³ messages (n=200 takes 30 s and 1 GB)",
		Check:       Check,
		Done:        Done,
	}
}

// Workload has every node broadcast PerNode messages at random times within
// Spread. Payloads name their origin and index, so each is unique.
func Workload(n int, rng *rand.Rand) []scenario.Input {
	var in []scenario.Input
	for id := range n {
		for k := range PerNode {
			in = append(in, scenario.Input{
				At:   time.Duration(rng.Int64N(int64(Spread))),
				Node: core.NodeID(id),
				Body: fmt.Sprintf("m%d.%d", id, k),
			})
		}
	}
	slices.SortStableFunc(in, func(a, b scenario.Input) int { return int(a.At - b.At) })
	return in
}

type msgKey struct {
	origin core.NodeID
	seq    uint64
}

type incarnation struct {
	node core.NodeID
	inc  int
}

// summary indexes a history: what was broadcast, and who delivered what.
type summary struct {
	broadcast map[string]core.NodeID         // payload -> origin
	delivered map[string]map[core.NodeID]int // payload -> correct node -> count
	perInc    map[incarnation]map[msgKey]int // deliveries per incarnation
	invented  []scenario.Observation         // deliveries of unbroadcast payloads
	order     []string                       // payloads in broadcast order
}

func summarize(h *scenario.History) summary {
	s := summary{
		broadcast: map[string]core.NodeID{},
		delivered: map[string]map[core.NodeID]int{},
		perInc:    map[incarnation]map[msgKey]int{},
	}
	for _, o := range h.Observations {
		if o.Output {
			continue
		}
		if p, ok := o.Value.(string); ok {
			if _, seen := s.broadcast[p]; !seen {
				s.order = append(s.order, p)
			}
			s.broadcast[p] = o.Node
		}
	}
	for _, o := range h.Observations {
		d, ok := o.Value.(Delivery)
		if !o.Output || !ok {
			continue
		}
		if origin, ok := s.broadcast[d.Payload]; !ok || origin != d.Origin {
			s.invented = append(s.invented, o)
			continue
		}
		ik := incarnation{o.Node, o.Incarnation}
		if s.perInc[ik] == nil {
			s.perInc[ik] = map[msgKey]int{}
		}
		s.perInc[ik][msgKey{d.Origin, d.Seq}]++
		if h.Correct(o.Node) {
			if s.delivered[d.Payload] == nil {
				s.delivered[d.Payload] = map[core.NodeID]int{}
			}
			s.delivered[d.Payload][o.Node]++
		}
	}
	return s
}

// Check verifies validity, agreement and integrity on a finished run.
func Check(h *scenario.History) []scenario.Violation {
	s := summarize(h)
	var vs []scenario.Violation
	for _, o := range s.invented {
		vs = append(vs, scenario.Violation{Property: "integrity",
			Detail: fmt.Sprintf("node %d delivered %v at %v, which its origin never broadcast", o.Node, o.Value, o.At)})
	}
	var incs []incarnation
	for ik := range s.perInc {
		incs = append(incs, ik)
	}
	slices.SortFunc(incs, func(a, b incarnation) int {
		if a.node != b.node {
			return int(a.node) - int(b.node)
		}
		return a.inc - b.inc
	})
	for _, ik := range incs {
		keys := make([]msgKey, 0, len(s.perInc[ik]))
		for k := range s.perInc[ik] {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b msgKey) int {
			if a.origin != b.origin {
				return int(a.origin) - int(b.origin)
			}
			return int(a.seq) - int(b.seq)
		})
		for _, k := range keys {
			if c := s.perInc[ik][k]; c > 1 {
				vs = append(vs, scenario.Violation{Property: "integrity",
					Detail: fmt.Sprintf("node %d (incarnation %d) delivered message %d/%d %d times", ik.node, ik.inc, k.origin, k.seq, c)})
			}
		}
	}
	for _, p := range s.order {
		origin := s.broadcast[p]
		got := s.delivered[p]
		property := ""
		switch {
		case h.Correct(origin):
			property = "validity"
		case len(got) > 0:
			property = "agreement"
		default:
			continue // a faulty origin's message that no correct node has: allowed
		}
		var missing []core.NodeID
		for id := range h.N {
			if h.Correct(core.NodeID(id)) && got[core.NodeID(id)] == 0 {
				missing = append(missing, core.NodeID(id))
			}
		}
		if len(missing) > 0 {
			why := fmt.Sprintf("%q broadcast by correct node %d", p, origin)
			if property == "agreement" {
				why = fmt.Sprintf("%q (from crashed node %d) delivered by some correct nodes", p, origin)
			}
			vs = append(vs, scenario.Violation{Property: property,
				Detail: fmt.Sprintf("%s was never delivered by correct node(s) %v", why, missing)})
		}
	}
	return vs
}

// Done reports whether every message broadcast so far reached every node
// that has not crashed: the real runtime then has nothing left to wait for.
func Done(h *scenario.History) bool {
	s := summarize(h)
	for _, p := range s.order {
		for id := range h.N {
			if h.Correct(core.NodeID(id)) && s.delivered[p][core.NodeID(id)] == 0 {
				return false
			}
		}
	}
	return true
}
