package history

import (
	"bytes"
	"cmp"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// ms is a point on the record's clock.
func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func put(c int, k, v string, call, ret int) Op {
	return Op{Client: c, Kind: Put, Key: k, Value: v, Call: ms(call), Return: ms(ret)}
}
func get(c int, k string, found bool, v string, call, ret int) Op {
	return Op{Client: c, Kind: Get, Key: k, Found: found, Got: v, Call: ms(call), Return: ms(ret)}
}

func verdict(t *testing.T, ops []Op) Result {
	t.Helper()
	return Check(ops, 10*time.Second)
}

func TestAReadAfterAWriteSeesIt(t *testing.T) {
	r := verdict(t, []Op{put(0, "x", "1", 0, 10), get(1, "x", true, "1", 20, 30)})
	if r.Verdict != Linearizable {
		t.Fatal(r)
	}
}

func TestAReadAfterAnAcknowledgedWriteThatMissesItIsCaught(t *testing.T) {
	// The write was acknowledged at 10 ms; a read that starts at 20 ms and
	// finds nothing means the write was lost (or the read was stale).
	r := verdict(t, []Op{put(0, "x", "1", 0, 10), get(1, "x", false, "", 20, 30), put(0, "y", "2", 0, 10)})
	if r.Verdict != NotLinearizable || strings.Join(r.BadKeys, ",") != "x" {
		t.Fatalf("%v; want not linearizable on x only", r)
	}
}

func TestAReadConcurrentWithAWriteMaySeeEitherValue(t *testing.T) {
	for _, seen := range []Op{get(1, "x", false, "", 5, 15), get(1, "x", true, "1", 5, 15)} {
		if r := verdict(t, []Op{put(0, "x", "1", 0, 10), seen}); r.Verdict != Linearizable {
			t.Errorf("%v with %v", r, seen)
		}
	}
}

func TestReadsMustNotGoBackInTime(t *testing.T) {
	// Two writes in sequence; a client that reads the second value and then
	// the first has seen time go backwards.
	r := verdict(t, []Op{
		put(0, "x", "1", 0, 10), put(0, "x", "2", 20, 30),
		get(1, "x", true, "2", 5, 40), get(1, "x", true, "1", 50, 60),
	})
	if r.Verdict != NotLinearizable {
		t.Fatal(r)
	}
}

func TestAWriteOfUnknownOutcomeMayHaveHappenedOrNot(t *testing.T) {
	lost := Op{Client: 0, Kind: Put, Key: "x", Value: "1", Call: ms(0), Unknown: true}
	// Either way is fine: seen, or not seen yet.
	for _, seen := range []Op{get(1, "x", true, "1", 50, 60), get(1, "x", false, "", 50, 60)} {
		if r := verdict(t, []Op{lost, seen}); r.Verdict != Linearizable || r.Unknown != 1 {
			t.Errorf("%v with %v", r, seen)
		}
	}
	// But once seen it stays: it took effect before the first read.
	r := verdict(t, []Op{lost, get(1, "x", true, "1", 50, 60), get(1, "x", false, "", 70, 80)})
	if r.Verdict != NotLinearizable {
		t.Fatal(r)
	}
}

func TestTwoCompareAndSetsOnTheSameOldValueCannotBothWin(t *testing.T) {
	cas := func(c int, v string) Op {
		return Op{Client: c, Kind: CAS, Key: "lock", ExpectAbsent: true, Value: v, Swapped: true, Call: ms(0), Return: ms(10)}
	}
	if r := verdict(t, []Op{cas(0, "a"), cas(1, "b")}); r.Verdict != NotLinearizable {
		t.Fatal(r)
	}
	loser := cas(1, "b")
	loser.Swapped = false
	if r := verdict(t, []Op{cas(0, "a"), loser, get(2, "lock", true, "a", 20, 30)}); r.Verdict != Linearizable {
		t.Fatal(r)
	}
}

func TestADeleteMakesTheKeyAbsent(t *testing.T) {
	del := Op{Client: 0, Kind: Delete, Key: "x", Call: ms(20), Return: ms(30)}
	ok := []Op{put(0, "x", "1", 0, 10), del, get(1, "x", false, "", 40, 50)}
	bad := []Op{put(0, "x", "1", 0, 10), del, get(1, "x", true, "1", 40, 50)}
	if r := verdict(t, ok); r.Verdict != Linearizable {
		t.Fatal(r)
	}
	if r := verdict(t, bad); r.Verdict != NotLinearizable {
		t.Fatal(r)
	}
}

// simulate drives clients against one linearizable store: each operation
// takes effect at a random instant inside its interval, in instant order.
func simulate(seed uint64, clients, opsPerClient, keys int) []Op {
	rng := rand.New(rand.NewPCG(seed, 1))
	type pending struct {
		op Op
		at time.Duration
	}
	var all []pending
	for c := range clients {
		t := time.Duration(rng.IntN(1000)) * time.Microsecond
		for range opsPerClient {
			op := Op{Client: c, Key: string(rune('a' + rng.IntN(keys))), Call: t}
			switch rng.IntN(10) {
			case 0, 1, 2, 3:
				op.Kind = Get
			case 4, 5, 6:
				op.Kind, op.Value = Put, string(rune('0'+rng.IntN(10)))
			case 7:
				op.Kind = Delete
			default:
				op.Kind, op.Value = CAS, string(rune('0'+rng.IntN(10)))
				op.Expect = string(rune('0' + rng.IntN(10)))
				op.ExpectAbsent = rng.IntN(4) == 0
			}
			d := time.Duration(1+rng.IntN(2000)) * time.Microsecond
			op.Return = t + d
			all = append(all, pending{op, t + time.Duration(rng.Int64N(int64(d)))})
			t += d + time.Duration(rng.IntN(500))*time.Microsecond
		}
	}
	// Apply in effect order.
	slices.SortFunc(all, func(a, b pending) int { return cmp.Compare(a.at, b.at) })
	state := map[string]register{}
	for i := range all {
		op := &all[i].op
		cur := state[op.Key]
		switch op.Kind {
		case Get:
			op.Found, op.Got = cur.present, cur.value
		case CAS:
			op.Swapped = op.ExpectAbsent && !cur.present || !op.ExpectAbsent && cur.present && cur.value == op.Expect
		}
		_, state[op.Key] = step(cur, *op)
	}
	out := make([]Op, len(all))
	for i, p := range all {
		out[i] = p.op
	}
	return out
}

func TestAThousandsOfOperationsHistoryOfALinearizableStorePassesAndOneBadReadIsCaught(t *testing.T) {
	ops := simulate(7, 16, 400, 20) // 6,400 operations
	start := time.Now()
	r := verdict(t, ops)
	if r.Verdict != Linearizable || r.Ops != len(ops) || r.Keys != 20 {
		t.Fatalf("%v", r)
	}
	t.Logf("%v in %v", r, time.Since(start).Round(time.Millisecond))
	// Make one read that found a value report a value never written.
	for i := range ops {
		if ops[i].Kind == Get && ops[i].Found {
			ops[i].Got = "never written"
			r := verdict(t, ops)
			if r.Verdict != NotLinearizable || len(r.BadKeys) != 1 || r.BadKeys[0] != ops[i].Key {
				t.Fatalf("a read of a value never written: %v", r)
			}
			return
		}
	}
	t.Fatal("no read found anything")
}

func TestAHistoryRoundTripsThroughItsFileAndBadFilesAreRefused(t *testing.T) {
	ops := simulate(3, 3, 20, 4)
	ops = append(ops, Op{Client: 9, Kind: Put, Key: "z", Value: "v", Call: ms(1), Unknown: true})
	var buf bytes.Buffer
	if err := Write(&buf, ops); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"kind":"cas"`) {
		t.Fatalf("kinds are not written by name:\n%s", buf.String())
	}
	back, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(ops) || back[len(back)-1] != ops[len(ops)-1] || back[0] != ops[0] {
		t.Fatal("history changed through its file")
	}
	for _, bad := range []string{
		`{"client":0,"kind":"frob","key":"x","call":0,"return":1}`,
		`{"client":0,"key":"x","call":0,"return":1}`,
		`{"client":0,"kind":"get","key":"x","call":5,"return":1}`,
		`{"client":0,"kind":"get","key":"x","call":0,"return":1,"extra":true}`,
		`not json`,
	} {
		if _, err := Read(strings.NewReader(bad)); err == nil {
			t.Errorf("Read accepted %s", bad)
		}
	}
}

func TestANonLinearizableHistoryCanBeLookedAt(t *testing.T) {
	r := verdict(t, []Op{put(0, "x", "1", 0, 10), get(1, "x", false, "", 20, 30)})
	path := filepath.Join(t.TempDir(), "h.html")
	if err := r.Visualize(path); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(page, []byte("<html")) || !bytes.Contains(page, []byte(`put(\"x\", \"1\")`)) {
		t.Fatalf("visualization: %v, %d bytes", err, len(page))
	}
}
