package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A Saturday-night burst of four detractors, one of whose customers writes
// again: the report counts what went out and what noise control held back.
func TestNoiseReportCountsWhatNoiseControlSaved(t *testing.T) {
	tallinn := mustTallinn()
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p := quietPolicy()
		p.Teams[0].Burst = 2
		sat := time.Date(2026, 10, 10, 2, 0, 0, 0, tallinn)
		var burst []models.ResponseInput
		for i := 0; i < 4; i++ {
			in := detractor(fmt.Sprintf("night-%d", i))
			in.Customer.ID = fmt.Sprintf("cust-%d", i)
			burst = append(burst, in)
		}
		if _, err := s.Ingest(ctx, p, sat, burst, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		again := detractor("night-0-again")
		again.Customer.ID = "cust-0"
		if _, err := s.Ingest(ctx, p, sat.Add(time.Hour), []models.ResponseInput{again}, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		r, err := s.NoiseReport(ctx, p, sat.Add(-time.Hour), sat.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := models.NoiseReport{ChannelPosts: 3, Rollups: 1, CardsInRollups: 2, Joined: 1,
			DMs: 4, DMsOutsideHours: 4, DMsDeliveredOutsideHours: 0}
		if r != want {
			t.Errorf("report %+v, want %+v", r, want)
		}
		if got := r.ChannelPostsWithout(); got != 5 {
			t.Errorf("without noise control %d channel posts, want one card per detractor response (5)", got)
		}
		if got := r.DMsWithout(); got != 5 {
			t.Errorf("without noise control %d DMs, want one per case (5)", got)
		}
		// Nothing was queued before the burst.
		if r, err := s.NoiseReport(ctx, p, sat.Add(-48*time.Hour), sat.Add(-time.Hour)); err != nil || r != (models.NoiseReport{}) {
			t.Errorf("an empty period reports %+v, %v", r, err)
		}
	})
}
