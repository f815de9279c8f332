package fault

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
)

func TestParsePrintsBackCanonically(t *testing.T) {
	cases := map[string]string{
		"":                                   "none",
		"none":                               "none",
		"drop=0.2,dup=0.05,delay=1ms..20ms":  "drop=0.2,dup=0.05,delay=1ms..20ms",
		"delay=20ms..1ms0s":                  "", // error, checked below
		" dup=0.05 , drop=0.2 ":              "drop=0.2,dup=0.05",
		"delay=5ms":                          "delay=5ms",
		"crashes=1,drop=0.3":                 "drop=0.3,crashes=1",
		"heal@4s,partition@2s={4,3,2}|{0,1}": "partition@2s={2,3,4}|{0,1},heal@4s",
		"restart@3s=2,crash@1s=2":            "crash@1s=2,restart@3s=2",
		"crash=1,byzantine=1,window=500ms":   "crash=1,byzantine=1,window=500ms",
		"partitions=2,reorder=0.5":           "reorder=0.5,partitions=2",
	}
	for in, want := range cases {
		sp, err := Parse(in)
		if want == "" {
			if err == nil {
				t.Errorf("Parse(%q) accepted a bad spec", in)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got := sp.String(); got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", in, got, want)
		}
		again, err := Parse(sp.String())
		if err != nil || again.String() != sp.String() {
			t.Errorf("canonical form %q does not parse back to itself: %v", sp.String(), err)
		}
	}
}

func TestParseSaysWhatIsWrong(t *testing.T) {
	cases := map[string]string{
		"drop=1.5":               "probability",
		"drop=x":                 "probability",
		"dropp=0.1":              "unknown fault",
		"delay=20ms..1ms":        "low end comes first",
		"delay=fast":             "not a duration",
		"crash@1s":               "needs a node",
		"partition@1s={0,1}|{1}": "two groups",
		"partition@1s=0,1":       "must look like",
		"heal":                   "heal needs a time",
		"drop=0.1,drop=0.2":      "given twice",
		"explode@1s=2":           "unknown scheduled fault",
		"crashes=-1":             "not a count",
	}
	for in, want := range cases {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error mentioning %q", in, err, want)
		}
	}
}

func TestValidateAgainstClusterSize(t *testing.T) {
	for spec, ok := range map[string]bool{
		"crash@1s=4":            true,
		"crash@1s=5":            false,
		"partition@1s={0}|{7}":  false,
		"crashes=4":             true,
		"crashes=5":             false,
		"crash=4":               true,
		"crash=5":               false,
		"crash=3,byzantine=2":   false,
		"crash=2,byzantine=1":   true,
		"drop=0.5,partitions=3": true,
	} {
		sp, err := Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := sp.Validate(5); (err == nil) != ok {
			t.Errorf("Validate(%q, 5) = %v, want ok=%v", spec, err, ok)
		}
	}
}

// A random crash-and-restart schedule never has more than K nodes down, and
// every node is back by the end of the window.
func TestCrashScheduleKeepsAtMostKDown(t *testing.T) {
	for _, k := range []int{1, 2} {
		sp := Spec{Crashes: k, Window: time.Second}
		for seed := uint64(0); seed < 200; seed++ {
			p := sp.Plan(5, rand.New(rand.NewPCG(seed, 1)))
			down := map[core.NodeID]bool{}
			crashes := 0
			for _, a := range p.Actions {
				switch a.Kind {
				case Crash:
					if down[a.Node] {
						t.Fatalf("seed %d: node %d crashed twice without a restart", seed, a.Node)
					}
					down[a.Node] = true
					crashes++
				case Restart:
					delete(down, a.Node)
				}
				if len(down) > k {
					t.Fatalf("seed %d: %d nodes down at %v with crashes=%d", seed, len(down), a.At, k)
				}
				if a.At > time.Second {
					t.Fatalf("seed %d: action %v after the window", seed, a)
				}
			}
			if len(down) != 0 {
				t.Fatalf("seed %d: nodes %v still down after the window", seed, down)
			}
			if crashes == 0 {
				t.Fatalf("seed %d: crashes=%d drew no crash at all", seed, k)
			}
		}
	}
}

func TestPlanIsAFunctionOfTheSeed(t *testing.T) {
	sp, _ := Parse("crashes=1,crash=1,partitions=3,byzantine=1,window=3s")
	a := sp.Plan(7, rand.New(rand.NewPCG(42, 1)))
	b := sp.Plan(7, rand.New(rand.NewPCG(42, 1)))
	c := sp.Plan(7, rand.New(rand.NewPCG(43, 1)))
	str := func(p Plan) string {
		var s []string
		for _, x := range p.Actions {
			s = append(s, x.String())
		}
		return strings.Join(s, ",")
	}
	if str(a) != str(b) {
		t.Fatalf("same seed, different plans:\n%s\n%s", str(a), str(b))
	}
	if str(a) == str(c) {
		t.Fatalf("seeds 42 and 43 drew the same plan %s", str(a))
	}
	if len(a.Byzantine) != 1 {
		t.Fatalf("byzantine=1 chose %v", a.Byzantine)
	}
	for _, x := range a.Actions {
		if x.Kind == Crash && x.Node == a.Byzantine[0] {
			t.Fatalf("the Byzantine node %d is also scheduled to crash", x.Node)
		}
	}
}

func TestGroupsCutAcrossSidesOnly(t *testing.T) {
	g := NewGroups(5, [][]core.NodeID{{0, 1}, {2, 3}})
	for _, c := range []struct {
		a, b core.NodeID
		cut  bool
	}{{0, 1, false}, {0, 2, true}, {3, 2, false}, {4, 0, true}, {4, 4, false}} {
		if g.Cut(c.a, c.b) != c.cut {
			t.Errorf("Cut(%d,%d) = %v", c.a, c.b, !c.cut)
		}
	}
	if (Groups{}).Cut(0, 1) {
		t.Error("no partition cuts nothing")
	}
}

func TestAnEmptyItemIsRefused(t *testing.T) {
	for _, in := range []string{"drop=0.1,,dup=0.1", "drop=0.1,", ",drop=0.1"} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), "empty item") {
			t.Errorf("Parse(%q) = %v, want an empty-item error", in, err)
		}
	}
}

func TestFaultsBeyondTheRunAreRefused(t *testing.T) {
	cases := map[string]string{
		"crash@1s=1":                       "",
		"crashes=1,window=2s":              "",
		"drop=0.5":                         "",
		"crash@3s=1":                       "would never happen",
		"crashes=1,window=5s":              "window=5s",
		"partitions=1":                     "", // default window 2s < 3s
		"partition@1s={0}|{1},heal@4s":     "heal@4s",
		"partition@1s={0}|{1},heal@2s":     "",
		"drop=0.1,restart@3s=1,crash@1s=1": "restart@3s=1",
	}
	for in, want := range cases {
		sp, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		err = sp.Within(3*time.Second, "--max-time 3s")
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q within 3s: %v, want %q", in, err, want)
		}
	}
}

func TestOnlyFaultsThatEventuallyLetMessagesThroughAreConnected(t *testing.T) {
	cases := map[string]string{
		"drop=0.99":                    "",
		"drop=1":                       "drop=1",
		"partition@1s={0}|{1}":         "never healed",
		"partition@1s={0}|{1},heal@2s": "",
		"partition@1s={0}|{1},heal@2s,partition@3s={0,1}|{2}": "partition@3s",
		"partitions=3": "",
	}
	for in, want := range cases {
		sp, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		err = sp.EventuallyConnected()
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
