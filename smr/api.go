package smr

import (
	"errors"
	"fmt"
)

// A StateMachine is what the log applies decided commands to, in log
// order, on the node's goroutine. Every replica applies the same commands
// in the same order, so Apply must be deterministic: the same state and
// command give the same state and result everywhere.
type StateMachine interface {
	// Apply applies one command and returns its result. It never fails:
	// a command the state machine cannot make sense of yields an error
	// result of the state machine's own making.
	Apply(cmd []byte) (result []byte)
	// Query answers a read-only query from the current state (Read).
	Query(q []byte) (result []byte)
	// Snapshot returns the whole state. It may be large: the log stores
	// and ships it in pieces that fit a message.
	Snapshot() ([]byte, error)
	// Restore replaces the state with a snapshot's.
	Restore(snap []byte) error
}

// Submit is a request (the Body of a core.Request) to apply Cmd once. A
// client numbers its commands 1, 2, 3, … (Seq); retrying a command with the
// same (Client, Seq), at this node or another, never applies it twice: the
// retry is answered with the first application's result. A client may have
// up to Config.SessionWindow commands outstanding at once.
//
// Done, if set, is called once, on the node's goroutine, when the command
// has been applied (at this node: its log holds it, so a majority of
// replicas has it durably), or with an error. On the real runtime the
// caller must also wait for cluster.Node.Barrier before telling its client:
// the reply must not leave before this node's own writes are durable (see
// docs/smr.md). The node also outputs Applied or Failed (core.Context.Output).
type Submit struct {
	Client, Seq uint64
	Cmd         []byte
	Done        func(Reply)
}

// Read is a request for a linearizable read (the Body of a core.Request):
// StateMachine.Query(Query) is run on a state that includes every command
// applied anywhere before the Read arrived, without writing a log entry
// (a read index, see docs/smr.md). ID is the caller's, echoed in the
// ReadDone output. Done, if set, gets the result on the node's goroutine.
type Read struct {
	ID    uint64
	Query []byte
	Done  func(Reply)
}

// Reply answers a Submit or a Read. Index is the log index the command was
// applied at (for a retried command, the first application's), or for a
// read the log index its state was read at. Err is nil on success; see
// Definite for what an error says about the command's fate.
type Reply struct {
	Result []byte
	Index  uint64
	Err    error
}

// Inspect is a request (the Body of a core.Request) for the node's Status,
// handed to Done on the node's goroutine.
type Inspect struct {
	Done func(Status)
}

// Errors of a Reply.
var (
	// ErrTooLarge: the command does not fit in a batch (Config.MaxCommandBytes).
	// Definite: it was not applied.
	ErrTooLarge = errors.New("smr: command too large")
	// ErrBadRequest: the request is malformed (Seq 0). Definite.
	ErrBadRequest = errors.New("smr: bad request")
	// ErrUnknownOutcome: the node did not see the command applied within
	// Config.RequestTimeout (no leader, a partition). Indefinite: it may
	// still be applied; retry it with the same (Client, Seq) to learn its
	// result.
	ErrUnknownOutcome = errors.New("smr: outcome unknown")
	// ErrSessionExpired: Seq is below the client's session window (more
	// than Config.SessionWindow commands of the client were applied after
	// it), or the client's session was evicted. Indefinite: the command
	// may have been applied; its result is no longer known.
	ErrSessionExpired = errors.New("smr: sequence number below the client's session window")
	// ErrUnavailable: a Read got no read index within
	// Config.RequestTimeout (no majority reachable). A read has no effect,
	// so this is definite.
	ErrUnavailable = errors.New("smr: no majority answered within the request timeout")
	// ErrStopped: the node has stopped (fail-stop) or refused to start.
	// Indefinite for a command already taken.
	ErrStopped = errors.New("smr: node stopped")
)

// Definite reports whether err (from a Reply) says for sure that the
// command did not take effect: a service may then tell its client the
// operation failed. Any other error is indefinite: the command may have
// been applied, or may still be.
func Definite(err error) bool {
	return errors.Is(err, ErrTooLarge) || errors.Is(err, ErrBadRequest) || errors.Is(err, ErrUnavailable)
}

// Outputs (core.Context.Output): what properties and histories see.

// Applied is output by the node that took a Submit, when it answers it
// successfully.
type Applied struct {
	Client, Seq, Index uint64
	Result             []byte
}

func (a Applied) String() string {
	return fmt.Sprintf("Applied{c%d#%d @%d → %s}", a.Client, a.Seq, a.Index, show(a.Result))
}

// Failed is output by the node that took a Submit, when it answers it with
// an error. Definite is Definite(the error).
type Failed struct {
	Client, Seq uint64
	Err         string
	Definite    bool
}

func (f Failed) String() string {
	return fmt.Sprintf("Failed{c%d#%d: %s}", f.Client, f.Seq, f.Err)
}

// ReadDone is output by the node that took a Read, when it answers it.
type ReadDone struct {
	ID, Index uint64
	Result    []byte
	Err       string
}

func (r ReadDone) String() string {
	if r.Err != "" {
		return fmt.Sprintf("ReadDone{r%d: %s}", r.ID, r.Err)
	}
	return fmt.Sprintf("ReadDone{r%d @%d → %s}", r.ID, r.Index, show(r.Result))
}

// Executed is output, with Config.Observe, by every replica for every
// command its state machine applies (duplicates, which it does not apply,
// excepted), including again when a restarted replica replays its log:
// simulation checks use it to verify that every replica applies the same
// command at the same index, and each (client, seq) at one index only.
type Executed struct {
	Index, Client, Seq uint64
}

func (e Executed) String() string {
	return fmt.Sprintf("Executed{@%d c%d#%d}", e.Index, e.Client, e.Seq)
}

// Status is where a node stands (Inspect, Node.Status).
type Status struct {
	// Leader is the leader of the ballot this node adopted; Leading: it
	// is this node and it holds the lease.
	Leader  uint32
	Leading bool
	Ballot  int
	// Applied is the last log index applied here; Highest the highest
	// instance seen; Snapshot the index of the latest durable snapshot.
	Applied, Highest, Snapshot uint64
	// Queued commands wait at the leader for a batch; InFlight instances
	// it proposed are not applied yet; Waiting commands and Reads taken
	// here are not answered yet; Sessions are the clients known.
	Queued, InFlight, Waiting, Reads, Sessions int
	Stats                                      Stats
}

// Stats counts what a node did, for benchmarks and metrics.
type Stats struct {
	Batches       int // batches this node proposed as leader
	Commands      int // commands in them
	BatchBytes    int // their encoded size
	Executed      int // commands applied to the state machine
	Duplicates    int // commands decided again, answered from the session table
	Expired       int // commands refused below their session window
	Requeued      int // commands proposed again after their instance decided something else
	Reads         int // reads answered
	ReadRounds    int // read-index round trips
	Snapshots     int // snapshots taken
	Installed     int // snapshots installed from a peer
	Fetched       int // log entries taken from a peer's log
	Campaigns     int // times this node campaigned for leadership
	LeaderChanges int // times the leader this node follows changed
}

// show prints a result for people: short ones whole, long ones abbreviated.
func show(b []byte) string {
	if len(b) <= 24 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q…(%d bytes)", b[:16], len(b))
}

func (s Submit) String() string {
	return fmt.Sprintf("Submit{c%d#%d %s}", s.Client, s.Seq, show(s.Cmd))
}

func (r Read) String() string { return fmt.Sprintf("Read{r%d %s}", r.ID, show(r.Query)) }

func (Inspect) String() string { return "Inspect{}" }
