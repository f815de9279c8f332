package cluster

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Names of a node's batch and storage metrics.
const (
	MetricEvents        = "rondo_node_events_total"
	MetricBatchEvents   = "rondo_node_batch_events"
	MetricCommits       = "rondo_storage_commits_total"
	MetricCommitSeconds = "rondo_storage_commit_seconds"
	MetricFsyncs        = "rondo_storage_fsyncs_total"
)

// nodeMetrics measure group commit: how many events a node handled, in how
// many batches, how many commits wrote to storage and how long they took,
// and how many fsyncs reached the disk. Events per fsync is
// rondo_node_events_total / rondo_storage_fsyncs_total.
type nodeMetrics struct {
	events  prometheus.Counter
	batch   prometheus.Histogram
	commits prometheus.Counter
	commitS prometheus.Histogram
	fsyncs  prometheus.Collector // nil unless the storage counts its fsyncs
}

func newNodeMetrics(st any) *nodeMetrics {
	m := &nodeMetrics{
		events: prometheus.NewCounter(prometheus.CounterOpts{Name: MetricEvents,
			Help: "Events (messages, timers, requests, restarts) the node's process handled."}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: MetricBatchEvents,
			Help:    "Events handled per batch (one storage commit per batch).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12)}),
		commits: prometheus.NewCounter(prometheus.CounterOpts{Name: MetricCommits,
			Help: "Batches whose storage writes were committed (batches that wrote nothing commit nothing)."}),
		commitS: prometheus.NewHistogram(prometheus.HistogramOpts{Name: MetricCommitSeconds,
			Help:    "Time to commit a batch's storage writes (fsync included).",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 14)}),
	}
	if fc, ok := st.(fsyncCounter); ok {
		m.fsyncs = prometheus.NewCounterFunc(prometheus.CounterOpts{Name: MetricFsyncs,
			Help: "Fsyncs the node's storage made since it was opened (commits and the store's own housekeeping)."},
			func() float64 { return float64(fc.Fsyncs()) })
	}
	return m
}

func (m *nodeMetrics) collectors() []prometheus.Collector {
	cs := []prometheus.Collector{m.events, m.batch, m.commits, m.commitS}
	if m.fsyncs != nil {
		cs = append(cs, m.fsyncs)
	}
	return cs
}

// Describe implements prometheus.Collector.
func (m *nodeMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *nodeMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
}

// batched records a batch of events and, if it wrote, its commit.
func (m *nodeMetrics) batched(events int, wrote bool, commit time.Duration) {
	if events > 0 { // a batch of barriers only is not a batch of events
		m.events.Add(float64(events))
		m.batch.Observe(float64(events))
	}
	if wrote {
		m.commits.Inc()
		m.commitS.Observe(commit.Seconds())
	}
}
