package latticetest_test

import (
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/rondo-dev/rondo/lattice"
	"github.com/rondo-dev/rondo/lattice/latticetest"
)

// adder is a broken "lattice": its merge adds, so a ⊔ a = 2a ≠ a.
type adder struct{ n int }

func (c *adder) Merge(o *adder) bool  { c.n += o.n; return o.n != 0 }
func (c *adder) LessEq(o *adder) bool { return c.n <= o.n }
func (c *adder) IsBot() bool          { return c.n == 0 }
func (c *adder) Clone() *adder        { d := *c; return &d }
func genAdder() *rapid.Generator[*adder] {
	return rapid.Custom(func(t *rapid.T) *adder { return &adder{rapid.IntRange(0, 1_000_000).Draw(t, "n")} })
}

// recorder is a rapid.TB that records a failure instead of failing the test
// that runs the checker, so that a test can assert the checker fails.
type recorder struct {
	mu     sync.Mutex
	failed bool
	out    strings.Builder
}

func (r *recorder) Helper()                   {}
func (r *recorder) Name() string              { return "recorder" }
func (r *recorder) Logf(f string, a ...any)   { r.log(fmt.Sprintf(f, a...)) }
func (r *recorder) Log(a ...any)              { r.log(fmt.Sprint(a...)) }
func (r *recorder) Skipf(f string, a ...any)  {}
func (r *recorder) Skip(a ...any)             {}
func (r *recorder) SkipNow()                  {}
func (r *recorder) Errorf(f string, a ...any) { r.fail(); r.Logf(f, a...) }
func (r *recorder) Error(a ...any)            { r.fail(); r.Log(a...) }
func (r *recorder) Fatalf(f string, a ...any) { r.fail(); r.Logf(f, a...) }
func (r *recorder) Fatal(a ...any)            { r.fail(); r.Log(a...) }
func (r *recorder) FailNow()                  { r.fail() }
func (r *recorder) Fail()                     { r.fail() }
func (r *recorder) Failed() bool              { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }
func (r *recorder) fail()                     { r.mu.Lock(); r.failed = true; r.mu.Unlock() }
func (r *recorder) log(s string)              { r.mu.Lock(); r.out.WriteString(s + "\n"); r.mu.Unlock() }

func checkFails(t *testing.T, run func(tb rapid.TB)) string {
	t.Helper()
	// A failing check would otherwise save a testdata/rapid/*.fail file.
	if err := flag.Set("rapid.nofailfile", "true"); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	run(rec)
	if !rec.Failed() {
		t.Fatalf("the checker passed a broken lattice; output:\n%s", rec.out.String())
	}
	return rec.out.String()
}

func TestAddingMergeIsCaughtWithAShrunkCounterexample(t *testing.T) {
	out := checkFails(t, func(tb rapid.TB) { latticetest.Check(tb, genAdder()) })
	// Depending on rapid's seed the first law to break is idempotence
	// itself or the truthfulness of Merge's change report on a repeated
	// merge; both say that merging the same value twice changed it.
	if !strings.Contains(out, "idempotence") && !strings.Contains(out, "a second time reported a change") {
		t.Fatalf("expected an idempotence failure, got:\n%s", out)
	}
	// rapid logs every top-level draw of the shrunk case: "[rapid] draw a: &…adder{n:1}".
	draws := regexp.MustCompile(`draw [abc]: .*adder\{n:(\d+)\}`).FindAllStringSubmatch(out, -1)
	if len(draws) == 0 {
		t.Fatalf("no counterexample in the output:\n%s", out)
	}
	for _, d := range draws {
		if n, _ := strconv.Atoi(d[1]); n > 1 {
			t.Fatalf("counterexample not shrunk: drew n=%d\n%s", n, out)
		}
	}
	t.Logf("checker output for the adding merge:\n%s", out)
}

func TestNegationClaimingToBeAMorphismIsCaught(t *testing.T) {
	not := lattice.NewMorphism("not", func(b *lattice.Bool) *lattice.Bool { return lattice.BoolOf(b == nil || !b.Value()) })
	gen := rapid.Custom(func(t *rapid.T) *lattice.Bool { return lattice.BoolOf(rapid.Bool().Draw(t, "v")) })
	out := checkFails(t, func(tb rapid.TB) { latticetest.CheckFunc(tb, gen, not) })
	if !strings.Contains(out, "not monotone") && !strings.Contains(out, "not a morphism") {
		t.Fatalf("expected a monotonicity or morphism failure, got:\n%s", out)
	}
}

func TestSizeClaimingToBeAMorphismIsCaught(t *testing.T) {
	size := lattice.NewMorphism("size", func(s *lattice.Set[int]) *lattice.Max[int] { return lattice.MaxOf(s.Len()) })
	gen := rapid.Custom(func(t *rapid.T) *lattice.Set[int] {
		return lattice.SetOf(rapid.SliceOfN(rapid.IntRange(0, 5), 0, 4).Draw(t, "elems")...)
	})
	out := checkFails(t, func(tb rapid.TB) { latticetest.CheckFunc(tb, gen, size) })
	if !strings.Contains(out, "not a morphism") {
		t.Fatalf("expected a morphism failure, got:\n%s", out)
	}
}

func TestDomPairWithPartialKeyIsCaught(t *testing.T) {
	type dp = lattice.DomPair[*lattice.Set[int], *lattice.Max[int]]
	// Keys from a two-element universe make incomparable keys ({0} and
	// {1}) common, so 100 draws find the broken law every time.
	gen := rapid.Custom(func(t *rapid.T) *dp {
		return lattice.DomPairOf(
			lattice.SetOf(rapid.SliceOfN(rapid.IntRange(0, 1), 1, 2).Draw(t, "key")...),
			lattice.MaxOf(rapid.IntRange(0, 3).Draw(t, "val")))
	})
	checkFails(t, func(tb rapid.TB) { latticetest.Check(tb, gen) })
}
