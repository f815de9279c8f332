package linearizable

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/rondo-dev/rondo/kv/client"
)

// opError is why a request failed, with what a client must know: whether
// the operation may have taken effect.
type opError struct {
	status  int    // the HTTP status
	outcome string // client.OutcomeNotTaken or client.OutcomeUnknown
	leader  int    // the leader the replica knows of, or -1
	msg     string
}

func (e *opError) Error() string { return e.msg }

// notTaken: the operation did not take effect (no leader yet, the replica
// stopped before proposing it, too many requests): 503, retry freely.
func notTaken(leader int, format string, args ...any) *opError {
	return &opError{status: http.StatusServiceUnavailable, outcome: client.OutcomeNotTaken, leader: leader,
		msg: fmt.Sprintf(format, args...)}
}

// unknownOutcome: the operation was handed to the log and its fate is not
// known here (the leader changed after it was proposed, the commit did not
// come in time): 504, retry with the same session to learn it.
func unknownOutcome(leader int, format string, args ...any) *opError {
	return &opError{status: http.StatusGatewayTimeout, outcome: client.OutcomeUnknown, leader: leader,
		msg: fmt.Sprintf(format, args...)}
}

// tooLarge: the command does not fit the log (definite).
func tooLarge(format string, args ...any) *opError {
	return &opError{status: http.StatusRequestEntityTooLarge, outcome: client.OutcomeNotTaken, leader: -1,
		msg: fmt.Sprintf(format, args...)}
}

// asOpError turns any error of a backend into an opError; one it does not
// know is of unknown outcome, the safe assumption for a write.
func asOpError(err error, leader int) *opError {
	var oe *opError
	if errors.As(err, &oe) {
		return oe
	}
	return unknownOutcome(leader, "%v", err)
}
