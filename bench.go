package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
)

// bench measures ingestion through the real HTTP endpoint against
// PostgreSQL, and beside it the ceiling: the same three inserts (response,
// case, outbox) issued straight through pgx at the same concurrency.
func bench(ctx context.Context, e *env) error {
	args, getenv, stdout := e.args, e.getenv, e.stdout
	if len(args) == 0 || args[0] != "ingest" {
		if wantsHelp(args) {
			return e.help(nil)
		}
		return usageError("want: cxloop bench ingest")
	}
	fs := flag.NewFlagSet("bench ingest", flag.ContinueOnError)
	clients := fs.Int("clients", 32, "concurrent clients")
	duration := fs.Duration("duration", 10*time.Second, "how long each phase runs")
	batch := fs.Int("batch", 100, "responses per batch request")
	pg := fs.String("postgres", firstNonEmpty(getenv("CXLOOP_BENCH_POSTGRES_URL"), getenv("CXLOOP_TEST_POSTGRES_URL"),
		"postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "PostgreSQL URL (a scratch schema is created in it)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the single-response phase to this file")
	if err := e.parseNoArgs(fs, args[1:]); err != nil {
		return err
	}
	schemaURL, drop, err := scratchSchema(ctx, *pg)
	if err != nil {
		return err
	}
	defer drop()

	store, err := models.Open(ctx, schemaURL)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	policy := &models.Policy{
		Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(),
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"a@example.com", "b@example.com", "c@example.com"},
			Assign: models.AssignRoundRobin, Destinations: []models.Destination{{Transport: "log", Channel: "cc"}}}},
		SLA: models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour}, DMTransports: []string{"log"},
	}
	srv := &handlers.Server{Store: store, Policy: policy, Clock: models.SystemClock{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: metrics.New(store), IngestToken: "bench"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Handler: srv.Handler()}
	go func() { _ = httpSrv.Serve(ln) }()
	defer httpSrv.Close()
	endpoint := "http://" + ln.Addr().String() + "/api/v1/responses"
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *clients * 2}}

	fmt.Fprintf(stdout, "cxloop ingest benchmark: %d clients, %s per phase, PostgreSQL %s\n\n", *clients, *duration, redactedHost(*pg))

	var seq atomic.Int64
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	single := runLoad(*clients, *duration, func() error {
		n := seq.Add(1)
		body := fmt.Sprintf(`{"external_id":"s-%d","score":%d,"comment":"Waited too long in the queue"}`, n, n%7)
		return postJSON(client, endpoint, body)
	})
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Fprintf(stdout, "single responses over HTTP   %8.0f req/s   p50 %6.2f ms   p99 %6.2f ms   (%d requests, %d errors)\n",
		single.rate(), ms(single.p(50)), ms(single.p(99)), single.n, single.errs)

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile + ".batch")
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	batched := runLoad(*clients, *duration, func() error {
		var b strings.Builder
		b.WriteByte('[')
		for i := 0; i < *batch; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			n := seq.Add(1)
			fmt.Fprintf(&b, `{"external_id":"b-%d","score":%d,"comment":"Waited too long in the queue"}`, n, n%11)
		}
		b.WriteByte(']')
		return postJSON(client, endpoint, b.String())
	})
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	batchRate := batched.rate() * float64(*batch)
	fmt.Fprintf(stdout, "batches of %d over HTTP      %8.0f resp/s  p50 %6.2f ms   p99 %6.2f ms   (%d requests, %d errors)\n",
		*batch, batchRate, ms(batched.p(50)), ms(batched.p(99)), batched.n, batched.errs)

	pool, err := pgxpool.New(ctx, schemaURL+"&pool_max_conns="+fmt.Sprint(*clients))
	if err != nil {
		return fmt.Errorf("pgx pool: %w", err)
	}
	defer pool.Close()
	ceiling := runLoad(*clients, *duration, func() error {
		n := seq.Add(1)
		return rawInserts(ctx, pool, n)
	})
	fmt.Fprintf(stdout, "ceiling: 3 inserts via pgx   %8.0f tx/s    p50 %6.2f ms   p99 %6.2f ms   (%d transactions, %d errors)\n\n",
		ceiling.rate(), ms(ceiling.p(50)), ms(ceiling.p(99)), ceiling.n, ceiling.errs)
	fmt.Fprintf(stdout, "single-response throughput = %.0f%% of the ceiling (goal ≥ 50%%); p99 %.1f ms (goal < 100 ms)\n",
		100*single.rate()/ceiling.rate(), ms(single.p(99)))
	pool.Close() // pgbench needs its connections
	if tps, avg, err := pgbenchCeiling(ctx, schemaURL, *clients, *duration); err != nil {
		fmt.Fprintf(stdout, "pgbench ceiling not measured: %v\n", err)
	} else {
		fmt.Fprintf(stdout, "ceiling: pgbench, same 3 inserts %8.0f tx/s    avg %6.2f ms\n", tps, avg)
		fmt.Fprintf(stdout, "single-response throughput = %.2f× pgbench (goal ≥ 1.0×, moonshot 1.5×)\n", single.rate()/tps)
	}
	fmt.Fprintf(stdout, "batches of %d = %.1f× the single-response rate (goal ≥ 10×)\n", *batch, batchRate/single.rate())
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func redactedHost(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "?"
	}
	return u.Host + u.Path
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func postJSON(c *http.Client, endpoint, body string) error {
	req, _ := http.NewRequest("POST", endpoint, strings.NewReader(body))
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

// rawInserts is the floor of work an ingested detractor needs: its response,
// its case and one outbox row, committed together.
func rawInserts(ctx context.Context, pool *pgxpool.Pool, n int64) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	now := time.Now().UTC()
	var rid, cid int64
	err = tx.QueryRow(ctx, `INSERT INTO responses (source, external_id, metric, score, segment, comment, submitted_at, team_id, content_hash, version, received_at, updated_at)
		VALUES ('raw', $1, 'nps', 3, 'detractor', 'Waited too long in the queue', $2, 'cc', 'h', 1, $2, $2) RETURNING id`, fmt.Sprintf("raw-%d", n), now).Scan(&rid)
	if err != nil {
		return err
	}
	err = tx.QueryRow(ctx, `INSERT INTO cases (response_id, team_id, state, owner, opened_at, thank_you_due_at, resolution_due_at, updated_at)
		VALUES ($1, 'cc', 'assigned', 'a@example.com', $2, $2, $2, $2) RETURNING id`, rid, now).Scan(&cid)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO outbox_messages (kind, transport, channel, case_id, order_key, state, next_attempt_at, attempts, created_at)
		VALUES ('card.post', 'log', 'cc', $1, $2, 'pending', $3, 0, $3)`, cid, fmt.Sprintf("card:%d", cid), now)
	if err != nil {
		return err
	}
	return tx.Commit(ctx)
}

type loadResult struct {
	n, errs   int64
	elapsed   time.Duration
	latencies []time.Duration
}

func (r *loadResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r *loadResult) p(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies)-1) * q / 100)
	return r.latencies[i]
}

// runLoad calls op from the given number of goroutines for d and collects
// latencies of the successful calls.
func runLoad(clients int, d time.Duration, op func() error) *loadResult {
	var (
		mu  sync.Mutex
		res loadResult
		wg  sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var errs int64
			for time.Now().Before(deadline) {
				t := time.Now()
				if err := op(); err != nil {
					errs++
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.errs += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.n = int64(len(res.latencies))
	sort.Slice(res.latencies, func(i, j int) bool { return res.latencies[i] < res.latencies[j] })
	return &res
}

// scratchSchema creates a schema for the run and returns a URL using it.
func scratchSchema(ctx context.Context, base string) (string, func(), error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	admin, err := models.Open(ctx, base)
	if err != nil {
		return "", nil, err
	}
	if err := admin.DB().Exec("CREATE SCHEMA " + schema).Error; err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		_ = admin.DB().Exec("DROP SCHEMA " + schema + " CASCADE").Error
		admin.Close()
	}
	return u.String(), drop, nil
}

// pgbenchScript is rawInserts for pgbench: the same three inserts, one
// transaction per detractor.
const pgbenchScript = `\set n random(1, 1000000000000)
BEGIN;
INSERT INTO responses (source, external_id, metric, score, segment, comment, submitted_at, team_id, content_hash, version, received_at, updated_at)
  VALUES ('pgbench', 'pb-' || :n || '-' || :client_id, 'nps', 3, 'detractor', 'Waited too long in the queue', now(), 'cc', 'h', 1, now(), now())
  ON CONFLICT DO NOTHING;
INSERT INTO cases (response_id, team_id, state, owner, opened_at, thank_you_due_at, resolution_due_at, updated_at)
  VALUES (currval(pg_get_serial_sequence('responses', 'id')), 'cc', 'assigned', 'a@example.com', now(), now(), now(), now());
INSERT INTO outbox_messages (kind, transport, channel, case_id, order_key, state, next_attempt_at, attempts, created_at)
  VALUES ('card.post', 'log', 'cc', currval(pg_get_serial_sequence('cases', 'id')), 'card:pb:' || :n, 'pending', now(), 0, now());
END;
`

// pgbenchCeiling runs PostgreSQL's own pgbench with the three inserts at the
// same concurrency, in the run's scratch schema, and returns its rate and
// average latency.
func pgbenchCeiling(ctx context.Context, schemaURL string, clients int, d time.Duration) (tps, avgMS float64, err error) {
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
		if len(matches) == 0 {
			return 0, 0, errors.New("pgbench is not installed")
		}
		bin = matches[len(matches)-1]
	}
	u, err := url.Parse(schemaURL)
	if err != nil {
		return 0, 0, err
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	script, err := os.CreateTemp("", "cxloop-pgbench-*.sql")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(script.Name())
	if _, err := script.WriteString(pgbenchScript); err != nil {
		return 0, 0, err
	}
	script.Close()
	cmd := exec.CommandContext(ctx, bin, "-n", "-M", "prepared", "-c", fmt.Sprint(clients), "-j", "2",
		"-T", fmt.Sprint(max(1, int(d.Seconds()))), "-f", script.Name(), u.String())
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c search_path="+schema)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("pgbench: %w: %s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "tps = "); ok {
			fmt.Sscan(v, &tps)
		}
		if v, ok := strings.CutPrefix(line, "latency average = "); ok {
			fmt.Sscan(v, &avgMS)
		}
	}
	if tps == 0 {
		return 0, 0, fmt.Errorf("pgbench printed no rate: %s", out)
	}
	return tps, avgMS, nil
}
