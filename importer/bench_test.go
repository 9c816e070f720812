package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cxloop/cxloop/importer"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// benchRows is the size of the file each benchmark iteration imports; set
// CXLOOP_BENCH_ROWS to change it (default 1,000,000).
func benchRows() int {
	if v := os.Getenv("CXLOOP_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err == nil && n > 0 {
			return n
		}
	}
	return 1_000_000
}

// BenchmarkImport imports a generated CSV file of benchRows rows into a
// fresh SQLite file and, when CXLOOP_TEST_POSTGRES_URL is set, a fresh
// PostgreSQL schema, and reports rows/s, the peak heap in use (sampled after
// every batch) and the cases opened. Run:
//
//	CXLOOP_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./importer -run '^$' -bench Import/postgres -benchtime 1x -timeout 30m
//
// CXLOOP_BENCH_WORKERS and CXLOOP_BENCH_BATCH override the defaults.
func BenchmarkImport(b *testing.B) {
	n := benchRows()
	dbs := []storetest.DB{{Name: "sqlite"}}
	if pg := os.Getenv(storetest.EnvPostgres); pg != "" {
		dbs = append(dbs, storetest.DB{Name: "postgres"})
	}
	for _, db := range dbs {
		b.Run(db.Name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				url := "sqlite://" + filepath.Join(b.TempDir(), "bench.db")
				if db.Name == "postgres" {
					url = storetest.PostgresSchema(b, os.Getenv(storetest.EnvPostgres))
				}
				s := storetest.Open(b, storetest.DB{Name: db.Name, URL: url})
				o := importer.Options{Clock: models.NewFixedClock(now), CasesSince: now.AddDate(0, 0, -30), Source: "bench"}
				if v := os.Getenv("CXLOOP_BENCH_WORKERS"); v != "" {
					o.Workers, _ = strconv.Atoi(v)
				}
				if v := os.Getenv("CXLOOP_BENCH_BATCH"); v != "" {
					o.BatchSize, _ = strconv.Atoi(v)
				}
				runtime.GC()
				var peak uint64
				o.Progress = func(importer.Stats) {
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapInuse)
				}
				b.StartTimer()
				start := time.Now()
				st, err := importer.Import(context.Background(), s, policy(), newGenCSV(n, now), o)
				if err != nil {
					b.Fatal(err)
				}
				elapsed := time.Since(start)
				if st.Created != int64(n) {
					b.Fatalf("%+v", st)
				}
				b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
				b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
				b.ReportMetric(float64(st.CasesOpened), "cases")
			}
		})
	}
}
