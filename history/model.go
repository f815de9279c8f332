package history

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
)

// register is the state of one key: its value, or absent.
type register struct {
	present bool
	value   string
}

func (r register) String() string {
	if !r.present {
		return "absent"
	}
	return fmt.Sprintf("%q", short(r.value))
}

// step applies op to the key's state and reports whether the outcome the
// client saw is possible from that state. An operation whose outcome is
// unknown is possible from any state: a read constrains nothing, a write
// takes effect (a CAS only if its comparison holds).
func step(st register, op Op) (bool, register) {
	switch op.Kind {
	case Get:
		if op.Unknown {
			return true, st
		}
		return op.Found == st.present && (!op.Found || op.Got == st.value), st
	case Put:
		return true, register{present: true, value: op.Value}
	case Delete:
		return true, register{}
	case CAS:
		holds := op.ExpectAbsent && !st.present || !op.ExpectAbsent && st.present && st.value == op.Expect
		if !op.Unknown && op.Swapped != holds {
			return false, st
		}
		if holds {
			return true, register{present: true, value: op.Value}
		}
		return true, st
	}
	return false, st
}

// kvModel is the sequential key-value store, partitioned by key: the state
// of a partition is one register.
var kvModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, o := range h {
			k := o.Input.(Op).Key
			byKey[k] = append(byKey[k], o)
		}
		keys := make([]string, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([][]porcupine.Operation, len(keys))
		for i, k := range keys {
			parts[i] = byKey[k]
		}
		return parts
	},
	Init: func() any { return register{} },
	Step: func(state, input, _ any) (bool, any) {
		return step(state.(register), input.(Op))
	},
	DescribeOperation: func(input, _ any) string { return input.(Op).String() },
	DescribeState:     func(state any) string { return state.(register).String() },
}

// operations turns a record into Porcupine's form: an unknown outcome
// returns at the end of time, so that it may take effect at any instant
// after its call, or (linearized after everything else) never.
func operations(ops []Op) []porcupine.Operation {
	out := make([]porcupine.Operation, 0, len(ops))
	for _, op := range ops {
		if op.Unknown && op.Kind == Get {
			continue // a read nobody saw constrains nothing
		}
		ret := int64(op.Return)
		if op.Unknown {
			ret = math.MaxInt64
		}
		out = append(out, porcupine.Operation{ClientId: op.Client, Input: op, Call: int64(op.Call), Return: ret})
	}
	return out
}

// keysOf lists the distinct keys of ops, sorted.
func keysOf(ops []Op) []string {
	seen := map[string]bool{}
	for _, op := range ops {
		seen[op.Key] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func quoteAll(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	return strings.Join(q, ", ")
}
