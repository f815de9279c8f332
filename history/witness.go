package history

import (
	"fmt"
	"time"
)

// Verify checks a proposed linearization of ops: order lists indexes into
// ops, each at most once, in the order the operations are claimed to have
// taken effect. It returns nil when the order is a witness that the
// history is linearizable, and otherwise says why it is not one:
//   - every operation whose outcome is known appears (an unknown one may
//     appear, having taken effect, or not, having never);
//   - real time is respected: an operation that returned before another
//     was called comes before it;
//   - applied one by one to the key-value model, every operation yields
//     what its client saw.
//
// A witness proves linearizability; a failed one proves nothing (another
// order may exist), so Check falls back to the search. Systems that know
// the order they applied operations in (a replicated log does) can hand it
// over and be decided in linear time, however many operations overlapped,
// where the search is exponential in the overlap.
func Verify(ops []Op, order []int) error {
	placed := make([]bool, len(ops))
	state := map[string]register{}
	latestCall := time.Duration(-1) // the latest call among the operations placed so far
	latest := -1
	for at, i := range order {
		if i < 0 || i >= len(ops) {
			return fmt.Errorf("position %d names operation %d of %d", at, i, len(ops))
		}
		if placed[i] {
			return fmt.Errorf("operation %d (%v) is placed twice", i, ops[i])
		}
		placed[i] = true
		op := ops[i]
		if !op.Unknown && latest >= 0 && op.Return < latestCall {
			return fmt.Errorf("%v returned at %v, before %v was called at %v, yet comes after it", op, op.Return, ops[latest], latestCall)
		}
		if op.Call > latestCall {
			latestCall, latest = op.Call, i
		}
		ok, next := step(state[op.Key], op)
		if !ok {
			return fmt.Errorf("%v is not what the store held then: %v", op, state[op.Key])
		}
		state[op.Key] = next
	}
	for i, op := range ops {
		if !placed[i] && !op.Unknown {
			return fmt.Errorf("%v has a known outcome but is not placed", op)
		}
	}
	return nil
}
