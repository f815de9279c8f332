package rounds

import (
	"encoding/binary"
	"fmt"
)

// Grant is a node's promise to the leader of ballot Ballot (see Lease):
// it has adopted the ballot, so every instance above Horizon it starts, it
// starts there, and its first-round message in them is Lease.Fresh.
type Grant struct {
	Ballot  int
	Horizon uint64
}

// Solicit asks every node to adopt ballot Ballot and grant its leader a
// lease (sent by that leader).
type Solicit struct {
	Ballot int
}

func (g Grant) String() string   { return fmt.Sprintf("Grant{b%d above i%d}", g.Ballot, g.Horizon) }
func (s Solicit) String() string { return fmt.Sprintf("Solicit{b%d}", s.Ballot) }

// maxBallot bounds the ballot a message may carry, as MaxWireRound bounds
// rounds: a ballot is a phase of at least one round.
const maxBallot = MaxWireRound

// AppendBinary encodes g as uvarint ballot ‖ uvarint horizon.
func (g Grant) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(g.Ballot))
	return binary.AppendUvarint(b, g.Horizon), nil
}

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes
// and ballots above MaxWireRound.
func (g *Grant) UnmarshalBinary(b []byte) error {
	bal, k := binary.Uvarint(b)
	if k <= 0 || bal > maxBallot {
		return fmt.Errorf("ballot: %w or above %d", errTrunc, maxBallot)
	}
	h, k2 := binary.Uvarint(b[k:])
	if k2 <= 0 || k+k2 != len(b) {
		return fmt.Errorf("horizon: %w", errTrunc)
	}
	*g = Grant{Ballot: int(bal), Horizon: h}
	return nil
}

// AppendBinary encodes s as uvarint ballot.
func (s Solicit) AppendBinary(b []byte) ([]byte, error) {
	return binary.AppendUvarint(b, uint64(s.Ballot)), nil
}

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes
// and ballots above MaxWireRound.
func (s *Solicit) UnmarshalBinary(b []byte) error {
	bal, k := binary.Uvarint(b)
	if k <= 0 || k != len(b) || bal > maxBallot {
		return fmt.Errorf("ballot: %w or above %d", errTrunc, maxBallot)
	}
	*s = Solicit{Ballot: int(bal)}
	return nil
}
