package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/transport"
)

// Config is a cluster described by one JSON file, as written by rondo certs:
//
//	{
//	  "ca": "ca.pem",
//	  "nodes": [
//	    {"id": 0, "addr": "127.0.0.1:7000", "cert": "node-0.pem", "key": "node-0-key.pem"},
//	    {"id": 1, "addr": "127.0.0.1:7001", "cert": "node-1.pem", "key": "node-1-key.pem"}
//	  ]
//	}
//
// Ids are dense (0..n-1, in any order in the file). Relative paths are
// resolved against the config file's directory, so a directory of
// certificates and its config can be moved as a whole.
type Config struct {
	CA    string      `json:"ca"`
	Nodes []NodeEntry `json:"nodes"`
}

// NodeEntry is one node of a Config.
type NodeEntry struct {
	ID   core.NodeID `json:"id"`
	Addr string      `json:"addr"`
	Cert string      `json:"cert"`
	Key  string      `json:"key"`
}

// LoadConfig reads and validates a cluster config file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cluster config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("cluster config %s: %w", path, err)
	}
	c.resolve(filepath.Dir(path))
	return c, nil
}

// ParseConfig parses and validates a config; paths are left as written.
func ParseConfig(data []byte) (*Config, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, describeJSONError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON object")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// describeJSONError adds the line and column to a JSON error.
func describeJSONError(data []byte, err error) error {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
		err = fmt.Errorf("field %q must be a %s, not a JSON %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return errors.New("the file is empty; it must hold a JSON object with \"ca\" and \"nodes\"")
	}
	if off < 0 {
		return err
	}
	line, col := 1, 1
	for _, b := range data[:min(int(off), len(data))] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// Validate checks that the config describes a usable cluster.
func (c *Config) Validate() error {
	if c.CA == "" {
		return errors.New(`"ca" is missing: it must name the cluster CA certificate (ca.pem)`)
	}
	if len(c.Nodes) == 0 {
		return errors.New(`"nodes" is empty: list every node with its id, addr, cert and key`)
	}
	seen := make([]bool, len(c.Nodes))
	addrs := map[string]core.NodeID{}
	for i, e := range c.Nodes {
		where := fmt.Sprintf("nodes[%d] (id %d)", i, e.ID)
		if int(e.ID) >= len(c.Nodes) {
			return fmt.Errorf("%s: ids must be 0..%d for %d nodes", where, len(c.Nodes)-1, len(c.Nodes))
		}
		if seen[e.ID] {
			return fmt.Errorf("%s: id %d appears twice", where, e.ID)
		}
		seen[e.ID] = true
		if e.Addr == "" {
			return fmt.Errorf(`%s: "addr" is missing (host:port)`, where)
		}
		if _, _, err := net.SplitHostPort(e.Addr); err != nil {
			return fmt.Errorf(`%s: "addr" %q is not host:port: %v`, where, e.Addr, err)
		}
		if other, dup := addrs[e.Addr]; dup {
			return fmt.Errorf("%s: address %s is also node %d's", where, e.Addr, other)
		}
		addrs[e.Addr] = e.ID
		if e.Cert == "" || e.Key == "" {
			return fmt.Errorf(`%s: "cert" and "key" must name the node's certificate and key files`, where)
		}
	}
	return nil
}

func (c *Config) resolve(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.CA = abs(c.CA)
	for i := range c.Nodes {
		c.Nodes[i].Cert = abs(c.Nodes[i].Cert)
		c.Nodes[i].Key = abs(c.Nodes[i].Key)
	}
}

// Addrs lists the node addresses by id.
func (c *Config) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for _, e := range c.Nodes {
		out[e.ID] = e.Addr
	}
	return out
}

// Entry returns node id's entry.
func (c *Config) Entry(id core.NodeID) (NodeEntry, bool) {
	for _, e := range c.Nodes {
		if e.ID == id {
			return e, true
		}
	}
	return NodeEntry{}, false
}

// Identity loads node id's certificate, key and the cluster CA.
func (c *Config) Identity(id core.NodeID) (*transport.Identity, error) {
	e, ok := c.Entry(id)
	if !ok {
		return nil, fmt.Errorf("node %d is not in the config (ids 0..%d)", id, len(c.Nodes)-1)
	}
	return transport.LoadIdentity(id, c.CA, e.Cert, e.Key)
}

// Write saves the config as indented JSON.
func (c *Config) Write(path string) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
