package rounds

import (
	"fmt"
	"strconv"
)

// Format says how an algorithm's states, messages and decided values read
// to a person: in counterexample tables, in the traces the checker saves,
// and in the reasons its properties give. Every field is optional; the
// zero value prints a value's String method if it has one, and %+v
// otherwise.
//
// One formatter per algorithm is what keeps a counterexample consistent: a
// lattice agreement's decision (a set encoded in a Value) must read as a set
// in the table and in the violated property's reason alike, and a message
// type shared by several rounds must read as what it is in its round
// (LastVoting's acknowledgement is an LVMsg with no fields set, which %+v
// would print as the estimate {X:0 TS:0}).
type Format[S, M any] struct {
	// State prints a local state.
	State func(s S) string
	// Msg prints a message sent in round r.
	Msg func(r int, m M) string
	// Value prints a decided value (default: the decimal number). Inputs
	// are printed as numbers: they are drawn from the domain 0..V-1.
	Value func(v Value) string
}

// FormatState prints s with the algorithm's Format.
func (a *Algorithm[S, M]) FormatState(s S) string {
	if a.Format.State != nil {
		return a.Format.State(s)
	}
	return plain(s)
}

// FormatMsg prints m, sent in round r, with the algorithm's Format.
func (a *Algorithm[S, M]) FormatMsg(r int, m M) string {
	if a.Format.Msg != nil {
		return a.Format.Msg(r, m)
	}
	return plain(m)
}

// FormatValue prints a decided value with the algorithm's Format.
func (a *Algorithm[S, M]) FormatValue(v Value) string {
	if a.Format.Value != nil {
		return a.Format.Value(v)
	}
	return strconv.FormatInt(v, 10)
}

func plain(x any) string {
	if s, ok := x.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%+v", x)
}
