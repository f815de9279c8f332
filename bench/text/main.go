// Command text replays an editing trace with Rondo's text CRDT and with
// Yjs (through Node.js and yjs.mjs) in one run, and prints, for both, the
// median replay time, the encoded document size and the memory held, with
// Rondo/Yjs ratios. run.sh installs Yjs and runs it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/rondo-dev/rondo/crdt/text"
	"github.com/rondo-dev/rondo/crdt/text/edittrace"
)

type yjsResult struct {
	Yjs          string    `json:"yjs"`
	Node         string    `json:"node"`
	OK           bool      `json:"ok"`
	TimesMs      []float64 `json:"timesMs"`
	EncodedBytes int       `json:"encodedBytes"`
	EncodedV2    int       `json:"encodedBytesV2"`
	HeapUsed     int64     `json:"heapUsed"`
	DocHeap      int64     `json:"docHeap"`
	GCExposed    bool      `json:"gcExposed"`
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func main() {
	name := flag.String("trace", "automerge-paper", "trace name under ../shared/data/editing-traces")
	reps := flag.Int("reps", 7, "repetitions of each replay")
	node := flag.String("node", "node", "Node.js binary")
	flag.Parse()

	dir, err := edittrace.Dir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	path := filepath.Join(dir, *name+".json.gz")
	tr, err := edittrace.Load(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ops := 0
	for _, tx := range tr.Txns {
		ops += len(tx.Patches)
	}

	// Rondo.
	var times []float64
	var doc *text.Doc
	base := heapInUse()
	for range *reps {
		doc = nil
		runtime.GC()
		t0 := time.Now()
		doc = tr.ReplaySequential()
		times = append(times, float64(time.Since(t0).Nanoseconds())/1e6)
	}
	ok := doc.String() == tr.EndContent
	enc, _ := doc.MarshalBinary()
	held := heapInUse() - base
	runtime.KeepAlive(doc)

	// Yjs.
	out, err := exec.Command(*node, "--expose-gc", "yjs.mjs", path, fmt.Sprint(*reps)).Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "running yjs.mjs: %v\n", err)
		os.Exit(1)
	}
	var y yjsResult
	if err := json.Unmarshal(out, &y); err != nil {
		fmt.Fprintf(os.Stderr, "yjs.mjs printed %q: %v\n", out, err)
		os.Exit(1)
	}

	rt, yt := median(times), median(y.TimesMs)
	fmt.Printf("trace %s: %d patches, %d chars at the end; %d repetitions each\n", *name, ops, len(tr.EndContent), *reps)
	fmt.Printf("%-22s %14s %14s %10s\n", "", "rondo", "yjs "+y.Yjs, "rondo/yjs")
	fmt.Printf("%-22s %14.1f %14.1f %10.3f\n", "median replay (ms)", rt, yt, rt/yt)
	fmt.Printf("%-22s %14d %14d %10.3f\n", "encoded doc (bytes)", len(enc), y.EncodedBytes, float64(len(enc))/float64(y.EncodedBytes))
	fmt.Printf("%-22s %14d %14d %10.3f\n", "encoded, yjs V2", len(enc), y.EncodedV2, float64(len(enc))/float64(y.EncodedV2))
	fmt.Printf("%-22s %14d %14d %10.3f\n", "doc memory (bytes)", held, y.DocHeap, float64(held)/float64(y.DocHeap))
	fmt.Printf("%-22s %14s %14d\n", "node heapUsed after", "", y.HeapUsed)
	fmt.Printf("end content matches: rondo=%v yjs=%v; runs: %d; %s %s, go %s; gc exposed to node: %v\n",
		ok, y.OK, doc.Runs(), "node", y.Node, runtime.Version(), y.GCExposed)
	fmt.Printf("rondo times (ms): %.1f\nyjs times (ms):   %.1f\n", times, y.TimesMs)
	if !ok || !y.OK {
		os.Exit(1)
	}
}
