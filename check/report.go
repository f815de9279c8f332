package check

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/trace"
)

// WriteTable prints the counterexample as a table of rounds: for each round
// and process, the HO set heard, the messages received, the state after the
// round and the decision.
func (c *Counterexample) WriteTable(w io.Writer) {
	kind := "safety property"
	if c.Liveness {
		kind = "liveness (under: " + c.Window + ")"
	}
	fmt.Fprintf(w, "counterexample for %s, n=%d: %s %q violated after %d round(s)\n  %s\n\n",
		c.Algorithm, c.N, kind, c.Property, len(c.Steps)-1, c.Reason)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "round\tproc\tinput\theard\treceived\tstate after\tdecision")
	for _, st := range c.Steps {
		for p := range c.N {
			round := "init"
			if st.Round >= 0 {
				round = strconv.Itoa(st.Round)
				if st.RoundName != "" {
					round += " " + st.RoundName
				}
			}
			if p > 0 {
				round = ""
			}
			heard, recv := "-", "-"
			if st.HO != nil {
				heard = st.HO[p].String()
				var parts []string
				for q, m := range st.Msgs[p] {
					if m != "" {
						parts = append(parts, fmt.Sprintf("%d:%s", q, m))
					}
				}
				if recv = strings.Join(parts, " "); recv == "" {
					recv = "-"
				}
				if st.NewlyCrashed.Has(core.NodeID(p)) {
					heard, recv = "crashes", "-"
				}
			}
			dec := "-"
			if st.Decided[p] != "" {
				dec = st.Decided[p]
				if st.Revoked[p] != "" {
					dec += ", then " + st.Revoked[p] + " (revoked)"
				}
			}
			in := strconv.FormatInt(st.Inputs[p], 10)
			if st.Faulty.Has(core.NodeID(p)) {
				in = "-"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", round, p, in, heard, recv, st.States[p], dec)
		}
	}
	tw.Flush()
}

// WriteTrace saves the counterexample in Rondo's trace format (Tool
// "check"; the header's seed means nothing, the checker draws no random
// numbers). Time stands for rounds: the events of round r are at r+1
// seconds, the initial states at 0. Kinds: "round" (a round starts),
// "ho" (a process's HO set), "heard" (a message heard: Node from Peer),
// "crash", "state" (a process's state after the round), "decide" (a
// decision, or a later different one: Detail "revokes V"), and
// "violation".
func (c *Counterexample) WriteTrace(out io.Writer, faults string) error {
	w := trace.NewWriter(out)
	w.WriteHeader(trace.Header{Tool: "check", Protocol: c.Algorithm, Nodes: c.N, Faults: faults,
		Extra: fmt.Sprintf("violation of %s after %d round(s)", c.Property, len(c.Steps)-1)})
	var prev *Step
	for i := range c.Steps {
		st := &c.Steps[i]
		at := time.Duration(st.Round+1) * time.Second
		if st.Round >= 0 {
			w.Write(trace.Event{At: at, Kind: "round", Node: -1, Peer: -1, Detail: st.RoundName})
			for q := range c.N {
				if st.NewlyCrashed.Has(core.NodeID(q)) {
					w.Write(trace.Event{At: at, Kind: trace.Crash, Node: q, Peer: -1})
					continue
				}
				if st.HO == nil {
					continue
				}
				w.Write(trace.Event{At: at, Kind: "ho", Node: q, Peer: -1, Detail: st.HO[q].String()})
				for p, m := range st.Msgs[q] {
					if m != "" {
						w.Write(trace.Event{At: at, Kind: "heard", Node: q, Peer: p, Msg: m, Detail: fmt.Sprintf("from n%d", p)})
					}
				}
			}
		}
		for p := range c.N {
			w.Write(trace.Event{At: at, Kind: "state", Node: p, Peer: -1,
				Detail: fmt.Sprintf("input=%d %s", st.Inputs[p], st.States[p])})
			if st.Decided[p] != "" && (prev == nil || prev.Decided[p] == "") {
				w.Write(trace.Event{At: at, Kind: "decide", Node: p, Peer: -1, Msg: st.Decided[p]})
			}
			if st.Revoked[p] != "" && (prev == nil || prev.Revoked[p] == "") {
				w.Write(trace.Event{At: at, Kind: "decide", Node: p, Peer: -1, Msg: st.Revoked[p], Detail: "revokes " + st.Decided[p]})
			}
		}
		prev = st
	}
	last := c.Steps[len(c.Steps)-1]
	w.Write(trace.Event{At: time.Duration(last.Round+1) * time.Second, Kind: trace.Violation, Node: -1, Peer: -1, Msg: c.Property, Detail: c.Reason})
	return w.Flush()
}
