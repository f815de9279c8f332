package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/sim"
)

// writer applies the writes its inputs spell ("put k v", "lazy k v",
// "lazydel k") and, after a restart, outputs what its storage holds.
type writer struct{}

func (writer) Init(core.Context) {}

func (writer) Handle(ctx core.Context, ev core.Event) {
	st := ctx.Storage()
	switch ev := ev.(type) {
	case core.Request:
		f := strings.Fields(ev.Body.(string))
		switch f[0] {
		case "put":
			st.Put(f[1], []byte(f[2]))
		case "lazy":
			core.PutLazy(st, f[1], []byte(f[2]))
		case "lazydel":
			core.DeleteLazy(st, f[1])
		}
	case core.Restart:
		var kv []string
		for _, k := range st.Keys("") {
			v, _ := st.Get(k)
			kv = append(kv, k+"="+string(v))
		}
		ctx.Output(strings.Join(kv, " "))
	}
}

// The writes of one node, then a crash at 100ms and a restart at 200ms.
func lazyRun(t *testing.T, writes ...string) *sim.Result {
	t.Helper()
	var in []scenario.Input
	for i, w := range writes {
		in = append(in, scenario.Input{At: time.Duration(i+1) * 10 * time.Millisecond, Node: 0, Body: w})
	}
	res, err := sim.Run(t.Context(), sim.Config{
		N: 1, Seed: 1, Faults: mustSpec(t, "crash@100ms=0,restart@200ms=0"),
		New:    func(core.NodeID, int) core.Process { return writer{} },
		Inputs: in,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A lazy write survives a crash only if a strict write followed it: the
// node comes back without every lazy write (puts and deletes alike) made
// after its last strict write, with the values those writes replaced.
func TestACrashLosesTheLazyWritesMadeAfterTheLastStrictWrite(t *testing.T) {
	res := lazyRun(t,
		"put a 1",   // strict
		"lazy b 1",  // made durable by the strict put of c
		"lazy a 2",  // likewise: a=2 survives
		"put c 1",   // strict
		"lazy d 1",  // lost
		"lazydel c", // lost: c comes back
		"lazy a 3",  // lost: a is 2 again
		"lazy e 1",  // lost
		"lazydel e", // lost (e was not there before the lazy tail)
	)
	got := strings.Join(outputs(res, 0), " | ")
	if want := "a=2 b=1 c=1"; got != want {
		t.Fatalf("after the crash the node's storage holds\n %s\nwant\n %s", got, want)
	}
}

// The simulator counts what crashes took back; without a crash nothing
// is lost, and a run is the same function of its seed as ever.
func TestTheSimulatorCountsTheLazyWritesACrashTookBack(t *testing.T) {
	res := lazyRun(t, "lazy x 1", "put y 1", "lazy x 2", "lazy z 1")
	if res.LazyLost != 2 {
		t.Fatalf("LazyLost = %d, want 2 (x=2 and z)", res.LazyLost)
	}
	if got := strings.Join(outputs(res, 0), " | "); got != "x=1 y=1" {
		t.Fatalf("after the crash: %s", got)
	}
	res = lazyRun(t, "lazy x 1", "lazy x 2", "put y 1")
	if res.LazyLost != 0 {
		t.Fatalf("LazyLost = %d after a strict write ended the lazy tail", res.LazyLost)
	}
}
