package models_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// BenchmarkOutboxClaim measures the database's share of delivering one
// message — claiming it and recording the delivery (ns/op), and the claim
// alone (claim-ms/msg, empty claims included) — with a backlog of
// pending card posts spread over 50 paced Slack channels. Each delivered
// message is replaced by a new one outside the timer, so the backlog stays
// at its size; the cost per message should not depend on it.
func BenchmarkOutboxClaim(b *testing.B) {
	dbs := []storetest.DB{{Name: "sqlite"}}
	if os.Getenv(storetest.EnvPostgres) != "" {
		dbs = append(dbs, storetest.DB{Name: "postgres"})
	}
	for _, kind := range dbs {
		for _, pending := range []int{10, 1_000, 10_000, 100_000} {
			b.Run(fmt.Sprintf("%s/pending=%d", kind.Name, pending), func(b *testing.B) {
				db := storetest.Databases(b)[0]
				if kind.Name == "postgres" {
					db = storetest.DB{Name: "postgres", URL: storetest.PostgresSchema(b, os.Getenv(storetest.EnvPostgres))}
				}
				s := storetest.Open(b, db)
				ctx := context.Background()
				now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
				seedOutbox(b, s, 0, pending, now)
				if err := s.Analyze(ctx); err != nil {
					b.Fatal(err)
				}
				pace := models.Pacing{"slack": time.Second}
				next := pending
				var claiming time.Duration
				b.ResetTimer()
				done := 0
				for done < b.N {
					t0 := time.Now()
					msgs, err := s.ClaimOutbox(ctx, "bench", now, time.Minute, 2, pace)
					claiming += time.Since(t0)
					if err != nil {
						b.Fatal(err)
					}
					if len(msgs) == 0 {
						now = now.Add(time.Second) // every channel's next pace slot
						continue
					}
					for i := range msgs {
						slot := now.Add(time.Second)
						msgs[i].PaceNext = &slot
						if err := s.MarkDelivered(ctx, &msgs[i], "ts", now); err != nil {
							b.Fatal(err)
						}
					}
					done += len(msgs)
					b.StopTimer()
					seedOutbox(b, s, next, len(msgs), now)
					next += len(msgs)
					b.StartTimer()
				}
				b.ReportMetric(float64(claiming.Microseconds())/1000/float64(done), "claim-ms/msg")
			})
		}
	}
}

// seedOutbox queues n card posts (cases from..from+n) over 50 Slack
// channels in one statement.
func seedOutbox(b *testing.B, s *models.Store, from, n int, at time.Time) {
	b.Helper()
	err := s.DB().Exec(`INSERT INTO outbox_messages (kind, transport, channel, case_id, order_key, pace_key, state, next_attempt_at, attempts, created_at)
WITH RECURSIVE seq(i) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
SELECT 'card.post', 'slack', 'C' || (i % 50), i, 'card:' || i || ':slack:C' || (i % 50), 'C' || (i % 50), 'pending', ?, 0, ?
FROM seq`, from, from+n-1, at.UTC(), at.UTC()).Error
	if err != nil {
		b.Fatal(err)
	}
}
