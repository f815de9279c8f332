package edittrace_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/crdt/text/edittrace"
)

func read(t *testing.T, js string) *edittrace.Trace {
	t.Helper()
	tr, err := edittrace.Read(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// The format counts positions in code points; text.Doc counts bytes. A
// trace with non-ASCII text says so (Warning) and replays correctly.
func TestCodePointPositionsAreConvertedAndWarnedAbout(t *testing.T) {
	// "héllo wörld" typed, then "ö" deleted and "o" typed in its place
	// (code point 7), then "¡" typed at the start.
	tr := read(t, `{"endContent":"¡héllo world","txns":[
		{"patches":[[0,0,"héllo"],[5,0," wörld"]]},
		{"patches":[[7,1,"o"]]},
		{"patches":[[0,0,"¡"]]}]}`)
	if tr.Units != edittrace.CodePoints || !strings.Contains(tr.Warning(), "code points") {
		t.Fatalf("units %v, warning %q", tr.Units, tr.Warning())
	}
	if got := tr.ReplaySequential().String(); got != tr.EndContent {
		t.Fatalf("got %q, want %q", got, tr.EndContent)
	}
}

func TestConcurrentCodePointTracesConverge(t *testing.T) {
	// Two agents: 0 types "ça va", 1 (after it) appends " ✓" at code
	// point 5 and 0, concurrently, replaces "ç" by "C".
	tr := read(t, `{"kind":"concurrent","numAgents":2,"endContent":"Ca va ✓","txns":[
		{"agent":0,"parents":[],"patches":[[0,0,"ça va"]]},
		{"agent":1,"parents":[0],"patches":[[5,0," ✓"]]},
		{"agent":0,"parents":[0],"patches":[[0,1,"C"]]},
		{"agent":0,"parents":[1,2],"patches":[]}]}`)
	docs, err := tr.ReplayConcurrent()
	if err != nil {
		t.Fatal(err)
	}
	for a, d := range docs {
		if d.String() != tr.EndContent {
			t.Fatalf("agent %d: %q, want %q", a, d.String(), tr.EndContent)
		}
	}
}

// A caller that knows its trace counts bytes says so, and the positions
// are taken as they are.
func TestByteCountedTracesReplayAsTheyAre(t *testing.T) {
	tr := read(t, `{"endContent":"héllo!","txns":[{"patches":[[0,0,"héllo"],[6,0,"!"]]}]}`)
	tr.Units = edittrace.Bytes
	if tr.Warning() != "" {
		t.Fatalf("warning %q", tr.Warning())
	}
	if got := tr.ReplaySequential().String(); got != tr.EndContent {
		t.Fatalf("got %q, want %q", got, tr.EndContent)
	}
}

func TestASCIITracesNeedNoConversion(t *testing.T) {
	tr := read(t, `{"endContent":"hi","txns":[{"patches":[[0,0,"hi"]]}]}`)
	if tr.Units != edittrace.Bytes || tr.Warning() != "" {
		t.Fatalf("units %v, warning %q", tr.Units, tr.Warning())
	}
}

func TestHostileTracesAreRefused(t *testing.T) {
	for _, js := range []string{
		`{"numAgents":1000000000,"txns":[]}`,
		`{"txns":[{"patches":[[-1,0,"x"]]}]}`,
	} {
		if _, err := edittrace.Read(strings.NewReader(js)); err == nil {
			t.Fatalf("accepted %s", js)
		}
	}
}

// A long random non-ASCII session, checked against a slice of runes: the
// conversion stays right as its chunks split and empty.
func TestLongCodePointSessionsReplayExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []rune("aé✓ö b¡€x")
	var doc []rune
	var patches []string
	for range 3000 {
		pos := rng.IntN(len(doc) + 1)
		del := 0
		if pos < len(doc) && rng.IntN(3) == 0 {
			del = 1 + rng.IntN(min(40, len(doc)-pos))
		}
		var ins []rune
		for range rng.IntN(30) {
			ins = append(ins, alphabet[rng.IntN(len(alphabet))])
		}
		if del == 0 && len(ins) == 0 {
			continue
		}
		doc = append(doc[:pos], append(ins, doc[pos+del:]...)...)
		b, _ := json.Marshal([]any{pos, del, string(ins)})
		patches = append(patches, string(b))
	}
	end, _ := json.Marshal(string(doc))
	tr := read(t, `{"endContent":`+string(end)+`,"txns":[{"patches":[`+strings.Join(patches, ",")+`]}]}`)
	if got := tr.ReplaySequential().String(); got != tr.EndContent {
		t.Fatalf("replay differs: %d bytes, want %d", len(got), len(tr.EndContent))
	}
	t.Logf("%d patches, %d code points, %d bytes", len(patches), len(doc), len(tr.EndContent))
}
