package history

import (
	"fmt"
	"time"

	"github.com/anishathalye/porcupine"
)

// Verdict is what a check concluded.
type Verdict string

const (
	// Linearizable: some order of the operations explains every outcome.
	Linearizable Verdict = "linearizable"
	// NotLinearizable: no order does; Keys names the keys whose histories
	// cannot be explained.
	NotLinearizable Verdict = "not linearizable"
	// Undecided: the search ran out of time (checking is NP-hard); nothing
	// was found wrong in what it explored, which is not a pass.
	Undecided Verdict = "undecided"
)

// Result is a check's verdict with the figures a report needs.
type Result struct {
	Verdict Verdict
	Ops     int // operations checked (unknown reads are left out)
	Unknown int // operations whose outcome the clients never learned
	Keys    int // distinct keys, each checked on its own
	// Witnessed: the verdict came from a verified witness order
	// (CheckWitness), not from the search.
	Witnessed bool
	// BadKeys lists the keys whose histories are not linearizable (found
	// by checking each key alone), sorted.
	BadKeys []string

	info porcupine.LinearizationInfo
}

func (r Result) String() string {
	s := fmt.Sprintf("%s: %d operations on %d keys (%d of unknown outcome)", r.Verdict, r.Ops, r.Keys, r.Unknown)
	if r.Witnessed {
		s += ", by a verified witness order"
	}
	if len(r.BadKeys) > 0 {
		s += "; not linearizable on " + quoteAll(r.BadKeys)
	}
	return s
}

// Check checks ops for linearizability against the key-value model,
// searching for at most timeout (0: no bound).
func Check(ops []Op, timeout time.Duration) Result {
	pops := operations(ops)
	res := Result{Ops: len(pops), Keys: len(keysOf(ops))}
	for _, op := range ops {
		if op.Unknown {
			res.Unknown++
		}
	}
	verdict, info := porcupine.CheckOperationsVerbose(kvModel, pops, timeout)
	res.info = info
	switch verdict {
	case porcupine.Ok:
		res.Verdict = Linearizable
	case porcupine.Illegal:
		res.Verdict = NotLinearizable
		res.BadKeys = badKeys(ops, timeout)
	default:
		res.Verdict = Undecided
	}
	return res
}

// CheckWitness decides ops by verifying witness, a linearization the
// system claims (see Verify): if it holds, the history is linearizable and
// no search is needed. If it does not, the search decides as in Check, and
// why the witness failed is returned beside the result: a correct system's
// witness should hold, so that reason is worth reading even when the
// search finds another order.
func CheckWitness(ops []Op, witness []int, timeout time.Duration) (Result, error) {
	werr := Verify(ops, witness)
	if werr == nil {
		res := Result{Verdict: Linearizable, Ops: len(operations(ops)), Keys: len(keysOf(ops)), Witnessed: true}
		for _, op := range ops {
			if op.Unknown {
				res.Unknown++
			}
		}
		return res, nil
	}
	return Check(ops, timeout), werr
}

// badKeys checks each key alone, to name the ones at fault.
func badKeys(ops []Op, timeout time.Duration) []string {
	var bad []string
	for _, k := range keysOf(ops) {
		var mine []Op
		for _, op := range ops {
			if op.Key == k {
				mine = append(mine, op)
			}
		}
		if porcupine.CheckOperationsTimeout(kvModel, operations(mine), timeout) == porcupine.Illegal {
			bad = append(bad, k)
		}
	}
	return bad
}

// Visualize writes the check's history and (partial) linearizations as one
// self-contained HTML page, Porcupine's viewer: the place to look when a
// history is not linearizable.
func (r Result) Visualize(path string) error {
	return porcupine.VisualizePath(kvModel, r.info, path)
}
