package rounds

import "fmt"

// Format is the Format of an algorithm over int64 values.
type Format[S, M any] = FormatOf[S, M, Value]

// FormatOf says how an algorithm's states, messages and decided values read
// to a person: in counterexample tables, in the traces the checker saves,
// and in the reasons its properties give. Every field is optional; the
// zero value prints a state's or message's String method if it has one,
// and %+v otherwise, and a value with ShowValue.
//
// One formatter per algorithm is what keeps a counterexample consistent: a
// lattice agreement's decision (a set encoded in a Value) must read as a set
// in the table and in the violated property's reason alike, and a message
// type shared by several rounds must read as what it is in its round
// (LastVoting's acknowledgement is an LVMsg with no fields set, which %+v
// would print as the estimate {X:0 TS:0}).
type FormatOf[S, M any, V comparable] struct {
	// State prints a local state.
	State func(s S) string
	// Msg prints a message sent in round r.
	Msg func(r int, m M) string
	// Value prints a decided value (default: ShowValue: an integer in
	// decimal, a long string abbreviated). Inputs are printed as numbers:
	// they are drawn from the domain 0..V-1.
	Value func(v V) string
}

// FormatState prints s with the algorithm's Format.
func (a *AlgorithmOf[S, M, V]) FormatState(s S) string {
	if a.Format.State != nil {
		return a.Format.State(s)
	}
	return plain(s)
}

// FormatMsg prints m, sent in round r, with the algorithm's Format.
func (a *AlgorithmOf[S, M, V]) FormatMsg(r int, m M) string {
	if a.Format.Msg != nil {
		return a.Format.Msg(r, m)
	}
	return plain(m)
}

// FormatValue prints a decided value with the algorithm's Format.
func (a *AlgorithmOf[S, M, V]) FormatValue(v V) string {
	if a.Format.Value != nil {
		return a.Format.Value(v)
	}
	return ShowValue(v)
}

func plain(x any) string {
	if s, ok := x.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%+v", x)
}
