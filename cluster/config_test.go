package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfigSaysWhatIsWrong(t *testing.T) {
	node := func(id, addr string) string {
		return `{"id":` + id + `,"addr":"` + addr + `","cert":"c","key":"k"}`
	}
	for _, tc := range []struct{ name, json, want string }{
		{"empty", ``, "the file is empty"},
		{"syntax", "{\n \"ca\": \"ca.pem\",\n \"nodes\": [}", "line 3, column"},
		{"type", `{"ca":"ca.pem","nodes":[{"id":"zero"}]}`, `field "nodes.id" must be a core.NodeID`},
		{"unknown field", `{"ca":"ca.pem","nodez":[]}`, `unknown field "nodez"`},
		{"no ca", `{"nodes":[` + node("0", "h:1") + `]}`, `"ca" is missing`},
		{"no nodes", `{"ca":"x"}`, `"nodes" is empty`},
		{"sparse ids", `{"ca":"x","nodes":[` + node("0", "h:1") + `,` + node("2", "h:2") + `]}`, "ids must be 0..1"},
		{"dup id", `{"ca":"x","nodes":[` + node("0", "h:1") + `,` + node("0", "h:2") + `]}`, "id 0 appears twice"},
		{"bad addr", `{"ca":"x","nodes":[` + node("0", "nohost") + `]}`, `"addr" "nohost" is not host:port`},
		{"dup addr", `{"ca":"x","nodes":[` + node("0", "h:1") + `,` + node("1", "h:1") + `]}`, "also node 0's"},
		{"no cert", `{"ca":"x","nodes":[{"id":0,"addr":"h:1"}]}`, `"cert" and "key"`},
		{"trailing", `{"ca":"x","nodes":[` + node("0", "h:1") + `]} {}`, "trailing data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadConfigResolvesPathsAgainstItsDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cluster.json")
	os.WriteFile(path, []byte(`{"ca":"ca.pem","nodes":[{"id":0,"addr":"127.0.0.1:1","cert":"n0.pem","key":"/abs/k.pem"}]}`), 0o644)
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.CA != filepath.Join(dir, "ca.pem") || c.Nodes[0].Cert != filepath.Join(dir, "n0.pem") || c.Nodes[0].Key != "/abs/k.pem" {
		t.Fatalf("paths not resolved against %s: %+v", dir, c)
	}
}
