package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

func privacyPolicy() *models.Policy {
	return &models.Policy{
		Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(), RootCauses: []string{"process"},
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"a@example.com"}, Managers: []string{"m@example.com"},
			Assign: models.AssignRoundRobin, Destinations: []models.Destination{{Transport: "log", Channel: "cc"}}}},
		SLA: models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour},
	}
}

// snapshot is every response as stored, to see that a run changed nothing.
func snapshot(t *testing.T, s *models.Store) string {
	t.Helper()
	var rs []models.Response
	if err := s.DB().Order("id").Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	var evs int64
	s.DB().Model(&models.CaseEvent{}).Count(&evs)
	var msgs int64
	s.DB().Model(&models.OutboxMessage{}).Count(&msgs)
	return fmt.Sprintf("%+v events=%d messages=%d", rs, evs, msgs)
}

func TestRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p := privacyPolicy()
		clock := models.NewFixedClock(time.Date(2025, 9, 1, 10, 0, 0, 0, time.UTC))
		in := func(id string, score int, at time.Time) models.ResponseInput {
			r := models.ResponseInput{Source: "web", ExternalID: id, Score: score, SubmittedAt: at, Comment: "comment of " + id,
				Customer: models.Customer{ID: "c-" + id, Name: "Name " + id, Email: id + "@example.com", Phone: "+372 5555 000" + id[len(id)-1:]}}
			r.Normalize(clock.Now())
			return r
		}
		old := clock.Now().Add(-30 * 24 * time.Hour) // 30 days older than recent4
		res, err := s.Ingest(ctx, p, clock.Now(), []models.ResponseInput{
			in("closed1", 2, old), in("open2", 3, old), in("promoter3", 10, old), in("recent4", 1, clock.Now())}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		closed, open, recent := res[0].CaseID, res[1].CaseID, res[3].CaseID
		for _, id := range []int64{closed, recent} {
			if _, err := s.Act(ctx, p, clock.Now(), id, "a@example.com", models.Op{Kind: models.OpResolve, RootCause: "process", Note: "called back"}); err != nil {
				t.Fatal(err)
			}
		}
		// 370 days later, on the injected clock, with a 380-day retention:
		// the old responses are past it, recent4 is not.
		clock.Advance(370 * 24 * time.Hour)
		year := 380 * 24 * time.Hour
		rep, err := s.ApplyRetention(ctx, p, clock.Now(), year, 0)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Contact.Responses != 2 || len(rep.Contact.CaseIDs) != 1 || rep.Contact.CaseIDs[0] != closed || rep.Comment.Responses != 0 {
			t.Fatalf("retention %+v, want the closed case's and the promoter's contact details", rep)
		}
		byID := func(ext string) models.Response {
			var r models.Response
			if err := s.DB().Where("external_id = ?", ext).Take(&r).Error; err != nil {
				t.Fatal(err)
			}
			return r
		}
		for _, ext := range []string{"closed1", "promoter3"} {
			if r := byID(ext); r.CustomerEmail != "" || r.CustomerName != "" || r.CustomerPhone != "" || r.CustomerID != "" ||
				r.Comment != "comment of "+ext || r.Score == 0 {
				t.Errorf("%s after contact retention: %+v", ext, r)
			}
		}
		if r := byID("open2"); r.CustomerEmail != "open2@example.com" {
			t.Errorf("the open case lost its contact: %+v", r)
		}
		if r := byID("recent4"); r.CustomerEmail != "recent4@example.com" {
			t.Errorf("a recent response lost its contact: %+v", r)
		}
		var erased int64
		s.DB().Model(&models.CaseEvent{}).Where("case_id = ? AND kind = ?", closed, models.EventErased).Count(&erased)
		if erased != 1 {
			t.Errorf("%d erased events on the closed case", erased)
		}

		before := snapshot(t, s)
		rep, err = s.ApplyRetention(ctx, p, clock.Now(), year, 0)
		if err != nil || rep.Contact.Responses != 0 {
			t.Fatalf("second run: %+v, %v", rep, err)
		}
		if after := snapshot(t, s); after != before {
			t.Errorf("the second run changed the database:\n%s\n%s", before, after)
		}

		// Comment retention likewise.
		rep, err = s.ApplyRetention(ctx, p, clock.Now(), year, year)
		if err != nil || rep.Comment.Responses != 2 || rep.Contact.Responses != 0 {
			t.Fatalf("comment retention: %+v, %v", rep, err)
		}
		if r := byID("closed1"); r.Comment != "" || len(r.Themes) != len(byID("open2").Themes) {
			t.Errorf("closed1 after comment retention: %+v", r)
		}
		if r := byID("open2"); r.Comment != "comment of open2" {
			t.Errorf("the open case lost its comment: %+v", r)
		}
		if c, err := s.CaseView(ctx, open); err != nil || c.Case.State != models.StateAssigned {
			t.Errorf("open case %+v, %v", c.Case, err)
		}
	})
}

func TestContactViewedIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p := privacyPolicy()
		now := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
		in := models.ResponseInput{ExternalID: "r1", Score: 2, Customer: models.Customer{Email: "kadri@example.com"}}
		in.Normalize(now)
		res, err := s.Ingest(ctx, p, now, []models.ResponseInput{in}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		id := res[0].CaseID
		if _, err := s.Act(ctx, p, now.Add(time.Minute), id, "m@example.com", models.Op{Kind: models.OpContact}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Act(ctx, p, now.Add(time.Minute), id, "outsider@example.com", models.Op{Kind: models.OpContact}); err == nil {
			t.Fatal("an outsider saw the contact")
		}
		entries, err := s.Audit(ctx, models.AuditQuery{CaseID: id})
		if err != nil {
			t.Fatal(err)
		}
		var views []models.AuditEntry
		for _, e := range entries {
			if e.Kind == models.EventContactViewed {
				views = append(views, e)
			}
		}
		if len(views) != 1 || views[0].Actor != "m@example.com" || !views[0].At.Equal(now.Add(time.Minute)) || views[0].CaseID != id {
			t.Errorf("contact views %+v (all %+v)", views, entries)
		}
		if later, _ := s.Audit(ctx, models.AuditQuery{Since: now.Add(2 * time.Minute)}); len(later) != 0 {
			t.Errorf("--since kept %+v", later)
		}
	})
}

// Two replicas erasing the same customer at once erase once: one erased
// event per case, one erasure with the rows, the other with none.
func TestEraseConcurrentReplicas(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			a := storetest.Open(t, db)
			b, err := models.Open(ctx, db.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			p := privacyPolicy()
			now := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
			var ins []models.ResponseInput
			for i := 0; i < 3; i++ {
				in := models.ResponseInput{ExternalID: fmt.Sprint("r", i), Score: 2, Comment: "slow",
					// Three customer ids, so three cases (one customer's answers would join one case).
					Customer: models.Customer{ID: fmt.Sprint("c-", i), Email: "kadri@example.com", Phone: fmt.Sprint("+372 5555 000", i)}}
				in.Normalize(now)
				ins = append(ins, in)
			}
			if _, err := a.Ingest(ctx, p, now, ins, models.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			reps := make(chan models.ErasureReport, 2)
			errs := make(chan error, 2)
			for _, s := range []*models.Store{a, b} {
				go func(s *models.Store) {
					rep, err := s.EraseCustomer(ctx, p, now, "dpo", "kadri@example.com", false)
					reps <- rep
					errs <- err
				}(s)
			}
			total := 0
			for i := 0; i < 2; i++ {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
				total += (<-reps).Responses
			}
			if total != 3 {
				t.Errorf("the replicas erased %d responses between them, want 3 once", total)
			}
			var events, cases int64
			a.DB().Model(&models.CaseEvent{}).Where("kind = ?", models.EventErased).Count(&events)
			a.DB().Model(&models.Case{}).Count(&cases)
			if events != cases || cases == 0 {
				t.Errorf("%d erased events for %d cases", events, cases)
			}
			var left int64
			a.DB().Model(&models.Response{}).Where("customer_email <> '' OR comment <> ''").Count(&left)
			if left != 0 {
				t.Errorf("%d responses still hold data", left)
			}
		})
	}
}
