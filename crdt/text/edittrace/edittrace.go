// Package edittrace loads and replays the keystroke-level editing traces of
// josephg/editing-traces (CC BY 4.0) against Rondo's text CRDT: the
// sequential traces on one replica, the concurrent ones on one replica per
// agent exchanging deltas as the trace's causal graph says.
//
// The format counts positions in Unicode code points; text.Doc counts
// bytes. For a pure-ASCII trace (every trace of the ascii_only variants,
// and the ones crdt/text/testdata carries) the two agree. For any other,
// Load sets Units to CodePoints and Warning says so, and the replays
// convert each position to a byte offset, so the replay is correct either
// way; a caller that knows a trace counts bytes sets Units to Bytes.
package edittrace

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt/text"
)

// Trace is one editing trace, sequential or concurrent.
type Trace struct {
	Kind       string `json:"kind"`
	NumAgents  int    `json:"numAgents"`
	EndContent string `json:"endContent"`
	Txns       []Txn  `json:"txns"`
	// Units is what the positions and deletion lengths count; Load sets it
	// (Bytes when the trace is pure ASCII, else CodePoints, as the format
	// declares).
	Units Units `json:"-"`
}

// maxAgents bounds numAgents, so that a hostile trace cannot make the
// concurrent replay allocate a replica per claimed agent.
const maxAgents = 1 << 16

// Warning returns what a caller should tell its user about how the trace
// counts positions — "" when they are byte offsets, as text.Doc takes.
func (t *Trace) Warning() string {
	if t.Units == Bytes {
		return ""
	}
	return fmt.Sprintf("trace counts positions in %s, not bytes: the replay converts each one to a byte offset (slower than a pure-ASCII trace; the ascii_only variants avoid it)", t.Units)
}

// ascii reports whether every character of t is ASCII, so that code
// points and bytes count alike.
func (t *Trace) ascii() bool {
	isASCII := func(s string) bool {
		for i := range len(s) {
			if s[i] >= 0x80 {
				return false
			}
		}
		return true
	}
	if !isASCII(t.EndContent) {
		return false
	}
	for _, tx := range t.Txns {
		for _, p := range tx.Patches {
			if !isASCII(p.Ins) {
				return false
			}
		}
	}
	return true
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
	t, err := Read(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Read decodes a trace's JSON (not gzipped) and checks what the replays
// rely on.
func Read(r io.Reader) (*Trace, error) {
	var t Trace
	if err := json.NewDecoder(r).Decode(&t); err != nil {
		return nil, err
	}
	if t.NumAgents < 0 || t.NumAgents > maxAgents {
		return nil, fmt.Errorf("numAgents %d out of range [0, %d]", t.NumAgents, maxAgents)
	}
	for i, tx := range t.Txns {
		for _, p := range tx.Patches {
			if p.Pos < 0 || p.Del < 0 {
				return nil, fmt.Errorf("txn %d: negative position or deletion in %v", i, p)
			}
		}
	}
	t.Units = Bytes
	if !t.ascii() {
		t.Units = CodePoints
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
	d := &text.Doc{} // the zero Doc edits as agent 0
	var shadow *runeText
	if t.Units == CodePoints {
		shadow = newRuneText("")
	}
	var u text.Update
	for _, tx := range t.Txns {
		for _, p := range tx.Patches {
			applyPatch(d, &u, shadow, p)
			u.Inserts, u.Deletes = u.Inserts[:0], u.Deletes[:0]
		}
	}
	return d
}

// applyPatch makes the local edit p on d, appending its delta to u; with a
// shadow, p counts code points and is converted to bytes.
func applyPatch(d *text.Doc, u *text.Update, shadow *runeText, p Patch) {
	pos, del := p.Pos, p.Del
	if shadow != nil {
		pos = shadow.byteOffset(p.Pos)
		del = shadow.byteOffset(p.Pos+p.Del) - pos
		shadow.delete(pos, del)
		shadow.insert(pos, p.Ins)
	}
	if del > 0 {
		d.DeleteTo(u, pos, del)
	}
	if p.Ins != "" {
		d.InsertTo(u, pos, p.Ins)
	}
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
		d, err := text.New(core.NodeID(a))
		if err != nil {
			return nil, err
		}
		docs[a] = d
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
		slices.Sort(todo)
		for _, p := range todo {
			if _, err := d.Apply(deltas[p]); err != nil {
				return nil, fmt.Errorf("txn %d: merging txn %d: %w", i, p, err)
			}
		}
		var shadow *runeText
		if t.Units == CodePoints {
			shadow = newRuneText(d.String()) // the merges moved text around
		}
		u := &text.Update{}
		for _, p := range tx.Patches {
			applyPatch(d, u, shadow, p)
		}
		deltas[i] = u
		s[i] = true
	}
	for a, d := range docs {
		for i, u := range deltas {
			if !seen[a][i] {
				if _, err := d.Apply(u); err != nil {
					return nil, fmt.Errorf("agent %d: merging txn %d: %w", a, i, err)
				}
			}
		}
	}
	return docs, nil
}
