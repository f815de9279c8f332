package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rondo-dev/rondo/cluster"
)

// runContext is the lifetime of a long-running command: it ends on SIGINT or
// SIGTERM, or after d when d > 0.
func runContext(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	if d <= 0 {
		return ctx, stop
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, func() { cancel(); stop() }
}

// serveDebug serves Prometheus metrics and pprof on addr when addr is set;
// flag names the flag addr came from, for the error. It returns the
// registry the nodes register their metrics with (nil when addr is empty)
// and a function that stops the server.
func serveDebug(flag, addr string, log *slog.Logger) (*prometheus.Registry, func(), error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	reg := prometheus.NewRegistry()
	srv, err := cluster.ServeDebug(addr, prometheus.Gatherers{cluster.ProcessRegistry(), reg}, log)
	if err != nil {
		return nil, nil, usagef("%s %s: %w", flag, addr, err)
	}
	return reg, func() { srv.Close() }, nil
}
