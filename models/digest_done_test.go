package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// An improvement done in the month: its owner by name, the customers told
// by email, by phone and not yet, and its theme's detractors before and since.
func TestDigestDoneItems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p := digestPolicy()
		p.Location = time.UTC
		at := time.Date(2026, 10, 2, 10, 0, 0, 0, time.UTC)
		no := false
		var in []models.ResponseInput
		for i := 0; i < 4; i++ {
			in = append(in, models.ResponseInput{Source: "t", ExternalID: fmt.Sprintf("q%d", i), Score: 2, Comment: "the queue again",
				Customer: models.Customer{Name: "C", Email: fmt.Sprintf("c%d@example.org", i)}})
		}
		in = append(in, models.ResponseInput{Source: "t", ExternalID: "q9", Score: 2, Comment: "queue; do not call", Customer: models.Customer{ContactOK: &no}})
		ids := systemicCases(t, s, p, at, "process", in...)
		item := linkedItem(t, s, ids[0])
		if _, err := s.ActOnImprovement(ctx, p, at, item, "boss@example.com", models.ItemOp{Kind: models.ItemOpTake}); err != nil {
			t.Fatal(err)
		}
		done := time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC)
		if _, err := s.ActOnImprovement(ctx, p, done, item, "boss@example.com", models.ItemOp{Kind: models.ItemOpStatus, Status: models.ImprovementDone}); err != nil {
			t.Fatal(err)
		}
		// One customer heard by email, one by phone; two not yet.
		if err := s.DB().Model(&models.FixFollowUp{}).Where("case_id = ?", ids[0]).
			Updates(map[string]any{"told_at": done.Add(time.Hour), "told_via": models.ToldByEmail}).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := s.MarkCustomerTold(ctx, p, done.Add(2*time.Hour), ids[1], "boss@example.com", "called"); err != nil {
			t.Fatal(err)
		}
		// Waiting detractors: 3 in the 10 days before the fix (plus the 5
		// linked ones earlier), 1 in the 10 days since; one after the span.
		var more []models.ResponseInput
		for i, d := range []time.Time{done.AddDate(0, 0, -9), done.AddDate(0, 0, -5), done.AddDate(0, 0, -1), done.AddDate(0, 0, 3)} {
			more = append(more, models.ResponseInput{Source: "t", ExternalID: fmt.Sprintf("w%d", i), Score: 1, Comment: "long wait", SubmittedAt: d})
		}
		seed(t, s, p, false, more)
		if err := s.SavePlatformUser(ctx, models.PlatformUser{Platform: "slack", Email: "Boss@example.com", UserID: "U1", Name: "Mari Maasikas", CheckedAt: at}); err != nil {
			t.Fatal(err)
		}
		st, err := s.DigestStats(ctx, p, "2026-10", time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Improvements.DoneItems) != 1 {
			t.Fatalf("done items %+v", st.Improvements.DoneItems)
		}
		d := st.Improvements.DoneItems[0]
		if d.ToldByEmail != 1 || d.ToldByPhone != 1 || d.NotYetTold != 2 || d.CannotTell != 1 || d.Linked != 5 || d.ToldOf() != 4 {
			t.Errorf("told: email %d, phone %d, not yet %d, cannot %d of %d", d.ToldByEmail, d.ToldByPhone, d.NotYetTold, d.CannotTell, d.Linked)
		}
		if d.Theme != "waiting" || d.Days != 11 || d.Before != 3 || d.After != 1 {
			t.Errorf("theme %q over %d days: %d before, %d after; want waiting over 11 days, 3 and 1", d.Theme, d.Days, d.Before, d.After)
		}
		if got := st.Name(d.Owner); got != "Mari Maasikas" {
			t.Errorf("owner shown as %q, want the directory's name", got)
		}
		if got := st.Name("nobody@example.com"); got != "nobody@example.com" {
			t.Errorf("unknown person shown as %q", got)
		}
	})
}

func linkedItem(t *testing.T, s *models.Store, caseID int64) int64 {
	t.Helper()
	var c models.Case
	if err := s.DB().Take(&c, caseID).Error; err != nil || c.ImprovementID == nil {
		t.Fatalf("case %d not linked: %v", caseID, err)
	}
	return *c.ImprovementID
}

// A month that is over counts its overdue cases as they stood at its end,
// not as they stand when the digest is built.
func TestDigestOverdueAtMonthEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := digestPolicy()
		p.Location = time.UTC
		p.Targets = models.Targets{NPS: ptr(30)}
		opened := time.Date(2026, 10, 20, 10, 0, 0, 0, time.UTC)
		var in []models.ResponseInput
		for i := 0; i < 3; i++ {
			in = append(in, models.ResponseInput{Source: "t", ExternalID: fmt.Sprintf("o%d", i), Score: 2, SubmittedAt: opened})
		}
		res := seed(t, s, p, true, in)
		// Overdue at the month's end, resolved in November.
		setCase(t, s, res[0].CaseID, map[string]any{"state": string(models.StateResolved), "thanked_at": opened.AddDate(0, 0, 15),
			"resolved_at": opened.AddDate(0, 0, 15), "closed_at": opened.AddDate(0, 0, 15)})
		// Resolved in time in October.
		setCase(t, s, res[1].CaseID, map[string]any{"state": string(models.StateResolved), "thanked_at": opened.Add(time.Hour),
			"resolved_at": opened.Add(2 * time.Hour), "closed_at": opened.Add(2 * time.Hour)})
		// res[2] stays open and overdue.
		st, err := s.DigestStats(context.Background(), p, "2026-10", time.Date(2026, 12, 15, 9, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if !st.AsOf.Equal(st.End) || st.Loop.OverdueNow != 2 {
			t.Errorf("as of %v: %d overdue, want 2 at the month's end", st.AsOf, st.Loop.OverdueNow)
		}
		if st.Targets.NPS == nil || *st.Teams[0].Targets.NPS != 30 {
			t.Error("targets not carried into the digest")
		}
		// Built within the month, the count is as of then: nothing is due yet.
		st, err = s.DigestStats(context.Background(), p, "2026-10", opened.Add(3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if st.Loop.OverdueNow != 0 {
			t.Errorf("%d overdue three hours after opening", st.Loop.OverdueNow)
		}
	})
}

func ptr(v float64) *float64 { return &v }
