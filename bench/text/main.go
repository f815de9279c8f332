// Command text replays editing traces with Rondo's text CRDT and with Yjs
// (through Node.js and yjs.mjs) in one run, and prints, for both, the
// median replay time, the encoded document size and the memory the
// document holds, with Rondo/Yjs ratios, then one summary table. run.sh
// installs Yjs and runs it.
//
// Sequential traces replay on one document; concurrent ones on a document
// per agent exchanging deltas as the trace's causal graph says, agent 0's
// document measured (both sides alike; see yjs.mjs).
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
	"strings"
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

// result is one trace's figures for both sides.
type result struct {
	name          string
	rondoMs, yjMs float64
	rondoEnc      int
	yjsV1, yjsV2  int
	rondoMem      int64
	yjsMem        int64
	ok            bool
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// replay runs the trace the way its kind says and returns the document
// measured.
func replay(tr *edittrace.Trace) (*text.Doc, error) {
	if tr.Kind != "concurrent" {
		return tr.ReplaySequential(), nil
	}
	docs, err := tr.ReplayConcurrent()
	if err != nil {
		return nil, err
	}
	return docs[0], nil
}

func main() { os.Exit(benchmark()) }

func benchmark() int {
	names := flag.String("trace", "all", "comma-separated trace names under ../shared/data/editing-traces, or all")
	reps := flag.Int("reps", 7, "repetitions of each replay")
	node := flag.String("node", "node", "Node.js binary")
	synthetic := flag.Bool("synthetic", true, "also run a delete-heavy trace generated here (see synthetic.go)")
	flag.Parse()

	dir, err := edittrace.Dir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var list []string
	if *names == "all" {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.json.gz"))
		for _, p := range paths {
			list = append(list, strings.TrimSuffix(filepath.Base(p), ".json.gz"))
		}
	} else {
		list = strings.Split(*names, ",")
	}
	paths := make(map[string]string)
	for _, name := range list {
		paths[name] = filepath.Join(dir, name+".json.gz")
	}
	if *synthetic {
		tmp, err := os.MkdirTemp("", "rondo-bench-text")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmp)
		p, err := writeDeleteHeavy(tmp)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		list = append(list, "synthetic-delete-heavy")
		paths["synthetic-delete-heavy"] = p
	}
	var results []result
	failed := false
	for _, name := range list {
		r, err := run(paths[name], name, *reps, *node)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			return 1
		}
		results = append(results, r)
		failed = failed || !r.ok
	}
	fmt.Printf("\nsummary (rondo/yjs; below 1 means rondo is faster or smaller)\n")
	fmt.Printf("%-24s %9s %9s %6s  %8s %8s %8s %6s %6s  %9s %9s %6s\n",
		"trace", "rondo ms", "yjs ms", "time", "rondo B", "yjs V1", "yjs V2", "/V1", "/V2", "rondo mem", "yjs mem", "mem")
	for _, r := range results {
		fmt.Printf("%-24s %9.1f %9.1f %6.3f  %8d %8d %8d %6.3f %6.3f  %9d %9d %6.3f\n",
			r.name, r.rondoMs, r.yjMs, r.rondoMs/r.yjMs,
			r.rondoEnc, r.yjsV1, r.yjsV2, float64(r.rondoEnc)/float64(r.yjsV1), float64(r.rondoEnc)/float64(r.yjsV2),
			r.rondoMem, r.yjsMem, float64(r.rondoMem)/float64(r.yjsMem))
	}
	if failed {
		return 1
	}
	return 0
}

func run(path, name string, reps int, node string) (result, error) {
	tr, err := edittrace.Load(path)
	if err != nil {
		return result{}, err
	}
	if w := tr.Warning(); w != "" {
		fmt.Fprintf(os.Stderr, "%s: %s\n", name, w)
	}
	ops := 0
	for _, tx := range tr.Txns {
		ops += len(tx.Patches)
	}

	// Rondo.
	var times []float64
	var doc *text.Doc
	var base int64
	for i := range reps {
		doc = nil
		if i == reps-1 {
			base = heapInUse()
		} else {
			runtime.GC()
		}
		t0 := time.Now()
		doc, err = replay(tr)
		if err != nil {
			return result{}, err
		}
		times = append(times, float64(time.Since(t0).Nanoseconds())/1e6)
	}
	held := heapInUse() - base
	ok := doc.String() == tr.EndContent
	enc, _ := doc.MarshalBinary()
	runtime.KeepAlive(doc)

	// Yjs.
	out, err := exec.Command(node, "--expose-gc", "yjs.mjs", path, fmt.Sprint(reps)).Output()
	if err != nil {
		return result{}, fmt.Errorf("running yjs.mjs: %w", err)
	}
	var y yjsResult
	if err := json.Unmarshal(out, &y); err != nil {
		return result{}, fmt.Errorf("yjs.mjs printed %q: %w", out, err)
	}

	rt, yt := median(times), median(y.TimesMs)
	kind := "sequential"
	if tr.Kind == "concurrent" {
		kind = fmt.Sprintf("concurrent, %d agents", tr.NumAgents)
	}
	fmt.Printf("trace %s (%s): %d patches, %d chars at the end; %d repetitions each\n", name, kind, ops, len(tr.EndContent), reps)
	fmt.Printf("%-22s %14s %14s %10s\n", "", "rondo", "yjs "+y.Yjs, "rondo/yjs")
	fmt.Printf("%-22s %14.1f %14.1f %10.3f\n", "median replay (ms)", rt, yt, rt/yt)
	fmt.Printf("%-22s %14d %14d %10.3f\n", "encoded doc (bytes)", len(enc), y.EncodedBytes, float64(len(enc))/float64(y.EncodedBytes))
	fmt.Printf("%-22s %14d %14d %10.3f\n", "encoded, yjs V2", len(enc), y.EncodedV2, float64(len(enc))/float64(y.EncodedV2))
	fmt.Printf("%-22s %14d %14d %10.3f\n", "doc memory (bytes)", held, y.DocHeap, float64(held)/float64(y.DocHeap))
	fmt.Printf("end content matches: rondo=%v yjs=%v; runs: %d; node %s, go %s; gc exposed to node: %v\n",
		ok, y.OK, doc.Runs(), y.Node, runtime.Version(), y.GCExposed)
	fmt.Printf("rondo times (ms): %.1f\nyjs times (ms):   %.1f\n\n", times, y.TimesMs)
	return result{name: name, rondoMs: rt, yjMs: yt, rondoEnc: len(enc), yjsV1: y.EncodedBytes, yjsV2: y.EncodedV2,
		rondoMem: held, yjsMem: y.DocHeap, ok: ok && y.OK}, nil
}
