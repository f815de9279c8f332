package core

import (
	"encoding"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
)

// A Codec turns message bodies into bytes and back. Every message that
// crosses the real network goes through one, and the simulator can round-trip
// every message through the same one, so that an unencodable message fails in
// simulation first.
type Codec interface {
	// Append appends the encoding of msg to buf.
	Append(buf []byte, msg any) ([]byte, error)
	// Decode parses one message. It never panics on malformed input.
	Decode(data []byte) (any, error)
}

// MaxTypeName bounds the length of a registered type name on the wire.
const MaxTypeName = 128

// Registry is the standard Codec: each message type is registered under a
// stable name, and a message is encoded as that name followed by its payload.
// A type whose value implements encoding.BinaryAppender and whose pointer
// implements encoding.BinaryUnmarshaler is encoded by those methods (fast and
// compact); any other type is encoded as JSON (easy, and safe on hostile
// input). The zero value is an empty registry, ready to use.
type Registry struct {
	byName map[string]*codecEntry
	byType map[reflect.Type]*codecEntry
}

type codecEntry struct {
	name   string
	encode func(buf []byte, msg any) ([]byte, error)
	decode func(data []byte) (any, error)
}

// Register adds message type T under name. Registering the same name twice
// with different types panics: it is a programming error found at start-up.
func Register[T any](r *Registry, name string) {
	if name == "" || len(name) > MaxTypeName {
		panic(fmt.Sprintf("core: message type name %q must have 1..%d bytes", name, MaxTypeName))
	}
	typ := reflect.TypeFor[T]()
	if r.byName == nil {
		r.byName = make(map[string]*codecEntry)
		r.byType = make(map[reflect.Type]*codecEntry)
	}
	if old, ok := r.byName[name]; ok {
		if r.byType[typ] == old {
			return
		}
		panic(fmt.Sprintf("core: message type name %q registered twice", name))
	}
	e := &codecEntry{name: name}
	var zero T
	_, appends := any(zero).(encoding.BinaryAppender)
	_, unmarshals := any(&zero).(encoding.BinaryUnmarshaler)
	if appends && unmarshals {
		e.encode = func(buf []byte, msg any) ([]byte, error) {
			return msg.(encoding.BinaryAppender).AppendBinary(buf)
		}
		e.decode = func(data []byte) (any, error) {
			var v T
			if err := any(&v).(encoding.BinaryUnmarshaler).UnmarshalBinary(data); err != nil {
				return nil, err
			}
			return v, nil
		}
	} else {
		e.encode = func(buf []byte, msg any) ([]byte, error) {
			b, err := json.Marshal(msg)
			if err != nil {
				return buf, err
			}
			return append(buf, b...), nil
		}
		e.decode = func(data []byte) (any, error) {
			var v T
			if err := json.Unmarshal(data, &v); err != nil {
				return nil, err
			}
			return v, nil
		}
	}
	r.byName[name] = e
	r.byType[typ] = e
}

// Names lists the registered type names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Name returns the name msg's type is registered under.
func (r *Registry) Name(msg any) (string, bool) {
	e, ok := r.byType[reflect.TypeOf(msg)]
	if !ok {
		return "", false
	}
	return e.name, true
}

// Append encodes msg as uvarint(len(name)) ‖ name ‖ payload.
func (r *Registry) Append(buf []byte, msg any) ([]byte, error) {
	e, ok := r.byType[reflect.TypeOf(msg)]
	if !ok {
		return buf, fmt.Errorf("codec: message type %T is not registered (call core.Register for it)", msg)
	}
	buf = binary.AppendUvarint(buf, uint64(len(e.name)))
	buf = append(buf, e.name...)
	out, err := e.encode(buf, msg)
	if err != nil {
		return buf, fmt.Errorf("codec: encoding %s: %w", e.name, err)
	}
	return out, nil
}

// ErrMalformed wraps every decoding failure.
var ErrMalformed = errors.New("malformed message")

// Decode parses a message encoded by Append.
func (r *Registry) Decode(data []byte) (any, error) {
	n, k := binary.Uvarint(data)
	if k <= 0 || n == 0 || n > MaxTypeName || uint64(len(data)-k) < n {
		return nil, fmt.Errorf("%w: bad type name header", ErrMalformed)
	}
	name := data[k : k+int(n)]
	e, ok := r.byName[string(name)]
	if !ok {
		return nil, fmt.Errorf("%w: unknown message type %q", ErrMalformed, name)
	}
	v, err := e.decode(data[k+int(n):])
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, e.name, err)
	}
	return v, nil
}
