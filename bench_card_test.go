package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// BenchmarkIngestToCard is how long a detractor takes from its POST to
// /api/v1/responses to its card reaching Slack's chat.postMessage, through
// the real server, outbox and delivery worker, with an idle Slack fake.
// Each response goes to a channel of its own so that Slack's one message
// per second per channel does not enter the figure. On SQLite, and on
// PostgreSQL when CXLOOP_TEST_POSTGRES_URL is set. Run:
//
//	go test -run '^$' -bench IngestToCard -benchtime 200x .
func BenchmarkIngestToCard(b *testing.B) {
	for i, db := range storetest.Databases(b) {
		b.Run(db.Name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Every run of the benchmark starts from an empty database.
			store := storetest.Open(b, storetest.Databases(b)[i])
			// A channel per response, and no people: the card is the only
			// message, with no DM beside it.
			policy := channelPolicy(b.N, "C%05d")
			endpoint, fake := slackPipeline(b, ctx, store, policy)
			client := &http.Client{Timeout: 30 * time.Second}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				body := fmt.Sprintf(`{"external_id":"card-%d","score":2,"comment":"Waited too long","attributes":{"team":"t%d"}}`, i, i)
				start := time.Now()
				if err := postJSON(client, endpoint, body); err != nil {
					b.Fatal(err)
				}
				wait, stop := context.WithTimeout(ctx, 30*time.Second)
				calls, err := fake.WaitCalls(wait, "chat.postMessage", i+1)
				stop()
				if err != nil {
					b.Fatal(err)
				}
				card := calls[i]
				if want := fmt.Sprintf("C%05d", i); card.Params.Get("channel") != want {
					b.Fatalf("message %d went to %s, want the card in %s", i, card.Params.Get("channel"), want)
				}
				lat = append(lat, card.At.Sub(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(ms(percentile(lat, 50)), "p50-ms")
			b.ReportMetric(ms(percentile(lat, 99)), "p99-ms")
		})
	}
}

// BenchmarkIngestWhileDraining is the latency of single-response requests
// while the delivery worker drains 10,000 cards (CXLOOP_BENCH_PENDING
// changes the number) to 100 channels of the Slack fake, paced at one
// message per second per channel as Slack wants. Run:
//
//	go test -run '^$' -bench IngestWhileDraining -benchtime 500x -timeout 30m .
func BenchmarkIngestWhileDraining(b *testing.B) {
	pending := 10000
	if v := os.Getenv("CXLOOP_BENCH_PENDING"); v != "" {
		fmt.Sscan(v, &pending)
	}
	for i, db := range storetest.Databases(b) {
		b.Run(db.Name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			store := storetest.Open(b, storetest.Databases(b)[i])
			const channels = 100
			policy := channelPolicy(channels, "C%03d")
			now := time.Now()
			for start := 0; start < pending; start += 1000 {
				var ins []models.ResponseInput
				for n := start; n < min(start+1000, pending); n++ {
					in := models.ResponseInput{Source: "backlog", ExternalID: fmt.Sprintf("p-%d", n), Metric: "nps", Score: 3,
						Comment: "slow", SubmittedAt: now, Attributes: map[string]string{"team": fmt.Sprintf("t%d", n%channels)}}
					ins = append(ins, in)
				}
				if _, err := store.Ingest(ctx, policy, now, ins, models.IngestOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			endpoint, fake := slackPipeline(b, ctx, store, policy)
			// The drain is under way before the first request.
			wait, stop := context.WithTimeout(ctx, time.Minute)
			_, err := fake.WaitCalls(wait, "chat.postMessage", channels)
			stop()
			if err != nil {
				b.Fatal(err)
			}
			client := &http.Client{Timeout: 30 * time.Second}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				body := fmt.Sprintf(`{"external_id":"live-%d","score":%d,"comment":"Waited too long","attributes":{"team":"t%d"}}`, n, n%11, n%channels)
				start := time.Now()
				if err := postJSON(client, endpoint, body); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(ms(percentile(lat, 50)), "p50-ms")
			b.ReportMetric(ms(percentile(lat, 99)), "p99-ms")
			b.ReportMetric(float64(len(fake.Calls("chat.postMessage"))), "delivered")
		})
	}
}

// channelPolicy is n teams without people, routed by the "team" attribute
// ("t0", "t1", …), each posting to its own Slack channel named by format.
func channelPolicy(n int, format string) *models.Policy {
	p := &models.Policy{Location: time.UTC, DefaultTeam: "t0", Segments: models.DefaultThresholds(),
		SLA: models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour}}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("t%d", i)
		p.Teams = append(p.Teams, models.TeamPolicy{ID: id, Name: "Team " + id, Assign: models.AssignRoundRobin,
			Destinations: []models.Destination{{Transport: "slack", Channel: fmt.Sprintf(format, i)}}})
		p.Routes = append(p.Routes, models.Route{When: map[string][]string{"team": {id}}, Team: id})
	}
	return p
}

// slackPipeline serves the ingestion endpoint over store and runs the
// delivery worker, woken by ingestion, against a Slack fake, until the
// benchmark ends. It returns the endpoint's URL and the fake.
func slackPipeline(b *testing.B, ctx context.Context, store *models.Store, policy *models.Policy) (string, *slackfake.Server) {
	const token = "xoxb-bench"
	fake := slackfake.New(b, token)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := &jobs.Deliverer{Store: store, Policy: policy, Clock: models.SystemClock{}, Log: quiet,
		Messengers: map[string]bot.Messenger{"slack": cxslack.New(token, fake.URL(), nil)}}
	srv := &handlers.Server{Store: store, Policy: policy, Clock: models.SystemClock{}, Log: quiet,
		Metrics: metrics.New(store), IngestToken: "bench", Queued: d.Notify}
	hs := httptest.NewServer(srv.Handler())
	workCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(workCtx); close(done) }()
	b.Cleanup(func() { stop(); <-done; hs.Close() })
	return hs.URL + "/api/v1/responses", fake
}
