// Package metrics holds cxloop's Prometheus instruments on a registry of
// their own, handed to whoever records into them.
package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Set is every instrument cxloop records.
type Set struct {
	Registry          *prometheus.Registry
	ResponsesIngested *prometheus.CounterVec // source, segment, outcome
	CasesOpened       *prometheus.CounterVec // team
	HTTPDuration      *prometheus.HistogramVec
	Deliveries        *prometheus.CounterVec // transport, kind, outcome
	DeliveryRetries   *prometheus.CounterVec // transport, class
	JobRuns           *prometheus.CounterVec // job, outcome
	JobDuration       *prometheus.HistogramVec
	Notifications     *prometheus.CounterVec // kind: reminder, escalation
}

// OutboxReader reports the outbox for the depth gauges.
type OutboxReader interface {
	OutboxCounts(ctx context.Context) (map[string]int64, error)
}

// New registers the instruments; outbox, when set, feeds the outbox gauges
// at scrape time.
func New(outbox OutboxReader) *Set {
	s := &Set{
		Registry: prometheus.NewRegistry(),
		ResponsesIngested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxloop_responses_ingested_total", Help: "Survey responses received, by source, segment and outcome (created, updated, unchanged).",
		}, []string{"source", "segment", "outcome"}),
		CasesOpened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxloop_cases_opened_total", Help: "Detractor cases opened, by team.",
		}, []string{"team"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cxloop_http_request_duration_seconds", Help: "HTTP request durations by route and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "code"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxloop_outbox_deliveries_total", Help: "Delivery attempts by transport, kind and outcome (delivered, retry, failed).",
		}, []string{"transport", "kind", "outcome"}),
		DeliveryRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxloop_outbox_retries_total", Help: "Deliveries rescheduled, by transport and failure class.",
		}, []string{"transport", "class"}),
		JobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxloop_job_runs_total", Help: "Scheduled job runs by job and outcome.",
		}, []string{"job", "outcome"}),
		JobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cxloop_job_duration_seconds", Help: "Scheduled job durations.",
		}, []string{"job"}),
		Notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxloop_followup_notifications_total", Help: "Reminders and escalations queued.",
		}, []string{"kind"}),
	}
	s.Registry.MustRegister(s.ResponsesIngested, s.CasesOpened, s.HTTPDuration, s.Deliveries, s.DeliveryRetries,
		s.JobRuns, s.JobDuration, s.Notifications,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if outbox != nil {
		s.Registry.MustRegister(&outboxCollector{r: outbox, desc: prometheus.NewDesc(
			"cxloop_outbox_messages", "Outbox messages by state.", []string{"state"}, nil)})
	}
	return s
}

type outboxCollector struct {
	r    OutboxReader
	desc *prometheus.Desc
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.r.OutboxCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
	}
}
