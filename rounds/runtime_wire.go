package rounds

import (
	"encoding"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/rondo-dev/rondo/core"
)

// Msg is a round message on the wire: an algorithm's payload tagged with the
// instance and round it belongs to. The runtime sends one Msg per receiver
// per round; the receiver files it under (Instance, Round).
type Msg[M any] struct {
	Instance uint64
	Round    int
	Body     M
}

// Propose is the request of an input for an algorithm over int64 values.
type Propose = ProposeOf[Value]

// ProposeOf is the client request that starts (or joins) an instance with
// this node's input. It is the Body of a core.Request. A value that would
// not fit in a message (CheckValue) is refused: the runtime outputs a
// Refused and starts nothing.
type ProposeOf[V comparable] struct {
	Instance uint64
	Value    V
}

func (p ProposeOf[V]) String() string {
	return fmt.Sprintf("Propose{i%d=%s}", p.Instance, ShowValue(p.Value))
}

// Refused is the output of a node refusing a proposal (a core.Request with
// a ProposeOf body): the instance and why, such as a value too large for a
// message. Nothing was started.
type Refused struct {
	Instance uint64 `json:"instance"`
	Reason   string `json:"reason"`
}

func (r Refused) String() string { return fmt.Sprintf("Refused{i%d: %s}", r.Instance, r.Reason) }

// Decision is the decision of an algorithm over int64 values.
type Decision = DecisionOf[Value]

// DecisionOf is the output (core.Context.Output) of a node deciding an
// instance. Learned marks a decision taken from peers' replies (a late node,
// or one that restarted and lost the instance's state) rather than computed
// by the algorithm. Round is the round the decision was made or learned in.
type DecisionOf[V comparable] struct {
	Instance uint64 `json:"instance"`
	Value    V      `json:"value"`
	Round    int    `json:"round"`
	Learned  bool   `json:"learned,omitempty"`
	// Revoked marks a second, different decision (irrevocability fails):
	// Value is the new value.
	Revoked bool `json:"revoked,omitempty"`

	// state is the deciding process's local state, kept out of traces and
	// encodings (unexported) so that a scenario can evaluate the algorithm's
	// Spec.Properties on the decisions of a run.
	state any
}

func (d DecisionOf[V]) String() string {
	s := fmt.Sprintf("Decision{i%d=%s r%d", d.Instance, ShowValue(d.Value), d.Round)
	if d.Learned {
		s += " learned"
	}
	if d.Revoked {
		s += " REVOKED"
	}
	return s + "}"
}

// Decided is the decision report of an algorithm over int64 values.
type Decided = DecidedOf[Value]

// DecidedOf tells a peer the decision of an instance the sender has
// finished: the answer to a round message or an Ask for an instance in its
// decision log. It carries the value, so a node that learns a decision this
// way has it whole.
type DecidedOf[V comparable] struct {
	Instance uint64
	Value    V
}

// Ask requests the decision of an instance from peers (sent by a node that
// restarted and cannot rejoin the instance's rounds safely).
type Ask struct {
	Instance uint64
}

// Ahead tells a peer whose message arrived for a past round which round
// the sender is in, so that it catches up even when the algorithm sends it
// nothing in these rounds (LastVoting's participants hear only the
// coordinator).
type Ahead struct {
	Instance uint64
	Round    int
}

func (a Ahead) String() string { return fmt.Sprintf("Ahead{i%d r%d}", a.Instance, a.Round) }

// AppendBinary encodes a as uvarint instance ‖ uvarint round.
func (a Ahead) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, a.Instance)
	return binary.AppendUvarint(b, uint64(a.Round)), nil
}

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes.
func (a *Ahead) UnmarshalBinary(b []byte) error {
	inst, k := binary.Uvarint(b)
	if k <= 0 {
		return fmt.Errorf("instance: %w", errTrunc)
	}
	r, k2 := binary.Uvarint(b[k:])
	if k2 <= 0 || k+k2 != len(b) || r > MaxWireRound {
		return fmt.Errorf("round: %w", errTrunc)
	}
	*a = Ahead{Instance: inst, Round: int(r)}
	return nil
}

func (m Msg[M]) String() string { return fmt.Sprintf("i%d/r%d %+v", m.Instance, m.Round, m.Body) }
func (d DecidedOf[V]) String() string {
	return fmt.Sprintf("Decided{i%d=%s}", d.Instance, ShowValue(d.Value))
}
func (a Ask) String() string { return fmt.Sprintf("Ask{i%d}", a.Instance) }

// RegisterRuntime registers the runtime's wire types for alg with a codec
// registry: Msg[M] under "rounds/<Name>/msg", DecidedOf[V] under
// "rounds.Decided" (int64 values) or "rounds.Decided[<V>]", and the shared
// Ask, Ahead, Grant and Solicit.
func RegisterRuntime[S, M, V comparable](alg *AlgorithmOf[S, M, V], r *core.Registry) {
	core.Register[Msg[M]](r, "rounds/"+alg.Name+"/msg")
	decided := "rounds.Decided"
	if t := reflect.TypeFor[V](); t != reflect.TypeFor[Value]() {
		decided += "[" + t.String() + "]"
	}
	core.Register[DecidedOf[V]](r, decided)
	core.Register[Ask](r, "rounds.Ask")
	core.Register[Ahead](r, "rounds.Ahead")
	core.Register[Grant](r, "rounds.Grant")
	core.Register[Solicit](r, "rounds.Solicit")
}

// MaxWireRound bounds the round number a message may carry: a hostile peer
// cannot make a node fast-forward through billions of empty rounds.
const MaxWireRound = 1 << 30

var errTrunc = errors.New("truncated")

// AppendBinary encodes m as uvarint instance ‖ uvarint round ‖ body. The body
// uses M's own AppendBinary if it has one, a fixed-size little-endian layout
// if M is made of fixed-size fields only (encoding/binary), and JSON
// otherwise.
func (m Msg[M]) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, m.Instance)
	b = binary.AppendUvarint(b, uint64(m.Round))
	return appendBody(b, m.Body)
}

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes.
func (m *Msg[M]) UnmarshalBinary(b []byte) error {
	inst, k := binary.Uvarint(b)
	if k <= 0 {
		return fmt.Errorf("instance: %w", errTrunc)
	}
	b = b[k:]
	r, k := binary.Uvarint(b)
	if k <= 0 || r > MaxWireRound {
		return fmt.Errorf("round: %w or above %d", errTrunc, MaxWireRound)
	}
	var body M
	if err := decodeBody(b[k:], &body); err != nil {
		return err
	}
	*m = Msg[M]{Instance: inst, Round: int(r), Body: body}
	return nil
}

// bodyCodec is how a payload type is encoded, found once per type.
type bodyCodec uint8

const (
	bodyJSON bodyCodec = iota
	bodyFixed
	bodyOwn
)

var bodyCodecs sync.Map // reflect.Type -> bodyCodec

func codecOf[M any]() bodyCodec {
	t := reflect.TypeFor[M]()
	if c, ok := bodyCodecs.Load(t); ok {
		return c.(bodyCodec)
	}
	var zero M
	c := bodyJSON
	_, app := any(zero).(encoding.BinaryAppender)
	_, unm := any(&zero).(encoding.BinaryUnmarshaler)
	switch {
	case app && unm:
		c = bodyOwn
	case binary.Size(zero) > 0:
		c = bodyFixed
	}
	bodyCodecs.Store(t, c)
	return c
}

func appendBody[M any](b []byte, body M) ([]byte, error) {
	switch codecOf[M]() {
	case bodyOwn:
		return any(body).(encoding.BinaryAppender).AppendBinary(b)
	case bodyFixed:
		return binary.Append(b, binary.LittleEndian, body)
	}
	j, err := json.Marshal(body)
	if err != nil {
		return b, err
	}
	return append(b, j...), nil
}

func decodeBody[M any](b []byte, body *M) error {
	switch codecOf[M]() {
	case bodyOwn:
		return any(body).(encoding.BinaryUnmarshaler).UnmarshalBinary(b)
	case bodyFixed:
		k, err := binary.Decode(b, binary.LittleEndian, body)
		if err != nil {
			return fmt.Errorf("body: %w", err)
		}
		if k != len(b) {
			return fmt.Errorf("body: %d trailing bytes", len(b)-k)
		}
		return nil
	}
	return json.Unmarshal(b, body)
}

// AppendBinary encodes d as uvarint instance ‖ value (AppendValue: a
// zigzag varint for an int64).
func (d DecidedOf[V]) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, d.Instance)
	return AppendValue(b, d.Value)
}

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes.
func (d *DecidedOf[V]) UnmarshalBinary(b []byte) error {
	inst, k := binary.Uvarint(b)
	if k <= 0 {
		return fmt.Errorf("instance: %w", errTrunc)
	}
	v, k2, err := DecodeValue[V](b[k:])
	if err != nil {
		return err
	}
	if k+k2 != len(b) {
		return fmt.Errorf("value: %d trailing bytes", len(b)-k-k2)
	}
	*d = DecidedOf[V]{Instance: inst, Value: v}
	return nil
}

// AppendBinary encodes a as uvarint instance.
func (a Ask) AppendBinary(b []byte) ([]byte, error) {
	return binary.AppendUvarint(b, a.Instance), nil
}

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes.
func (a *Ask) UnmarshalBinary(b []byte) error {
	inst, k := binary.Uvarint(b)
	if k <= 0 || k != len(b) {
		return fmt.Errorf("instance: %w", errTrunc)
	}
	*a = Ask{Instance: inst}
	return nil
}
