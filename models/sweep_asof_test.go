package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A pass run by hand for a later instant decides as of that instant, and
// what it queues is deliverable at once; its reminders name due times in
// the team's zone.
func TestSweepAsOfQueuesForNow(t *testing.T) {
	tallinn, _ := time.LoadLocation("Europe/Tallinn")
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := slaPolicy(tallinn)
		ctx := context.Background()
		opened := time.Date(2026, 10, 2, 16, 30, 0, 0, tallinn) // Friday
		if _, err := s.Ingest(ctx, p, opened, []models.ResponseInput{detractor("asof-1")}, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		realNow := opened.Add(time.Hour)
		asOf := time.Date(2026, 10, 8, 12, 30, 0, 0, tallinn) // the thank-you reminder is due
		res, err := s.SweepSLAAsOf(ctx, p, asOf, realNow)
		if err != nil {
			t.Fatal(err)
		}
		if res.Reminders != 1 {
			t.Fatalf("reminders %d, want 1", res.Reminders)
		}
		var msgs []models.OutboxMessage
		s.DB().Where("kind = ?", models.KindReminderDM).Find(&msgs)
		if len(msgs) != 1 {
			t.Fatalf("%d reminders queued", len(msgs))
		}
		if msgs[0].NextAttemptAt.After(realNow) {
			t.Errorf("reminder deliverable from %s, want by %s", msgs[0].NextAttemptAt.UTC(), realNow.UTC())
		}
		// The escalation names the due time in the team's zone.
		if _, err := s.SweepSLAAsOf(ctx, p, time.Date(2026, 10, 8, 16, 30, 0, 0, tallinn), realNow); err != nil {
			t.Fatal(err)
		}
		var esc []models.OutboxMessage
		s.DB().Where("kind = ?", models.KindEscalationDM).Find(&esc)
		if len(esc) == 0 {
			t.Fatal("no escalation queued")
		}
		var ev models.CaseEvent
		if err := s.DB().Where("kind = ?", "overdue").Take(&ev).Error; err != nil {
			t.Fatal(err)
		}
		if want := "Thu 8 Oct 16:30 EEST"; !strings.Contains(ev.Detail, want) {
			t.Errorf("overdue record %q does not name %q", ev.Detail, want)
		}
		for _, m := range esc {
			if m.NextAttemptAt.After(realNow) {
				t.Errorf("escalation deliverable from %s, want by %s", m.NextAttemptAt.UTC(), realNow.UTC())
			}
		}
		if want := models.FormatDue(time.Date(2026, 10, 8, 16, 30, 0, 0, tallinn), tallinn); want != "Thu 8 Oct 16:30 EEST" {
			t.Errorf("FormatDue %q", want)
		}
	})
}
