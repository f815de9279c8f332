package main

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/transport"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newCertsCmd) }

type certsFlags struct {
	out      string
	nodes    int
	host     string
	basePort int
	force    bool
}

func newCertsCmd() *cobra.Command {
	var f certsFlags
	cmd := &cobra.Command{
		Use:   "certs --out DIR --nodes N",
		Short: "Make a cluster CA, node certificates and a cluster config for rondo node",
		Long: `Generate what a cluster of N nodes needs to authenticate each other: a fresh
ECDSA P-256 certificate authority (ca.pem, ca-key.pem), one certificate and key
per node signed by it (node-I.pem, node-I-key.pem; the certificate names the
node as node-I.rondo), and cluster.json, which lists every node's id, address
(--host:--base-port+I) and files, ready for rondo node --config.

Nodes accept only peers whose certificate chains to this CA and names a node of
the config, so keep ca-key.pem (needed only to issue more certificates) and
the node keys private. An existing CA in DIR is never overwritten unless
--force is given: that would lock out every node holding the old one.`,
		Example: `  rondo certs --out cluster --nodes 3
  rondo node --config cluster/cluster.json --id 0 &
  rondo node --config cluster/cluster.json --id 1 &
  rondo node --config cluster/cluster.json --id 2

  rondo certs --out prod --nodes 5 --host 10.0.0.7 --base-port 9000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCerts(cmd.OutOrStdout(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "", "directory to write the files to (created if missing)")
	fl.IntVar(&f.nodes, "nodes", 0, "number of nodes")
	fl.StringVar(&f.host, "host", "127.0.0.1", "host (IP or name) of every node's address in cluster.json, also added to the certificates")
	fl.IntVar(&f.basePort, "base-port", 7000, "node I listens on base-port+I")
	fl.BoolVar(&f.force, "force", false, "overwrite an existing CA in --out")
	return cmd
}

func runCerts(stdout io.Writer, f certsFlags) error {
	switch {
	case f.out == "":
		return usagef("--out DIR is required: the directory to write the CA, certificates and cluster.json to")
	case f.nodes < 1:
		return usagef("--nodes N is required and must be at least 1, got %d", f.nodes)
	case f.nodes > 1<<16:
		return usagef("--nodes %d is more than this tool will generate certificates for", f.nodes)
	case f.host == "":
		return usagef("--host must not be empty")
	case !validHost(f.host):
		return usagef("--host %q is neither an IP address nor a DNS name (letters, digits, '-' and '.', labels of 1..63 characters)", f.host)
	case f.basePort < 1 || f.basePort+f.nodes-1 > 65535:
		return usagef("--base-port %d with %d nodes gives ports outside 1..65535", f.basePort, f.nodes)
	}
	caPath := filepath.Join(f.out, "ca.pem")
	if _, err := os.Stat(caPath); err == nil && !f.force {
		return usagef("%s already exists; refusing to replace the CA every node trusts (use --force, or another --out)", caPath)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return usagef("checking %s: %v", caPath, err)
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return usagef("cannot create --out directory: %v", err)
	}
	ca, err := transport.NewCA("rondo cluster CA")
	if err != nil {
		return err
	}
	caKey, err := transport.KeyPEM(ca.Key)
	if err != nil {
		return err
	}
	if err := writeFiles(f.out, map[string][]byte{"ca-key.pem": caKey}, 0o600); err != nil {
		return err
	}
	if err := writeFiles(f.out, map[string][]byte{"ca.pem": transport.CertPEM(ca.Cert.Raw)}, 0o644); err != nil {
		return err
	}
	cfg := cluster.Config{CA: "ca.pem"}
	for i := 0; i < f.nodes; i++ {
		id := core.NodeID(i)
		cert, err := ca.Issue(id, f.host)
		if err != nil {
			return err
		}
		key, err := transport.KeyPEM(cert.PrivateKey.(*ecdsa.PrivateKey))
		if err != nil {
			return err
		}
		certFile, keyFile := fmt.Sprintf("node-%d.pem", i), fmt.Sprintf("node-%d-key.pem", i)
		if err := writeFiles(f.out, map[string][]byte{keyFile: key}, 0o600); err != nil {
			return err
		}
		if err := writeFiles(f.out, map[string][]byte{certFile: transport.CertPEM(cert.Certificate[0])}, 0o644); err != nil {
			return err
		}
		cfg.Nodes = append(cfg.Nodes, cluster.NodeEntry{
			ID: id, Addr: net.JoinHostPort(f.host, strconv.Itoa(f.basePort+i)), Cert: certFile, Key: keyFile,
		})
	}
	cfgPath := filepath.Join(f.out, "cluster.json")
	if err := cfg.Write(cfgPath); err != nil {
		return fmt.Errorf("writing %s: %w", cfgPath, err)
	}
	fmt.Fprintf(stdout, "wrote a CA, %d node certificates and %s\n", f.nodes, cfgPath)
	fmt.Fprintf(stdout, "start node I with:\n  rondo node --config %s --id I\n", cfgPath)
	return nil
}

func writeFiles(dir string, files map[string][]byte, perm os.FileMode) error {
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, perm); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}

// validHost accepts an IP address or a DNS name as a certificate's subject
// alternative name and a dial address may hold.
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
