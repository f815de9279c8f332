package rounds

import (
	"errors"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/core"
)

// fullDisk is a Storage whose every write fails, as on a full disk.
type fullDisk struct{ core.MemStorage }

var errNoSpace = errors.New("no space left on device")

func (*fullDisk) Put(string, []byte) error { return errNoSpace }
func (*fullDisk) Delete(string) error      { return errNoSpace }

// A node that cannot persist its instance reservation does not start the
// instance: it stops there (fail-stop) and sends nothing. (It used to log
// the error and run round 0 anyway; after a crash it would not know it had
// voted, and could vote twice.)
func TestAnInstanceWhoseReservationCannotBePersistedDoesNotStart(t *testing.T) {
	ctx := newFakeCtx(0, 3)
	ctx.disk = &fullDisk{}
	rt := NewRuntime(minFlood(), testCfg)
	rt.Init(ctx)
	rt.Handle(ctx, core.Request{Body: Propose{Instance: 1, Value: 5}})
	got := ctx.take()
	if len(got) != 1 || !strings.HasPrefix(got[0], "fail ") || !strings.Contains(got[0], "no space left") {
		t.Fatalf("after the failed write the node did: %q; want only to fail", got)
	}
	if s := rt.Stats(); s.Started != 0 {
		t.Fatalf("the instance was started: %+v", s)
	}
}

// A reservation that does not decode (not 8 bytes) stops the node at Init:
// reading it as "no reservation" would let a restarted node take part
// afresh in instances it may have voted in.
func TestACorruptReservationStopsTheNode(t *testing.T) {
	for _, stored := range [][]byte{{}, {1, 2, 3}, make([]byte, 9)} {
		ctx := newFakeCtx(0, 3)
		rt := NewRuntime(minFlood(), testCfg)
		ctx.store.Put(rt.reserveKey(), stored)
		rt.Init(ctx)
		rt.Handle(ctx, core.Request{Body: Propose{Instance: 1, Value: 5}})
		rt.Handle(ctx, core.Message{From: 1, Body: msg(1, 0, 3)})
		got := ctx.take()
		if len(got) != 1 || !strings.HasPrefix(got[0], "fail ") || !strings.Contains(got[0], "reservation") {
			t.Fatalf("with %d stored bytes the node did: %q; want only to fail", len(stored), got)
		}
	}
}

// A system larger than a Set holds (MaxN) is refused when the node starts:
// process sets are 64-bit masks, and the 65th process would silently alias
// the first.
func TestARuntimeRefusesMoreNodesThanItsProcessSetsHold(t *testing.T) {
	ctx := newFakeCtx(0, MaxN+1)
	rt := NewRuntime(minFlood(), testCfg)
	rt.Init(ctx)
	rt.Handle(ctx, core.Request{Body: Propose{Instance: 1, Value: 5}})
	got := ctx.take()
	if len(got) != 1 || !strings.HasPrefix(got[0], "fail ") || !strings.Contains(got[0], "64") {
		t.Fatalf("a runtime of %d nodes did: %q; want only to fail", MaxN+1, got)
	}
}
