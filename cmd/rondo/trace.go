package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rondo-dev/rondo/trace"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newTraceCmd) }

func newTraceCmd() *cobra.Command {
	var (
		node  int
		kinds string
		limit int
	)
	cmd := &cobra.Command{
		Use:   "trace FILE",
		Short: "Print a trace file as a readable timeline",
		Long: `Print a trace written by rondo sim --trace (or rondo check) as one line per
event: virtual time, node, what happened, and to or from whom. Filter by node
and by event kind to follow one process or one kind of fault.`,
		Example: `  rondo sim broadcast -n 4 --seed 3 --faults crashes=1 --trace run.trace
  rondo trace run.trace
  rondo trace run.trace --node 2 --kinds deliver,crash,restart`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return usageError{err}
			}
			defer f.Close()
			h, evs, err := trace.Read(f)
			if err != nil {
				return usagef("%s: %v", args[0], err)
			}
			want := map[string]bool{}
			for _, k := range strings.Split(kinds, ",") {
				if k = strings.TrimSpace(k); k != "" {
					if !slices.Contains(trace.Kinds(), k) {
						return usagef("--kinds: %q is not an event kind (kinds: %s)", k, strings.Join(trace.Kinds(), ", "))
					}
					want[k] = true
				}
			}
			if node >= h.Nodes || node < -1 {
				return usagef("--node %d: %s has nodes 0..%d", node, args[0], h.Nodes-1)
			}
			if limit < 0 {
				return usagef("--limit must be 0 (all) or more, got %d", limit)
			}
			printTrace(cmd.OutOrStdout(), h, evs, node, want, limit)
			return nil
		},
	}
	cmd.Flags().IntVar(&node, "node", -1, "show only events at this node")
	cmd.Flags().StringVar(&kinds, "kinds", "", "show only these event kinds, comma-separated (send, deliver, drop, dup, timer, crash, restart, partition, heal, input, output, violation)")
	cmd.Flags().IntVar(&limit, "limit", 0, "show at most this many events (0: all)")
	return cmd
}

func printTrace(w io.Writer, h trace.Header, evs []trace.Event, node int, kinds map[string]bool, limit int) {
	if h.Tool == "check" {
		// A checker's trace is an explored execution: it has no seed.
		fmt.Fprintf(w, "%s %s: %d nodes, faults %s\n", h.Tool, h.Protocol, h.Nodes, h.Faults)
	} else {
		fmt.Fprintf(w, "%s %s: %d nodes, seed %d, faults %s\n", h.Tool, h.Protocol, h.Nodes, h.Seed, h.Faults)
	}
	if h.Extra != "" {
		fmt.Fprintln(w, h.Extra)
	}
	if len(h.Plan) > 0 {
		fmt.Fprintf(w, "fault plan: %s\n", strings.Join(h.Plan, ", "))
	}
	shown := 0
	for _, e := range evs {
		if node >= 0 && e.Node != node {
			continue
		}
		if len(kinds) > 0 && !kinds[e.Kind] {
			continue
		}
		if limit > 0 && shown == limit {
			fmt.Fprintf(w, "… (--limit %d reached)\n", limit)
			return
		}
		shown++
		who := "   "
		if e.Node >= 0 {
			who = fmt.Sprintf("n%-2d", e.Node)
		}
		line := fmt.Sprintf("%12s  %s %-9s", fmtVirtual(e.At), who, e.Kind)
		switch e.Kind {
		case trace.Send:
			line += fmt.Sprintf(" → n%d #%d %s", e.Peer, e.Seq, e.Msg)
		case trace.Deliver, trace.Duplicate:
			line += fmt.Sprintf(" ← n%d #%d", e.Peer, e.Seq)
		case trace.Drop:
			line += fmt.Sprintf(" #%d from n%d (%s)", e.Seq, e.Peer, e.Detail)
		default:
			if e.Msg != "" {
				line += " " + e.Msg
			}
			if e.Detail != "" {
				line += " (" + e.Detail + ")"
			}
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

func fmtVirtual(d time.Duration) string {
	return fmt.Sprintf("%.6fs", d.Seconds())
}
