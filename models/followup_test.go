package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

func slaPolicy(tallinn *time.Location) *models.Policy {
	p := opsPolicy()
	hours := &models.BusinessHours{Start: 9 * time.Hour, End: 17 * time.Hour}
	for d := time.Monday; d <= time.Friday; d++ {
		hours.Days[d] = true
	}
	p.Teams[0].Hours = hours
	p.Teams[0].Holidays = []string{"2026-10-05"} // the Monday after
	p.Teams[0].Members = []string{"jaan@example.com"}
	p.SLA = models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 40 * time.Hour, RemindBefore: 4 * time.Hour}
	p.Location = tallinn
	return p
}

func dms(t *testing.T, s *models.Store, kind models.OutboxKind, to string) int64 {
	var n int64
	s.DB().Model(&models.OutboxMessage{}).Where("kind = ? AND recipient = ?", kind, to).Count(&n)
	return n
}

func TestSLASweepAcrossWeekendAndHoliday(t *testing.T) {
	tallinn, _ := time.LoadLocation("Europe/Tallinn")
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			s := storetest.Open(t, db)
			p := slaPolicy(tallinn)
			ctx := context.Background()
			opened := time.Date(2026, 10, 2, 16, 30, 0, 0, tallinn) // Friday
			res, err := s.Ingest(ctx, p, opened, []models.ResponseInput{detractor("sla-1")}, models.IngestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			v, _ := s.CaseView(ctx, res[0].CaseID)
			// 0.5 h Friday, Monday is a holiday, 8 h Tue, 8 h Wed, 7.5 h Thu → Thursday 16:30.
			if want := time.Date(2026, 10, 8, 16, 30, 0, 0, tallinn); !v.Case.ThankYouDueAt.Equal(want) {
				t.Fatalf("thank-you due %s, want %s", v.Case.ThankYouDueAt.In(tallinn), want)
			}
			at := func(day, hour, min int) time.Time { return time.Date(2026, 10, day, hour, min, 0, 0, tallinn) }
			steps := []struct {
				now                    time.Time
				reminders, escalations int
			}{
				{at(3, 12, 0), 0, 0},  // Saturday
				{at(8, 12, 29), 0, 0}, // Thursday, a minute before the reminder
				{at(8, 12, 30), 1, 0}, // reminder: 4 business hours before 16:30
				{at(8, 13, 0), 0, 0},  // not again
				{at(8, 16, 30), 0, 1}, // thank-you overdue
				{at(8, 16, 31), 0, 0}, // not again
			}
			for i, st := range steps {
				got, err := s.SweepSLA(ctx, p, st.now)
				if err != nil {
					t.Fatal(err)
				}
				if got.Reminders != st.reminders || got.Escalations != st.escalations {
					t.Fatalf("step %d at %s: %+v, want %d reminders, %d escalations", i, st.now, got, st.reminders, st.escalations)
				}
			}
			v, _ = s.CaseView(ctx, res[0].CaseID)
			if !v.Case.Overdue || v.Events[len(v.Events)-1].Kind != "overdue" {
				t.Errorf("case not marked overdue: %+v", v.Case)
			}
			if dms(t, s, models.KindReminderDM, "jaan@example.com") != 1 || dms(t, s, models.KindEscalationDM, "boss@example.com") != 1 {
				t.Errorf("reminder DMs %d, escalation DMs %d; want 1 each",
					dms(t, s, models.KindReminderDM, "jaan@example.com"), dms(t, s, models.KindEscalationDM, "boss@example.com"))
			}
			// After a restart (a new store on the same database) nothing is sent twice.
			_ = s.Close()
			s2 := storetest.Open(t, db)
			got, err := s2.SweepSLA(ctx, p, at(8, 17, 0))
			if err != nil || got != (models.SweepResult{}) {
				t.Errorf("after restart: %+v %v", got, err)
			}
			// The thank-you logged late: the card is no longer overdue until the resolution is.
			if _, err := s2.Act(ctx, p, at(9, 9, 0), res[0].CaseID, "jaan@example.com", models.Op{Kind: models.OpThank, Method: "call"}); err != nil {
				t.Fatal(err)
			}
			if v, _ := s2.CaseView(ctx, res[0].CaseID); v.Case.Overdue {
				t.Error("still overdue after the thank-you while the resolution is not due")
			}
		})
	}
}

func TestSLASweepConcurrentReplicasSendOnce(t *testing.T) {
	tallinn, _ := time.LoadLocation("Europe/Tallinn")
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			p := slaPolicy(tallinn)
			p.Teams[0].Hours = nil
			ctx := context.Background()
			stores := []*models.Store{storetest.Open(t, db), storetest.Open(t, db), storetest.Open(t, db)}
			opened := time.Date(2026, 10, 2, 10, 0, 0, 0, time.UTC)
			var inputs []models.ResponseInput
			for i := 0; i < 20; i++ {
				inputs = append(inputs, detractor("rep-"+string(rune('a'+i))))
			}
			if _, err := stores[0].Ingest(ctx, p, opened, inputs, models.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			totals := make([]models.SweepResult, 6)
			for i := range totals {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					r, err := stores[i%3].SweepSLA(ctx, p, opened.Add(48*time.Hour)) // both follow-ups due, thank-you overdue
					if err != nil {
						t.Error(err)
					}
					totals[i] = r
				}(i)
			}
			wg.Wait()
			var sum models.SweepResult
			for _, r := range totals {
				sum.Reminders += r.Reminders
				sum.Escalations += r.Escalations
			}
			// thank-you overdue (24 h) for 20 cases; resolution (40 h) overdue too.
			if sum.Escalations != 40 || sum.Reminders != 0 {
				t.Errorf("six concurrent sweeps sent %+v, want 40 escalations in all", sum)
			}
			if n := dms(t, stores[0], models.KindEscalationDM, "boss@example.com"); n != 40 {
				t.Errorf("escalation DMs %d, want 40", n)
			}
		})
	}
}

func TestSLASweepOwnerLeftTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := opsPolicy()
		ctx := context.Background()
		now := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
		res, _ := s.Ingest(ctx, p, now, []models.ResponseInput{detractor("left-1")}, models.IngestOptions{})
		v, _ := s.CaseView(ctx, res[0].CaseID)
		p.Teams[0].Members = []string{"liis@example.com"} // the owner left
		for i := 0; i < 2; i++ {
			got, err := s.SweepSLA(ctx, p, now.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if want := 1 - i; got.Unowned != want {
				t.Errorf("sweep %d: %+v, want %d owner notices (owner %s)", i, got, want, v.Case.Owner)
			}
		}
		// A case opened without owner was reported at ingest: the sweep does not repeat it.
		p.Teams[1].Members = nil
		in := detractor("lv-2")
		in.Attributes = map[string]string{"country": "LV"}
		if _, err := s.Ingest(ctx, p, now, []models.ResponseInput{in}, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.SweepSLA(ctx, p, now.Add(2*time.Minute)); got.Unowned != 0 {
			t.Errorf("unowned case reported again: %+v", got)
		}
	})
}

func TestSLASweepChasesTheFixFollowUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := opsPolicy()
		p.SLA = models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour, RemindBefore: 4 * time.Hour}
		ctx := context.Background()
		t0 := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
		id := openCase(t, s, p, "fix-1")
		if _, err := s.Act(ctx, p, t0.Add(time.Hour), id, "jaan@example.com", models.Op{Kind: models.OpResolve, RootCause: "price", Note: "refunded", Systemic: true}); err != nil {
			t.Fatal(err)
		}
		v, _ := s.CaseView(ctx, id)
		if _, err := s.ActOnImprovement(ctx, p, t0.Add(2*time.Hour), *v.Case.ImprovementID, "cx.lead@example.com",
			models.ItemOp{Kind: models.ItemOpStatus, Status: models.ImprovementDone}); err != nil {
			t.Fatal(err)
		}
		var fu models.FixFollowUp
		if err := s.DB().Where("case_id = ?", id).Take(&fu).Error; err != nil {
			t.Fatalf("no fix follow-up: %v", err)
		}
		sweep := func(at time.Time) models.SweepResult {
			r, err := s.SweepSLA(ctx, p, at)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := sweep(fu.DueAt.Add(-5 * time.Hour)); r.Reminders != 0 {
			t.Errorf("reminded too early: %+v", r)
		}
		if r := sweep(fu.DueAt.Add(-4 * time.Hour)); r.Reminders != 1 {
			t.Errorf("no reminder 4 h before the fix follow-up: %+v", r)
		}
		if r := sweep(fu.DueAt); r.Escalations != 1 {
			t.Errorf("no escalation when the fix follow-up is late: %+v", r)
		}
		if r := sweep(fu.DueAt.Add(time.Hour)); r != (models.SweepResult{}) {
			t.Errorf("sent again: %+v", r)
		}
		if _, err := s.MarkCustomerTold(ctx, p, fu.DueAt.Add(2*time.Hour), id, "jaan@example.com", "called her"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.MarkCustomerTold(ctx, p, fu.DueAt.Add(3*time.Hour), id, "jaan@example.com", ""); err == nil {
			t.Error("told twice")
		}
	})
}
