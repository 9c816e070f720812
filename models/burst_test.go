package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// The burst budget is kept in the database: three replicas ingesting one
// team's detractors in the same minute post five top-level cards between
// them, and one roll-up lists the rest.
func TestBurstBudgetHoldsAcrossReplicas(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			replicas := []*models.Store{storetest.Open(t, db)}
			if db.Name == "postgres" {
				replicas = append(replicas, storetest.Open(t, db), storetest.Open(t, db))
			}
			p := testPolicy()
			p.Teams[0].Burst = 5
			now := time.Date(2026, 10, 5, 10, 0, 30, 0, time.UTC)
			var wg sync.WaitGroup
			errs := make(chan error, 30)
			for i := 0; i < 30; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					s := replicas[i%len(replicas)]
					_, err := s.Ingest(context.Background(), p, now, []models.ResponseInput{detractor(fmt.Sprintf("rep-%d", i))}, models.IngestOptions{})
					errs <- err
				}(i)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			s := replicas[0]
			var posts, waiting, rollups, listed int64
			s.DB().Model(&models.OutboxMessage{}).Where("kind = ? AND next_attempt_at <= ?", models.KindCardPost, now).Count(&posts)
			s.DB().Model(&models.OutboxMessage{}).Where("kind = ? AND next_attempt_at > ?", models.KindCardPost, now).Count(&waiting)
			s.DB().Model(&models.OutboxMessage{}).Where("kind = ?", models.KindRollupPost).Count(&rollups)
			s.DB().Model(&models.RollupCase{}).Count(&listed)
			if posts != 5 || waiting != 25 || rollups != 1 || listed != 25 {
				t.Errorf("%d top-level cards, %d waiting for the roll-up, %d roll-ups listing %d; want 5, 25, 1, 25", posts, waiting, rollups, listed)
			}
			// The next minute has a fresh budget.
			if _, err := s.Ingest(context.Background(), p, now.Add(time.Minute), []models.ResponseInput{detractor("rep-next")}, models.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			s.DB().Model(&models.OutboxMessage{}).Where("kind = ? AND next_attempt_at <= ?", models.KindCardPost, now.Add(time.Minute)).Count(&posts)
			if posts != 6 {
				t.Errorf("the next minute's card waits: %d due", posts)
			}
		})
	}
}
