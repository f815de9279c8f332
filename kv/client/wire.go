package client

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Headers of the HTTP API.
const (
	// ClientHeader and SeqHeader carry a write's session: a client id
	// (a decimal uint64, not 0) and its sequence number (from 1, one more
	// for each new write of the session). A write that carries them is
	// applied at most once however often it is retried; one without them
	// is applied once per request.
	ClientHeader = "Rondo-Client"
	SeqHeader    = "Rondo-Seq"
	// NodeHeader is the id of the replica that answered; LeaderHeader the
	// id of the replica it believes leads (absent while it knows none).
	NodeHeader   = "Rondo-Node"
	LeaderHeader = "Rondo-Leader"
	// RevisionHeader is the revision of the value a raw GET returns.
	RevisionHeader = "Rondo-Revision"
	// OutcomeHeader is on every error: "not-taken" when the operation did
	// not take effect (safe to retry as a new operation), "unknown" when
	// it may have (retry with the same session and sequence number to
	// learn its outcome).
	OutcomeHeader = "Rondo-Outcome"
)

// Values of OutcomeHeader.
const (
	OutcomeNotTaken = "not-taken"
	OutcomeUnknown  = "unknown"
)

// JSONValue holds a value in JSON: Value when the bytes are UTF-8 text,
// Base64 (standard encoding) otherwise.
type JSONValue struct {
	Value  *string `json:"value,omitempty"`
	Base64 *string `json:"value_base64,omitempty"`
}

// EncodeValue puts b in a JSONValue.
func EncodeValue(b []byte) JSONValue {
	if utf8.Valid(b) {
		s := string(b)
		return JSONValue{Value: &s}
	}
	s := base64.StdEncoding.EncodeToString(b)
	return JSONValue{Base64: &s}
}

// Bytes reads the value back; present is false when neither field is set.
func (v JSONValue) Bytes() (b []byte, present bool, err error) {
	switch {
	case v.Value != nil && v.Base64 != nil:
		return nil, true, fmt.Errorf("both value and value_base64")
	case v.Value != nil:
		return []byte(*v.Value), true, nil
	case v.Base64 != nil:
		b, err := base64.StdEncoding.DecodeString(*v.Base64)
		if err != nil {
			return nil, true, fmt.Errorf("value_base64: %v", err)
		}
		return b, true, nil
	}
	return nil, false, nil
}

// Entry is a key with its value, the JSON body of GET /kv/KEY?json and an
// item of a list. Value is absent from a keys-only list.
type Entry struct {
	Key string `json:"key"`
	JSONValue
	Revision uint64 `json:"revision"`
}

// WriteReply is the JSON body of a PUT or DELETE that succeeded.
// Revision is the revision the write made (a delete of an absent key makes
// none: 0); Deleted says whether a DELETE found the key.
type WriteReply struct {
	Key      string `json:"key"`
	Revision uint64 `json:"revision,omitempty"`
	Deleted  *bool  `json:"deleted,omitempty"`
}

// CASRequest is the JSON body of POST /cas/KEY: write the new value (value
// or value_base64) if the key holds the expected one (expect or
// expect_base64), or is absent (expect_absent: true).
type CASRequest struct {
	Expect       *string `json:"expect,omitempty"`
	ExpectBase64 *string `json:"expect_base64,omitempty"`
	ExpectAbsent bool    `json:"expect_absent,omitempty"`
	JSONValue
}

// CASReply is the JSON body of a compare-and-set's answer: 200 when it
// swapped (Revision: the revision it made), 412 when it did not (Found,
// the value and Revision: what the key holds).
type CASReply struct {
	Key     string `json:"key"`
	Swapped bool   `json:"swapped"`
	Found   bool   `json:"found"`
	JSONValue
	Revision uint64 `json:"revision,omitempty"`
}

// ListReply is the JSON body of GET /kv?prefix=P (or ?start=A&end=B): the
// keys in order, with More set when the list stopped at its limit (ask
// again from Next).
type ListReply struct {
	Items    []Entry `json:"items"`
	More     bool    `json:"more"`
	Next     string  `json:"next,omitempty"`
	Revision uint64  `json:"revision"`
}

// ErrorReply is the JSON body of every error.
type ErrorReply struct {
	Error   string `json:"error"`
	Outcome string `json:"outcome"`
	Leader  *int   `json:"leader,omitempty"`
}

// Status is the body of GET /status.
type Status struct {
	ID int `json:"id"`
	// Leader is the replica this one believes leads (-1: none known);
	// IsLeader says this one does.
	Leader   int  `json:"leader"`
	IsLeader bool `json:"is_leader"`
	// Keys, Revision and Digest describe the state this replica applied:
	// replicas that applied the same log have the same digest.
	Keys     int    `json:"keys"`
	Revision uint64 `json:"revision"`
	Digest   string `json:"digest"`
	// Applied is the log position applied here.
	Applied uint64 `json:"applied"`
}

// FormatUint writes a header number.
func FormatUint(v uint64) string { return strconv.FormatUint(v, 10) }
