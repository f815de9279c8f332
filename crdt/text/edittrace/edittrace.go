// Package edittrace loads and replays the keystroke-level editing traces of
// josephg/editing-traces (CC BY 4.0) against Rondo's text CRDT: the
// sequential traces on one replica, the concurrent ones on one replica per
// agent exchanging deltas as the trace's causal graph says.
package edittrace

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt/text"
)

// Trace is one editing trace, sequential or concurrent.
type Trace struct {
	Kind       string `json:"kind"`
	NumAgents  int    `json:"numAgents"`
	EndContent string `json:"endContent"`
	Txns       []Txn  `json:"txns"`
}

// Txn is one transaction: patches applied by Agent after merging Parents.
type Txn struct {
	Agent   int     `json:"agent"`
	Parents []int   `json:"parents"`
	Patches []Patch `json:"patches"`
}

// Patch is [position, number deleted, inserted text], applied like
// JavaScript's Array.splice.
type Patch struct {
	Pos int
	Del int
	Ins string
}

// UnmarshalJSON reads the [pos, del, "ins"] array form.
func (p *Patch) UnmarshalJSON(b []byte) error {
	var raw [3]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if err := json.Unmarshal(raw[0], &p.Pos); err != nil {
		return err
	}
	if err := json.Unmarshal(raw[1], &p.Del); err != nil {
		return err
	}
	return json.Unmarshal(raw[2], &p.Ins)
}

// Load reads a gzipped trace.
func Load(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var t Trace
	if err := json.NewDecoder(zr).Decode(&t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &t, nil
}

// Dir finds the traces folder, <repo root>/../shared/data/editing-traces,
// walking up from the working directory to the directory holding go.mod
// (for the bench module, whose go.mod is in bench/, the walk goes on up).
func Dir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			cand := filepath.Join(d, "..", "shared", "data", "editing-traces")
			if st, err := os.Stat(cand); err == nil && st.IsDir() {
				return filepath.Clean(cand), nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("editing traces not found: expected <repo root>/../shared/data/editing-traces above %s (CI provides it)", wd)
		}
	}
}

// Open loads the named trace ("automerge-paper") from Dir.
func Open(name string) (*Trace, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	return Load(filepath.Join(dir, name+".json.gz"))
}

// ReplaySequential applies every patch to one fresh replica.
func (t *Trace) ReplaySequential() *text.Doc {
	d := text.New(0)
	var u text.Update
	for _, tx := range t.Txns {
		for _, p := range tx.Patches {
			if p.Del > 0 {
				d.DeleteTo(&u, p.Pos, p.Del)
			}
			if p.Ins != "" {
				d.InsertTo(&u, p.Pos, p.Ins)
			}
			u.Inserts, u.Deletes = u.Inserts[:0], u.Deletes[:0]
		}
	}
	return d
}

// ReplayConcurrent runs one replica per agent. Before applying a
// transaction, its agent's replica merges the delta of every transaction in
// the causal history it has not seen, so that positions mean what they
// meant to the author; at the end every replica merges every delta. It
// returns the replicas, indexed by agent.
func (t *Trace) ReplayConcurrent() ([]*text.Doc, error) {
	n := max(t.NumAgents, 1)
	docs := make([]*text.Doc, n)
	seen := make([][]bool, n)
	for a := range docs {
		docs[a] = text.New(core.NodeID(a))
		seen[a] = make([]bool, len(t.Txns))
	}
	deltas := make([]*text.Update, len(t.Txns))
	var stack, todo []int
	for i, tx := range t.Txns {
		if tx.Agent < 0 || tx.Agent >= n {
			return nil, fmt.Errorf("txn %d: agent %d out of range", i, tx.Agent)
		}
		d, s := docs[tx.Agent], seen[tx.Agent]
		// Collect the unseen ancestors; the seen set is causally closed.
		todo = todo[:0]
		stack = append(stack[:0], tx.Parents...)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if p < 0 || p >= i {
				return nil, fmt.Errorf("txn %d: parent %d is not earlier", i, p)
			}
			if s[p] {
				continue
			}
			s[p] = true
			todo = append(todo, p)
			stack = append(stack, t.Txns[p].Parents...)
		}
		sortInts(todo)
		for _, p := range todo {
			d.Apply(deltas[p])
		}
		u := &text.Update{}
		for _, p := range tx.Patches {
			if p.Del > 0 {
				d.DeleteTo(u, p.Pos, p.Del)
			}
			if p.Ins != "" {
				d.InsertTo(u, p.Pos, p.Ins)
			}
		}
		deltas[i] = u
		s[i] = true
	}
	for a, d := range docs {
		for i, u := range deltas {
			if !seen[a][i] {
				d.Apply(u)
			}
		}
	}
	return docs, nil
}

func sortInts(xs []int) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}
