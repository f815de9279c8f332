package broadcast_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/broadcast"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/sim"
)

// fullDisk is a Storage whose writes fail, as on a full disk.
type fullDisk struct{ core.MemStorage }

func (*fullDisk) Put(string, []byte) error { return errors.New("no space left on device") }

// runWithStorage broadcasts "m" from node 0 of three, node 0's storage
// being disk, and returns the run.
func runWithStorage(t *testing.T, disk core.Storage) *sim.Result {
	t.Helper()
	sc := broadcast.Scenario()
	res, err := sim.Run(t.Context(), sim.Config{
		N: 3, Seed: 1, Codec: sc.Codec(), New: sc.New,
		Storage: func(id core.NodeID) core.Storage {
			if id == 0 {
				return disk
			}
			return &core.MemStorage{}
		},
		Inputs: []scenario.Input{{Node: 0, Body: "m"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A node that cannot persist the sequence number of a broadcast does not
// broadcast: nothing is delivered anywhere, and the node stops (fail-stop).
func TestABroadcastWhoseSequenceNumberCannotBePersistedIsNotSent(t *testing.T) {
	res := runWithStorage(t, &fullDisk{})
	for _, o := range res.History.Observations {
		if o.Output {
			t.Fatalf("node %d delivered %v after node 0 failed to persist", o.Node, o.Value)
		}
	}
	if res.Sent != 0 || len(res.Failed) != 1 || res.Failed[0].Node != 0 || !strings.Contains(res.Failed[0].Reason, "no space left") {
		t.Fatalf("sent %d, failed %+v; want nothing sent and node 0 stopped", res.Sent, res.Failed)
	}
}

// A stored sequence number that does not decode stops the node when it
// starts. (It used to be read as 0: the node would reuse the identities of
// messages it had broadcast before, and peers would drop them as
// duplicates.)
func TestACorruptSequenceNumberStopsTheNode(t *testing.T) {
	for name, stored := range map[string][]byte{
		"empty":          {},
		"truncated":      {0x80},
		"overflowing":    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		"trailing bytes": {0x05, 0x00},
	} {
		t.Run(name, func(t *testing.T) {
			disk := &core.MemStorage{}
			disk.Put("broadcast/seq", stored)
			res := runWithStorage(t, disk)
			if res.Sent != 0 || len(res.Failed) != 1 || res.Failed[0].Node != 0 || !strings.Contains(res.Failed[0].Reason, "corrupt") {
				t.Fatalf("sent %d, failed %+v; want nothing sent and node 0 stopped on a corrupt sequence number", res.Sent, res.Failed)
			}
		})
	}
}
