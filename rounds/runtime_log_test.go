package rounds

import (
	"strings"
	"testing"
)

// The decision log holds the values it answers late peers with under a
// byte bound: ten decisions of a megabyte in a log of 3 MiB leave the last
// three, and the others count as forgotten (never run again).
func TestTheDecisionLogKeepsMegabyteValuesUnderItsByteBound(t *testing.T) {
	l := newDecisionLog[string](1<<14, 3<<20+64)
	for i := uint64(1); i <= 10; i++ {
		l.add(i, logEntry[string]{value: strings.Repeat("x", 1<<20), decided: true})
	}
	if l.bytes > 3<<20+64 || len(l.m) != 3 {
		t.Fatalf("the log holds %d entries, %d bytes", len(l.m), l.bytes)
	}
	for i := uint64(8); i <= 10; i++ {
		if _, ok := l.get(i); !ok {
			t.Fatalf("decision %d was evicted", i)
		}
	}
	if !l.forgotten(7) || l.forgotten(8) {
		t.Fatalf("floor %d", l.floor)
	}
	l.drop(9)
	if len(l.m) != 1 || l.bytes != ValueSize(strings.Repeat("x", 1<<20)) {
		t.Fatalf("after dropping up to 9: %d entries, %d bytes", len(l.m), l.bytes)
	}
}

// A decision larger than the whole byte bound is still kept (the newest
// one always is): a late peer can learn it.
func TestTheNewestDecisionStaysWhateverItsSize(t *testing.T) {
	l := newDecisionLog[string](16, 1<<10)
	l.add(1, logEntry[string]{value: "small", decided: true})
	l.add(2, logEntry[string]{value: strings.Repeat("x", 1<<20), decided: true})
	if _, ok := l.get(2); !ok || len(l.m) != 1 {
		t.Fatalf("%d entries", len(l.m))
	}
}
