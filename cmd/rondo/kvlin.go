package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/kv/linearizable"
)

// checkLinearizableFlags refuses the flags the linearizable mode has no use
// for, or needs and lacks, before anything starts.
func checkLinearizableFlags(f kvFlags) error {
	if f.causal {
		return usagef("--causal goes with --mode lattice (multi-value registers); a linearizable key holds one value")
	}
	if f.config == "" {
		if f.id >= 0 {
			return usagef("--id can only go with --config; without it rondo kv runs every replica in this process")
		}
		if f.replicas < 1 || f.replicas > 64 {
			return usagef("--replicas must be 1..64, got %d", f.replicas)
		}
		if f.httpBase < 0 || f.httpBase+f.replicas-1 > 65535 {
			return usagef("--http-base-port %d leaves no room for %d replicas' ports", f.httpBase, f.replicas)
		}
		return nil
	}
	if f.id < 0 {
		return usagef("--id I is required with --config")
	}
	return nil
}

// runLinearizable runs the linearizable KV: the embedded cluster, or one
// replica of a --config cluster.
func runLinearizable(ctx context.Context, stdout, stderr io.Writer, f kvFlags, log *slog.Logger, reg prometheus.Registerer) error {
	if f.config != "" {
		return runLinearizableReplica(ctx, stdout, f, log, reg)
	}
	https, defaults := linearizableHTTP(f)
	l, err := linearizable.StartLocal(linearizable.LocalConfig{N: f.replicas, Dir: f.data, HTTP: https,
		Logger: log, Registerer: reg})
	if err != nil {
		return storageError(err)
	}
	defer l.Close()
	rs := l.Replicas()
	var addrs []kvAddress
	var urls []string
	for _, r := range rs {
		addrs = append(addrs, kvAddress{ID: r.ID(), HTTP: r.URL(), Transport: r.Addr().String()})
		urls = append(urls, r.URL())
	}
	endpoints := strings.Join(urls, ",")
	if f.asJSON {
		json.NewEncoder(stdout).Encode(map[string]any{"mode": f.mode, "replicas": addrs, "endpoints": endpoints, "data": l.Dir()})
	} else {
		for _, a := range addrs {
			fmt.Fprintf(stdout, "replica %d  %s  (transport %s)\n", a.ID, a.HTTP, a.Transport)
		}
		where := l.Dir() + " (removed on exit)"
		if f.data != "" {
			where = l.Dir()
		}
		fmt.Fprintf(stdout, "linearizable KV, %d replicas, stores in %s\n", len(rs), where)
		hint := ""
		if !defaults {
			hint = " --endpoints " + endpoints
			if f.httpBase == 0 {
				fmt.Fprintf(stderr, "rondo: ports %d-%d are taken (another rondo kv?): the replicas serve on free ports instead\n",
					DefaultKVHTTPPort, DefaultKVHTTPPort+2)
			}
		}
		fmt.Fprintf(stdout, "try: rondo kv put colour blue%s && rondo kv get colour%s   (Ctrl-C stops the cluster)\n", hint, hint)
	}
	syncOut(stdout)
	if failed := awaitKV(ctx, rs); failed >= 0 {
		return kvStoppedError(rs[failed].ID(), rs[failed].Err(), f.data)
	}
	return nil
}

// linearizableHTTP picks the embedded replicas' HTTP addresses: from
// --http-base-port; else the default ports (7370, 7371, …), where the
// client commands look without --endpoints, when they are all free; else
// ephemeral ports. defaults reports whether the client commands' default
// endpoints reach them.
func linearizableHTTP(f kvFlags) (addrs []string, defaults bool) {
	base := f.httpBase
	if base == 0 {
		base = DefaultKVHTTPPort
		for i := range f.replicas {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				return nil, false
			}
			ln.Close()
		}
	}
	for i := range f.replicas {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", base+i))
	}
	return addrs, base == DefaultKVHTTPPort
}

// runLinearizableReplica runs replica --id of the --config cluster on its
// --data store.
func runLinearizableReplica(ctx context.Context, stdout io.Writer, f kvFlags, log *slog.Logger, reg prometheus.Registerer) error {
	cfg, err := cluster.LoadConfig(f.config)
	if err != nil {
		return usageError{err}
	}
	if f.id >= len(cfg.Nodes) {
		return usagef("--id %d is not in %s, whose nodes are 0..%d", f.id, f.config, len(cfg.Nodes)-1)
	}
	id := core.NodeID(f.id)
	idn, err := cfg.Identity(id)
	if err != nil {
		return usageError{err}
	}
	if f.data == "" {
		return usagef("--data DIR is required with --config in the linearizable mode: a replica that restarted " +
			"without the promises and log it had made could help decide two different values")
	}
	st, err := cluster.OpenDiskStorage(filepath.Join(f.data, "store"), cluster.DiskOptions{Owner: linearizable.Owner, Logger: log})
	if err != nil {
		return storageError(err)
	}
	defer st.Close() // after the replica has stopped
	inc, err := st.NextIncarnation()
	if err != nil {
		return storageError(err)
	}
	r, err := linearizable.StartReplica(linearizable.ReplicaConfig{
		ID: id, Addrs: cfg.Addrs(), Identity: idn, Storage: st, Incarnation: inc,
		HTTP: f.http, Admin: f.admin, Logger: log, Registerer: reg,
	})
	if err != nil {
		return err
	}
	defer r.Close()
	a := kvAddress{ID: id, HTTP: r.URL(), Transport: r.Addr().String()}
	if f.asJSON {
		json.NewEncoder(stdout).Encode(map[string]any{"mode": f.mode, "replicas": []kvAddress{a}})
	} else {
		fmt.Fprintf(stdout, "replica %d  %s  (transport %s)\n", a.ID, a.HTTP, a.Transport)
	}
	syncOut(stdout)
	if failed := awaitKV(ctx, []*linearizable.Replica{r}); failed >= 0 {
		return kvStoppedError(id, r.Err(), f.data)
	}
	return nil
}

// syncOut flushes the startup lines, so that a script waiting for them
// sees them at once.
func syncOut(w io.Writer) {
	if fl, ok := w.(interface{ Sync() error }); ok {
		fl.Sync()
	}
}
