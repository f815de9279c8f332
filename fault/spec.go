// Package fault describes the faults a run is subjected to, as data: a spec
// parsed from one command-line string, printed back in canonical form, stored
// in traces and expanded by a seed into a concrete schedule. The simulator and
// the real runtime read the same spec.
package fault

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// Spec is a parsed fault specification. The zero value means no faults.
type Spec struct {
	// Drop, Dup and Reorder are per-message probabilities in [0,1]: a message
	// is lost; delivered twice; held back long enough to overtake later ones.
	Drop, Dup, Reorder float64
	// DelayMin..DelayMax is the range each message's latency is drawn from.
	// Zero means the world's default.
	DelayMin, DelayMax time.Duration
	// Crashes is the most nodes that a random crash-and-restart schedule
	// keeps down at once (crashes=K).
	Crashes int
	// CrashStop is the number of nodes that crash at a random time and never
	// come back (crash=F).
	CrashStop int
	// Partitions is the number of random partition episodes, each healed
	// before the next begins (partitions=K).
	Partitions int
	// Byzantine is the number of Byzantine nodes (byzantine=F); only models
	// that tolerate them accept it.
	Byzantine int
	// Window is when random faults happen: in [0, Window). After it every
	// partition is healed and every crash-and-restart node is back.
	Window time.Duration
	// Schedule holds the faults named with a time (crash@1s=2 …), in order.
	Schedule []Action
}

// DefaultWindow is the random-fault window when the spec names none.
const DefaultWindow = 2 * time.Second

// Kind is the kind of a scheduled fault.
type Kind uint8

const (
	Crash Kind = iota + 1
	Restart
	Partition
	Heal
)

func (k Kind) String() string {
	switch k {
	case Crash:
		return "crash"
	case Restart:
		return "restart"
	case Partition:
		return "partition"
	case Heal:
		return "heal"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Action is one scheduled fault.
type Action struct {
	At   time.Duration
	Kind Kind
	// Node is the node that crashes or restarts.
	Node core.NodeID
	// Groups are the sides of a partition. Nodes named in no group form one
	// more group of their own.
	Groups [][]core.NodeID
}

func (a Action) String() string {
	at := a.At.String()
	switch a.Kind {
	case Crash, Restart:
		return fmt.Sprintf("%s@%s=%d", a.Kind, at, a.Node)
	case Partition:
		parts := make([]string, len(a.Groups))
		for i, g := range a.Groups {
			ids := make([]string, len(g))
			for j, id := range g {
				ids[j] = strconv.Itoa(int(id))
			}
			parts[i] = "{" + strings.Join(ids, ",") + "}"
		}
		return fmt.Sprintf("partition@%s=%s", at, strings.Join(parts, "|"))
	case Heal:
		return "heal@" + at
	}
	return "?"
}

// Help documents the spec syntax; the CLI prints it under --help.
const Help = `A fault spec is a comma-separated list; omitted faults do not happen.
  drop=P            lose each message with probability P (0..1)
  dup=P             deliver each message twice with probability P
  reorder=P         hold a message back with probability P so later ones overtake it
  delay=D | A..B    message latency, fixed or drawn uniformly from A..B (e.g. 1ms..20ms)
  crashes=K         random crash-and-restart: at most K nodes down at a time,
                    a restarted node keeps only what it stored
  crash=F           F nodes crash at random times and stay down (crash-stop)
  partitions=K      K random partition episodes, each healed before the next
  byzantine=F       F Byzantine nodes (only for models that tolerate them)
  window=D          random faults happen within [0,D) (default 2s)
  crash@T=I         crash node I at time T          restart@T=I   restart it
  partition@T={0,1}|{2,3,4}   cut the cluster into groups at time T
  heal@T            end every partition at time T
Durations use Go syntax: 500us, 20ms, 1.5s. Example:
  drop=0.2,dup=0.05,delay=1ms..20ms,partition@1s={0,1}|{2,3,4},heal@3s`

// Parse reads a spec such as "drop=0.2,delay=1ms..20ms,crash@1s=2".
// The empty string is the empty spec.
func Parse(s string) (Spec, error) {
	var sp Spec
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return sp, nil
	}
	seen := map[string]bool{}
	for i, item := range splitTop(s) {
		item = strings.TrimSpace(item)
		if item == "" {
			return Spec{}, fmt.Errorf("fault spec %q has an empty item (item %d): remove the extra comma", s, i+1)
		}
		if err := sp.parseItem(item, seen); err != nil {
			return Spec{}, fmt.Errorf("fault spec item %q: %w", item, err)
		}
	}
	slices.SortStableFunc(sp.Schedule, func(a, b Action) int {
		switch {
		case a.At < b.At:
			return -1
		case a.At > b.At:
			return 1
		}
		return 0
	})
	return sp, nil
}

// splitTop splits on commas that are not inside braces.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func (sp *Spec) parseItem(item string, seen map[string]bool) error {
	if key, rest, ok := strings.Cut(item, "@"); ok {
		return sp.parseAction(key, rest)
	}
	key, val, ok := strings.Cut(item, "=")
	if !ok {
		if item == "heal" {
			return fmt.Errorf("heal needs a time: heal@3s")
		}
		return fmt.Errorf("expected key=value or kind@time (see --help)")
	}
	if seen[key] {
		return fmt.Errorf("%s given twice", key)
	}
	seen[key] = true
	var err error
	switch key {
	case "drop":
		sp.Drop, err = parseProb(val)
	case "dup":
		sp.Dup, err = parseProb(val)
	case "reorder":
		sp.Reorder, err = parseProb(val)
	case "delay":
		sp.DelayMin, sp.DelayMax, err = parseRange(val)
	case "crashes":
		sp.Crashes, err = parseCount(val)
	case "crash":
		sp.CrashStop, err = parseCount(val)
	case "partitions":
		sp.Partitions, err = parseCount(val)
	case "byzantine":
		sp.Byzantine, err = parseCount(val)
	case "window":
		sp.Window, err = parseDuration(val)
		if err == nil && sp.Window <= 0 {
			err = fmt.Errorf("window must be positive")
		}
	default:
		return fmt.Errorf("unknown fault %q (known: drop, dup, reorder, delay, crashes, crash, partitions, byzantine, window, crash@, restart@, partition@, heal@)", key)
	}
	return err
}

func (sp *Spec) parseAction(kind, rest string) error {
	at, arg, hasArg := strings.Cut(rest, "=")
	t, err := parseDuration(at)
	if err != nil {
		return err
	}
	a := Action{At: t}
	switch kind {
	case "crash", "restart":
		if !hasArg {
			return fmt.Errorf("%s needs a node: %s@%s=2", kind, kind, at)
		}
		id, err := parseNode(arg)
		if err != nil {
			return err
		}
		a.Node = id
		a.Kind = Crash
		if kind == "restart" {
			a.Kind = Restart
		}
	case "partition":
		if !hasArg {
			return fmt.Errorf("partition needs groups: partition@%s={0,1}|{2,3}", at)
		}
		groups, err := parseGroups(arg)
		if err != nil {
			return err
		}
		a.Kind, a.Groups = Partition, groups
	case "heal":
		if hasArg {
			return fmt.Errorf("heal takes no argument: heal@%s", at)
		}
		a.Kind = Heal
	default:
		return fmt.Errorf("unknown scheduled fault %q (known: crash@, restart@, partition@, heal@)", kind)
	}
	sp.Schedule = append(sp.Schedule, a)
	return nil
}

func parseProb(s string) (float64, error) {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(p) || p < 0 || p > 1 {
		return 0, fmt.Errorf("%q is not a probability between 0 and 1", s)
	}
	return p, nil
}

func parseCount(s string) (int, error) {
	k, err := strconv.Atoi(s)
	if err != nil || k < 0 || k > 1<<16 {
		return 0, fmt.Errorf("%q is not a count (0, 1, 2 …)", s)
	}
	return k, nil
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (use 500us, 20ms, 1.5s …)", s)
	}
	return d, nil
}

func parseRange(s string) (time.Duration, time.Duration, error) {
	lo, hi, isRange := strings.Cut(s, "..")
	a, err := parseDuration(lo)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return a, a, nil
	}
	b, err := parseDuration(hi)
	if err != nil {
		return 0, 0, err
	}
	if b < a {
		return 0, 0, fmt.Errorf("range %s is empty: the low end comes first", s)
	}
	return a, b, nil
}

func parseNode(s string) (core.NodeID, error) {
	id, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a node id (0, 1, 2 …)", s)
	}
	return core.NodeID(id), nil
}

func parseGroups(s string) ([][]core.NodeID, error) {
	var groups [][]core.NodeID
	seen := map[core.NodeID]bool{}
	for _, g := range strings.Split(s, "|") {
		g = strings.TrimSpace(g)
		if len(g) < 2 || g[0] != '{' || g[len(g)-1] != '}' {
			return nil, fmt.Errorf("group %q must look like {0,1,2}", g)
		}
		var ids []core.NodeID
		for _, f := range strings.Split(g[1:len(g)-1], ",") {
			id, err := parseNode(strings.TrimSpace(f))
			if err != nil {
				return nil, err
			}
			if seen[id] {
				return nil, fmt.Errorf("node %d is in two groups", id)
			}
			seen[id] = true
			ids = append(ids, id)
		}
		slices.Sort(ids)
		groups = append(groups, ids)
	}
	return groups, nil
}

// String prints the spec in canonical form: Parse(s.String()) == s.
func (sp Spec) String() string {
	var parts []string
	prob := func(k string, p float64) {
		if p > 0 {
			parts = append(parts, k+"="+strconv.FormatFloat(p, 'g', -1, 64))
		}
	}
	count := func(k string, c int) {
		if c > 0 {
			parts = append(parts, k+"="+strconv.Itoa(c))
		}
	}
	prob("drop", sp.Drop)
	prob("dup", sp.Dup)
	prob("reorder", sp.Reorder)
	if sp.DelayMax > 0 {
		if sp.DelayMin == sp.DelayMax {
			parts = append(parts, "delay="+sp.DelayMin.String())
		} else {
			parts = append(parts, "delay="+sp.DelayMin.String()+".."+sp.DelayMax.String())
		}
	}
	count("crashes", sp.Crashes)
	count("crash", sp.CrashStop)
	count("partitions", sp.Partitions)
	count("byzantine", sp.Byzantine)
	if sp.Window > 0 {
		parts = append(parts, "window="+sp.Window.String())
	}
	for _, a := range sp.Schedule {
		parts = append(parts, a.String())
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// RandomWindow is the window random faults fall in.
func (sp Spec) RandomWindow() time.Duration {
	if sp.Window > 0 {
		return sp.Window
	}
	return DefaultWindow
}

// Validate checks the spec against a cluster of n nodes.
func (sp Spec) Validate(n int) error {
	for _, a := range sp.Schedule {
		switch a.Kind {
		case Crash, Restart:
			if int(a.Node) >= n {
				return fmt.Errorf("fault spec %s names node %d, but the cluster has nodes 0..%d", a, a.Node, n-1)
			}
		case Partition:
			for _, g := range a.Groups {
				for _, id := range g {
					if int(id) >= n {
						return fmt.Errorf("fault spec %s names node %d, but the cluster has nodes 0..%d", a, id, n-1)
					}
				}
			}
		}
	}
	if sp.Crashes >= n && sp.Crashes > 0 {
		return fmt.Errorf("crashes=%d would let every node of %d be down at once", sp.Crashes, n)
	}
	if sp.CrashStop+sp.Crashes+sp.Byzantine >= n && sp.CrashStop+sp.Byzantine > 0 {
		return fmt.Errorf("crash=%d, crashes=%d and byzantine=%d leave no correct node among %d", sp.CrashStop, sp.Crashes, sp.Byzantine, n)
	}
	if sp.Partitions > 0 && n < 2 {
		return fmt.Errorf("partitions need at least two nodes")
	}
	return nil
}

// Within refuses a spec whose faults could fall at or after end, the time a
// run stops: a fault that never happens would make a run look tested under
// it when it was not. what names the bound for the message ("--max-time
// 1m0s").
func (sp Spec) Within(end time.Duration, what string) error {
	random := sp.Crashes+sp.CrashStop+sp.Partitions > 0
	if w := sp.RandomWindow(); random && w >= end {
		return fmt.Errorf("random faults fall in window=%v, which does not end before %s: lower window= or raise the bound", w, what)
	}
	for _, a := range sp.Schedule {
		if a.At >= end {
			return fmt.Errorf("%s is scheduled at or after %s, so it would never happen: schedule it earlier or raise the bound", a, what)
		}
	}
	return nil
}

// EventuallyConnected refuses a spec under which some messages between two
// live nodes can never get through: drop=1, or a partition that no later
// heal@ ends. Protocols whose liveness needs fair-lossy links (every
// protocol Rondo ships) refuse such a spec as outside their fault model,
// rather than run it and report the liveness violation it guarantees.
func (sp Spec) EventuallyConnected() error {
	if sp.Drop >= 1 {
		return fmt.Errorf("drop=1 loses every message; the protocol needs fair-lossy links (drop<1)")
	}
	var open *Action
	for i, a := range sp.Schedule {
		switch a.Kind {
		case Partition:
			if open == nil {
				open = &sp.Schedule[i]
			}
		case Heal:
			open = nil
		}
	}
	if open != nil {
		return fmt.Errorf("%s is never healed; the protocol needs the network to heal eventually: add heal@T after it", open)
	}
	return nil
}

// Lossy reports whether the spec loses messages in transit.
func (sp Spec) Lossy() bool { return sp.Drop > 0 }
