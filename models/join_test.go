package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

func TestSameCustomerJoinsTheOpenCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p := opsPolicy()
		now := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
		first := detractor("join-1")
		first.Customer = models.Customer{ID: "c-77", Email: "kadri@example.com"}
		res, err := s.Ingest(ctx, p, now, []models.ResponseInput{first}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		caseID := res[0].CaseID
		msgsBefore := count(t, s, "outbox_messages")
		second := detractor("join-2")
		second.Score, second.Comment = 1, "Still waiting for the refund"
		second.Customer = models.Customer{ID: "c-77", Email: "other@example.com"}
		// The same customer by email only (no id given) joins too.
		third := detractor("join-3")
		third.Score, third.Comment = 4, "Nobody called"
		third.Customer = models.Customer{Email: "KADRI@example.com"}
		// Another customer with the same email but another id is someone else.
		stranger := detractor("join-4")
		stranger.Customer = models.Customer{ID: "c-99", Email: "kadri@example.com"}
		res, err = s.Ingest(ctx, p, now.Add(time.Hour), []models.ResponseInput{second, third, stranger}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].CaseID != caseID || res[0].CaseOpened || res[1].CaseID != caseID || res[1].CaseOpened {
			t.Fatalf("results %+v; want both joined to case %d", res, caseID)
		}
		if !res[2].CaseOpened || res[2].CaseID == caseID {
			t.Errorf("another customer id joined the case: %+v", res[2])
		}
		if n := count(t, s, "cases"); n != 2 {
			t.Errorf("%d cases, want 2", n)
		}
		var dms int64
		s.DB().Model(&models.OutboxMessage{}).Where("kind = ? AND case_id = ? AND id > ?", models.KindCaseDM, caseID, msgsBefore).Count(&dms)
		if dms != 0 {
			t.Errorf("%d new DMs for the joined case, want none", dms)
		}
		var lines []models.OutboxMessage
		s.DB().Where("kind = ? AND case_id = ?", models.KindThreadReply, caseID).Order("id").Find(&lines)
		if len(lines) != 2 || !strings.Contains(lines[0].Text, "NPS 1") || !strings.Contains(lines[0].Text, "Still waiting for the refund") {
			t.Fatalf("thread lines %v; want one per joined response with its score and comment", lines)
		}
		v, err := s.CaseView(ctx, caseID)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Joined) != 2 || v.Joined[0].Score != 1 || v.Joined[1].Score != 4 || v.Response.Score != 2 {
			t.Errorf("the case shows scores %d and %+v; want 2, then 1 and 4", v.Response.Score, v.Joined)
		}
		// Every response is stored and counted.
		if n := count(t, s, "responses"); n != 4 {
			t.Errorf("%d responses stored, want 4", n)
		}
		// Once the case is resolved, the customer's next answer opens a new case.
		if _, err := s.Act(ctx, p, now.Add(2*time.Hour), caseID, "cx.lead@example.com",
			models.Op{Kind: models.OpResolve, RootCause: "process", Note: "refunded"}); err != nil {
			t.Fatal(err)
		}
		again := detractor("join-5")
		again.Customer = models.Customer{ID: "c-77"}
		res, err = s.Ingest(ctx, p, now.Add(3*time.Hour), []models.ResponseInput{again}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].CaseOpened || res[0].CaseID == caseID {
			t.Errorf("after resolution: %+v, want a new case", res[0])
		}
	})
}

func TestSameCustomerTwiceInOneBatchOpensOneCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := opsPolicy()
		a, b := detractor("batch-1"), detractor("batch-2")
		a.Customer, b.Customer = models.Customer{ID: "c-1"}, models.Customer{ID: "c-1"}
		res, err := s.Ingest(context.Background(), p, time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC), []models.ResponseInput{a, b}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].CaseOpened || res[1].CaseOpened || res[1].CaseID != res[0].CaseID {
			t.Fatalf("results %+v; want one case both answers point at", res)
		}
		if n := count(t, s, "cases"); n != 1 {
			t.Errorf("%d cases, want 1", n)
		}
	})
}
