package linearizable

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Names of the service's and the log's metrics. The node's own (events,
// batches of events, commits, commit seconds, fsyncs: cluster.Metric*) and
// the transport's come from package cluster.
const (
	MetricCommitSeconds = "rondo_kv_commit_seconds"
	MetricWrites        = "rondo_kv_writes_total"
	MetricBatches       = "rondo_smr_batches_total"
	MetricBatchCommands = "rondo_smr_batch_commands_total"
	MetricBatchBytes    = "rondo_smr_batch_bytes_total"
	MetricInFlight      = "rondo_smr_instances_in_flight"
	MetricLeaderChanges = "rondo_smr_leader_changes_total"
	MetricApplied       = "rondo_smr_applied_index"
	MetricIsLeader      = "rondo_smr_is_leader"
)

// metrics are a replica's: the commit latency of the writes it took
// (measured here), and the log's counters and gauges, read from the last
// status the node reported (so they lag by at most pollEvery).
type metrics struct {
	r       *Replica
	commit  prometheus.Histogram
	writes  *prometheus.CounterVec
	descs   map[string]*prometheus.Desc
	ordered []string
}

func newMetrics(r *Replica) *metrics {
	m := &metrics{r: r,
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: MetricCommitSeconds,
			Help:    "Time from a write's arrival at this replica to its answer: proposed, decided, applied, durable here.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 18)}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricWrites,
			Help: "Writes this replica answered, by outcome: ok, not-taken (definitely not applied), unknown (may have been)."},
			[]string{"outcome"}),
		descs: map[string]*prometheus.Desc{},
	}
	for _, d := range []struct{ name, help string }{
		{MetricBatches, "Batches of commands this replica proposed as leader (one consensus instance each)."},
		{MetricBatchCommands, "Commands in the batches this replica proposed: divided by the batches, the mean batch size."},
		{MetricBatchBytes, "Encoded bytes of the batches this replica proposed."},
		{MetricInFlight, "Instances this replica proposed as leader and has not applied yet (the pipeline)."},
		{MetricLeaderChanges, "Times the leader this replica follows changed."},
		{MetricApplied, "The last log index applied here."},
		{MetricIsLeader, "1 while this replica leads and holds the lease."},
	} {
		m.descs[d.name] = prometheus.NewDesc(d.name, d.help, nil, nil)
		m.ordered = append(m.ordered, d.name)
	}
	return m
}

// wrote records a write's latency (successes only) and outcome.
func (m *metrics) wrote(d time.Duration, err error) {
	var oe *opError
	switch {
	case err == nil:
		m.commit.Observe(d.Seconds())
		m.writes.WithLabelValues("ok").Inc()
	case errors.As(err, &oe) && oe.outcome != "":
		m.writes.WithLabelValues(oe.outcome).Inc()
	default: // the client went away: unknown to it
		m.writes.WithLabelValues("unknown").Inc()
	}
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	m.commit.Describe(ch)
	m.writes.Describe(ch)
	for _, name := range m.ordered {
		ch <- m.descs[name]
	}
}

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.commit.Collect(ch)
	m.writes.Collect(ch)
	st := m.r.status.Load()
	if st == nil {
		return
	}
	leading := 0.0
	if st.Leading {
		leading = 1
	}
	for name, v := range map[string]struct {
		t prometheus.ValueType
		v float64
	}{
		MetricBatches:       {prometheus.CounterValue, float64(st.Stats.Batches)},
		MetricBatchCommands: {prometheus.CounterValue, float64(st.Stats.Commands)},
		MetricBatchBytes:    {prometheus.CounterValue, float64(st.Stats.BatchBytes)},
		MetricInFlight:      {prometheus.GaugeValue, float64(st.InFlight)},
		MetricLeaderChanges: {prometheus.CounterValue, float64(st.Stats.LeaderChanges)},
		MetricApplied:       {prometheus.GaugeValue, float64(st.Applied)},
		MetricIsLeader:      {prometheus.GaugeValue, leading},
	} {
		ch <- prometheus.MustNewConstMetric(m.descs[name], v.t, v.v)
	}
}
