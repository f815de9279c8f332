package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DebugServer serves /metrics (Prometheus text format) and /debug/pprof/
// on one address.
type DebugServer struct {
	srv *http.Server
	ln  net.Listener
}

// ProcessRegistry returns a registry with the Go runtime and process
// collectors, to be gathered alongside the nodes' own registries.
func ProcessRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// ServeDebug starts serving g's metrics and the pprof handlers on addr
// (host:port; port 0 picks one, see Addr). It uses its own ServeMux, not
// http.DefaultServeMux, so nothing else leaks onto the port.
func ServeDebug(addr string, g prometheus.Gatherer, log *slog.Logger) (*DebugServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug server: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s := &DebugServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln: ln}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("debug HTTP server stopped", "reason", err.Error())
		}
	}()
	log.Info("serving metrics and pprof", "addr", ln.Addr().String(), "metrics", "/metrics", "pprof", "/debug/pprof/")
	return s, nil
}

// Addr is the address the server listens on.
func (s *DebugServer) Addr() net.Addr { return s.ln.Addr() }

// Close stops the server.
func (s *DebugServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}
