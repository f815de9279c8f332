package kvbench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is one run of the command: every cell's samples and summary, the
// machine, the probes and the load around it.
type Report struct {
	Machine    Machine    `json:"machine"`
	Probes     Probes     `json:"probes"`
	Workload   Workload   `json:"workload"`
	Runs       int        `json:"runs"`
	Peers      []string   `json:"peers"`      // systems compared against
	Candidates []string   `json:"candidates"` // systems given a ratio to the better peer
	Notes      []string   `json:"notes"`      // what the systems' settings mean, one line each
	LoadStart  [3]float64 `json:"load_start"`
	LoadEnd    [3]float64 `json:"load_end"`
	Cells      []*Cell    `json:"cells"`
}

// Cell is one system × fsync mode × client count.
type Cell struct {
	System  string   `json:"system"`
	Fsync   bool     `json:"fsync"`
	Clients int      `json:"clients"`
	Samples []Sample `json:"samples"`
	Errors  []string `json:"errors,omitempty"` // runs that failed
	Summary Summary  `json:"summary"`
}

// Summary is the median over a cell's samples.
type Summary struct {
	OpsPerSec float64 `json:"ops_per_sec"` // median
	MinOps    float64 `json:"min_ops_per_sec"`
	MaxOps    float64 `json:"max_ops_per_sec"`
	P50ms     float64 `json:"p50_ms"`        // median of the runs' p50
	P99ms     float64 `json:"p99_ms"`        // median of the runs' p99
	CPUus     float64 `json:"cpu_us_per_op"` // median CPU time of this process per write, µs
	Load1     float64 `json:"load1"`         // median 1-minute load average at the end of the runs
	OthersCPU float64 `json:"others_cpu"`    // median share of the CPUs other processes used (-1: unknown)
	// Unreliable says the cell was measured on a busy machine (other
	// processes used more than a quarter of the CPUs) or that its runs
	// disagree by more than a quarter of the median.
	Unreliable bool `json:"unreliable"`
	// Ratio is a candidate's median ops/s over the better peer's in the
	// same fsync mode and client count; P99Ratio its p99 over that peer's.
	// Both are absent for the peers themselves.
	BetterPeer string   `json:"better_peer,omitempty"`
	Ratio      *float64 `json:"ratio_to_better_peer,omitempty"`
	P99Ratio   *float64 `json:"p99_ratio_to_better_peer,omitempty"`
}

// unreliableShare is the bound past which a cell is marked unreliable.
const unreliableShare = 0.25

// Summarize computes every cell's summary and the candidates' ratios.
func (r *Report) Summarize() {
	for _, c := range r.Cells {
		c.Summary = summarize(c.Samples)
	}
	for _, c := range r.Cells {
		if !slices.Contains(r.Candidates, c.System) || len(c.Samples) == 0 {
			continue
		}
		var best *Cell
		for _, p := range r.Cells {
			if slices.Contains(r.Peers, p.System) && p.Fsync == c.Fsync && p.Clients == c.Clients && len(p.Samples) > 0 &&
				(best == nil || p.Summary.OpsPerSec > best.Summary.OpsPerSec) {
				best = p
			}
		}
		if best == nil {
			continue
		}
		ratio := c.Summary.OpsPerSec / best.Summary.OpsPerSec
		p99 := c.Summary.P99ms / best.Summary.P99ms
		c.Summary.BetterPeer, c.Summary.Ratio, c.Summary.P99Ratio = best.System, &ratio, &p99
	}
}

func summarize(ss []Sample) Summary {
	if len(ss) == 0 {
		return Summary{OthersCPU: -1}
	}
	pick := func(f func(Sample) float64) []float64 {
		v := make([]float64, 0, len(ss))
		for _, s := range ss {
			v = append(v, f(s))
		}
		slices.Sort(v)
		return v
	}
	ops := pick(func(s Sample) float64 { return s.OpsPerSec })
	sum := Summary{
		OpsPerSec: median(ops),
		MinOps:    ops[0],
		MaxOps:    ops[len(ops)-1],
		P50ms:     median(pick(func(s Sample) float64 { return ms(s.P50) })),
		P99ms:     median(pick(func(s Sample) float64 { return ms(s.P99) })),
		CPUus:     median(pick(func(s Sample) float64 { return float64(s.CPUPerOp) / float64(time.Microsecond) })),
		Load1:     median(pick(func(s Sample) float64 { return s.Load1 })),
		OthersCPU: median(pick(func(s Sample) float64 { return s.OthersCPU })),
	}
	if sum.OthersCPU < 0 {
		sum.OthersCPU = -1
	}
	sum.Unreliable = sum.OthersCPU > unreliableShare ||
		(sum.OpsPerSec > 0 && (sum.MaxOps-sum.MinOps)/sum.OpsPerSec > unreliableShare)
	return sum
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// WriteTable prints the report as the command's human-readable table.
func (r *Report) WriteTable(w io.Writer) error {
	m, p := r.Machine, r.Probes
	fmt.Fprintf(w, "kvbench: 3 replicas per system in one process, over loopback TCP; %d-byte values, %d keys; closed-loop clients\n",
		r.Workload.ValueSize, r.Workload.Keys)
	fmt.Fprintf(w, "each cell: %v measured after %v warm-up, median of %d run(s)\n", r.Workload.Duration, r.Workload.Warmup, r.Runs)
	fmt.Fprintf(w, "machine: %d CPUs, %s, %s, %s; data in %s (%s)\n", m.CPUs, m.CPUModel, m.Kernel, m.Go, m.DataDir, m.Filesystem)
	fmt.Fprintf(w, "probes: loopback TCP round trip %.1f µs; 4 KiB append+fsync %.3f ms; 4 KiB overwrite+fdatasync %.3f ms\n",
		float64(p.LoopbackRTT)/float64(time.Microsecond), ms(p.AppendFsync), ms(p.PreallocSync))
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintf(w, "load average: %s at start, %s at end\n\n", loads(r.LoadStart), loads(r.LoadEnd))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "system\tfsync\tclients\tops/s\t(min–max)\tp50 ms\tp99 ms\tCPU µs/op\tothers' CPU\tload\t"
	if len(r.Candidates) > 0 {
		head += "× better peer\tp99 × peer\t"
	}
	fmt.Fprintln(tw, head)
	unreliable := false
	for _, c := range r.Cells {
		s := c.Summary
		mode := map[bool]string{true: "on", false: "off"}[c.Fsync]
		if len(c.Samples) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%d\tfailed: %s\t\t\t\t\t\t\t\n", c.System, mode, c.Clients, strings.Join(c.Errors, "; "))
			continue
		}
		mark := ""
		if s.Unreliable {
			mark, unreliable = " *", true
		}
		others := "?"
		if s.OthersCPU >= 0 {
			others = fmt.Sprintf("%.0f%%", 100*s.OthersCPU)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s%s\t(%s–%s)\t%.3f\t%.3f\t%.0f\t%s\t%.2f\t", c.System, mode, c.Clients,
			thousands(s.OpsPerSec), mark, thousands(s.MinOps), thousands(s.MaxOps), s.P50ms, s.P99ms, s.CPUus, others, s.Load1)
		if len(r.Candidates) > 0 {
			if s.Ratio != nil {
				fmt.Fprintf(tw, "%.2f (%s)\t%.2f\t", *s.Ratio, s.BetterPeer, *s.P99Ratio)
			} else {
				fmt.Fprint(tw, "\t\t")
			}
		}
		fmt.Fprintln(tw)
		if len(c.Errors) > 0 {
			fmt.Fprintf(tw, "\t\t\t%d run(s) failed: %s\t\t\t\t\t\t\n", len(c.Errors), strings.Join(c.Errors, "; "))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if unreliable {
		fmt.Fprintf(w, "\n* unreliable: other processes used more than %.0f%% of the CPUs, or the runs spread more than %.0f%% of the median\n",
			100*unreliableShare, 100*unreliableShare)
	}
	return nil
}

func loads(l [3]float64) string { return fmt.Sprintf("%.2f %.2f %.2f", l[0], l[1], l[2]) }

// thousands formats a rate as an integer with comma separators.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}
