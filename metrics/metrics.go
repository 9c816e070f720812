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
	WebhookRequests   *prometheus.CounterVec // provider, outcome
	DeadLetters       *prometheus.CounterVec // provider
}

// OutboxReader reports the outbox for the depth gauges.
type OutboxReader interface {
	OutboxCounts(ctx context.Context) (map[string]int64, error)
	OldestPending(ctx context.Context) (time.Time, bool, error)
}

// DeadLetterReader reports the dead letters for their gauge.
type DeadLetterReader interface {
	DeadLetterCounts(ctx context.Context) (map[string]int64, error)
}

// New registers the instruments; outbox, when set, feeds the outbox gauges
// at scrape time, and the dead-letter gauge too when it is also a
// DeadLetterReader.
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
		WebhookRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxloop_webhook_requests_total", Help: "Provider webhook deliveries by provider and outcome (stored, ignored, dead_letter, malformed, unauthorized, disabled).",
		}, []string{"provider", "outcome"}),
		DeadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cxloop_dead_letters_total", Help: "Signed provider deliveries kept as dead letters because they could not be stored (repeats included), by provider.",
		}, []string{"provider"}),
	}
	s.Registry.MustRegister(s.ResponsesIngested, s.CasesOpened, s.HTTPDuration, s.Deliveries, s.DeliveryRetries,
		s.JobRuns, s.JobDuration, s.Notifications, s.WebhookRequests, s.DeadLetters,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if outbox != nil {
		s.Registry.MustRegister(&outboxCollector{r: outbox,
			desc: prometheus.NewDesc("cxloop_outbox_messages", "Outbox messages by state.", []string{"state"}, nil),
			oldest: prometheus.NewDesc("cxloop_outbox_oldest_pending_seconds",
				"Age of the oldest message waiting for delivery (0 when none waits).", nil, nil)})
	}
	if dl, ok := outbox.(DeadLetterReader); ok {
		s.Registry.MustRegister(&deadLetterCollector{r: dl, desc: prometheus.NewDesc(
			"cxloop_dead_letters", "Dead letters by state (pending: waiting for cxloop replay).", []string{"state"}, nil)})
	}
	return s
}

type outboxCollector struct {
	r            OutboxReader
	desc, oldest *prometheus.Desc
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc; ch <- c.oldest }

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
	age := 0.0
	if t, ok, err := c.r.OldestPending(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(c.oldest, err)
		return
	} else if ok {
		age = time.Since(t).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}

type deadLetterCollector struct {
	r    DeadLetterReader
	desc *prometheus.Desc
}

func (c *deadLetterCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *deadLetterCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.r.DeadLetterCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
	}
}
