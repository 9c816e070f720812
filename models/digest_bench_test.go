package models_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// BenchmarkDigestStats times the monthly digest's statistics for the last
// of twelve months of generated history over 20 teams, on SQLite and, with
// CXLOOP_TEST_POSTGRES_URL set, PostgreSQL. CXLOOP_BENCH_RESPONSES sets the
// history's size (default 1,000,000; generating it takes a minute or two):
//
//	CXLOOP_TEST_POSTGRES_URL=… go test ./models -run '^$' -bench DigestStats -benchtime 3x -timeout 30m
func BenchmarkDigestStats(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("CXLOOP_BENCH_RESPONSES")); err == nil && v > 0 {
		n = v
	}
	loc, err := time.LoadLocation("Europe/Tallinn")
	if err != nil {
		b.Fatal(err)
	}
	p := &models.Policy{Location: loc, Segments: models.DefaultThresholds(), DefaultTeam: "team-00",
		Themes: []models.Theme{{Name: "waiting", Keywords: []string{"queue", "wait", "järjekord", "ootama", "kolejk", "очеред"}},
			{Name: "fees", Keywords: []string{"fee", "charge", "commission"}}, {Name: "staff", Keywords: []string{"rude"}}}}
	for i := 0; i < 20; i++ {
		p.Teams = append(p.Teams, models.TeamPolicy{ID: fmt.Sprintf("team-%02d", i), Name: fmt.Sprintf("Team %02d", i)})
	}
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	now := end.Add(9 * time.Hour)
	for _, db := range storetest.Databases(b) {
		// The history is made once: the sub-benchmark runs again with a larger b.N.
		ctx := context.Background()
		s := storetest.Open(b, db)
		spec := models.DigestBenchSpec{Responses: n, Months: 12, End: end, Teams: 20, Seed: 42}
		if err := s.GenerateDigestBench(ctx, p, spec); err != nil {
			b.Fatal(err)
		}
		if err := s.Analyze(ctx); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s/responses=%d", db.Name, n), func(b *testing.B) {
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st, err := s.DigestStats(ctx, p, "2026-10", now)
				if err != nil {
					b.Fatal(err)
				}
				if st.Responses == 0 {
					b.Fatal("the month has no responses")
				}
			}
		})
	}
}
