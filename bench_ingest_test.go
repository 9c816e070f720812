package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// BenchmarkIngest posts responses to the real HTTP endpoint from 32
// clients, one response per request (single) or 100 (batch), against a
// scratch PostgreSQL schema. Beside it, in the same run and schema,
// PostgreSQL's own pgbench runs the three inserts an ingested detractor
// needs at least (response, case, outbox message), one transaction each, at
// the same concurrency: x-pgbench is cxloop's response rate as a multiple of
// that ceiling. Run:
//
//	CXLOOP_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench Ingest -benchtime 20000x .
func BenchmarkIngest(b *testing.B) {
	base := os.Getenv(storetest.EnvPostgres)
	if base == "" {
		b.Skip(storetest.EnvPostgres + " is not set")
	}
	for _, batch := range []int{1, 100} {
		name := "single"
		if batch > 1 {
			name = fmt.Sprintf("batch=%d", batch)
		}
		b.Run(name, func(b *testing.B) {
			schemaURL := storetest.PostgresSchema(b, base)
			endpoint := benchServer(b, schemaURL)
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var seq atomic.Int64
			var mu sync.Mutex
			var lat []time.Duration
			b.SetParallelism(16) // 32 clients on 2 cores; 16 per core elsewhere
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					body := benchBody(&seq, batch)
					t := time.Now()
					if err := postJSON(client, endpoint, body); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			rate := float64(len(lat)*batch) / elapsed.Seconds()
			slices.Sort(lat)
			b.ReportMetric(rate, "resp/s")
			b.ReportMetric(ms(percentile(lat, 50)), "p50-ms")
			b.ReportMetric(ms(percentile(lat, 99)), "p99-ms")
			if batch > 1 {
				return
			}
			tps, err := pgbenchCeiling(context.Background(), schemaURL, 32, max(5*time.Second, elapsed))
			if err != nil {
				b.Logf("pgbench ceiling not measured: %v", err)
				return
			}
			b.ReportMetric(tps, "pgbench-tps")
			b.ReportMetric(rate/tps, "x-pgbench")
		})
	}
}

// benchServer serves the ingestion endpoint over a store on schemaURL, with
// one team whose cards go to the log transport.
func benchServer(b *testing.B, schemaURL string) string {
	ctx := context.Background()
	store, err := models.Open(ctx, schemaURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	policy := &models.Policy{
		Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(),
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"a@example.com", "b@example.com", "c@example.com"},
			Assign: models.AssignRoundRobin, Destinations: []models.Destination{{Transport: "log", Channel: "cc"}}}},
		SLA: models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour}, DMTransports: []string{"log"},
	}
	srv := &handlers.Server{Store: store, Policy: policy, Clock: models.SystemClock{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: metrics.New(store), IngestToken: "bench"}
	hs := httptest.NewServer(srv.Handler())
	b.Cleanup(hs.Close)
	return hs.URL + "/api/v1/responses"
}

// benchBody is one request: a response object, or an array of n. Scores
// spread over all segments, so some open cases and some do not.
func benchBody(seq *atomic.Int64, n int) string {
	one := func() string {
		i := seq.Add(1)
		return fmt.Sprintf(`{"external_id":"b-%d","score":%d,"comment":"Waited too long in the queue"}`, i, i%11)
	}
	if n == 1 {
		return one()
	}
	els := make([]string, n)
	for i := range els {
		els[i] = one()
	}
	return "[" + strings.Join(els, ",") + "]"
}

func postJSON(c *http.Client, endpoint, body string) error {
	req, err := http.NewRequest("POST", endpoint, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer bench")
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile of sorted latencies.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(float64(len(sorted)-1)*q/100)]
}

// pgbenchScript: the same three inserts, one transaction per detractor.
const pgbenchScript = `\set n random(1, 1000000000000)
BEGIN;
INSERT INTO responses (source, external_id, metric, score, segment, comment, submitted_at, team_id, content_hash, version, received_at, updated_at)
  VALUES ('pgbench', 'pb-' || CAST(:n AS text) || '-' || CAST(:client_id AS text), 'nps', 3, 'detractor', 'Waited too long in the queue', now(), 'cc', 'h', 1, now(), now())
  ON CONFLICT DO NOTHING;
INSERT INTO cases (response_id, team_id, state, owner, opened_at, thank_you_due_at, resolution_due_at, updated_at)
  VALUES (currval(pg_get_serial_sequence('responses', 'id')), 'cc', 'assigned', 'a@example.com', now(), now(), now(), now());
INSERT INTO outbox_messages (kind, transport, channel, case_id, order_key, state, next_attempt_at, attempts, created_at)
  VALUES ('card.post', 'log', 'cc', currval(pg_get_serial_sequence('cases', 'id')), 'card:pb:' || CAST(:n AS text), 'pending', now(), 0, now());
END;
`

// pgbenchCeiling runs pgbench with pgbenchScript for d in the schema that
// schemaURL's search_path names, and returns its transactions per second.
func pgbenchCeiling(ctx context.Context, schemaURL string, clients int, d time.Duration) (float64, error) {
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
		if len(matches) == 0 {
			return 0, errors.New("pgbench is not installed")
		}
		bin = matches[len(matches)-1]
	}
	u, err := url.Parse(schemaURL)
	if err != nil {
		return 0, err
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	script := filepath.Join(os.TempDir(), fmt.Sprintf("cxloop-pgbench-%d.sql", os.Getpid()))
	if err := os.WriteFile(script, []byte(pgbenchScript), 0o600); err != nil {
		return 0, err
	}
	defer os.Remove(script)
	cmd := exec.CommandContext(ctx, bin, "-n", "-M", "simple", "-c", fmt.Sprint(clients), "-j", "2",
		"-T", fmt.Sprint(max(1, int(d.Seconds()))), "-f", script, u.String())
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c search_path="+schema)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w: %s", err, out)
	}
	var tps float64
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "tps = "); ok {
			fmt.Sscan(v, &tps)
		}
	}
	if tps == 0 {
		return 0, fmt.Errorf("pgbench printed no rate: %s", out)
	}
	return tps, nil
}
