package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// systemicCases opens detractor cases and resolves them as systemic with
// the root cause, returning their ids.
func systemicCases(t *testing.T, s *models.Store, p *models.Policy, at time.Time, rootCause string, ins ...models.ResponseInput) []int64 {
	t.Helper()
	for i := range ins {
		ins[i].Normalize(at)
	}
	res, err := s.Ingest(context.Background(), p, at, ins, models.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range res {
		v, err := s.CaseView(context.Background(), r.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Act(context.Background(), p, at.Add(time.Hour), r.CaseID, v.Case.Owner,
			models.Op{Kind: models.OpResolve, RootCause: rootCause, Note: "explained and refunded", Systemic: true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.CaseID)
	}
	return ids
}

func outbox(t *testing.T, s *models.Store, kind models.OutboxKind) []models.OutboxMessage {
	t.Helper()
	var out []models.OutboxMessage
	if err := s.DB().Where("kind = ?", kind).Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImprovementDoneClosesTheOuterLoop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p := digestPolicy()
		at := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
		no := false
		ids := systemicCases(t, s, p, at, "process",
			models.ResponseInput{Source: "t", ExternalID: "a", Score: 1, Comment: "queue", Customer: models.Customer{Name: "Kadri K."}},
			models.ResponseInput{Source: "t", ExternalID: "b", Score: 2, Comment: "queue", Customer: models.Customer{Name: "Peeter P."}},
			models.ResponseInput{Source: "t", ExternalID: "c", Score: 3, Comment: "queue", Customer: models.Customer{Name: "Anna A."}},
			models.ResponseInput{Source: "t", ExternalID: "d", Score: 3, Touchpoint: "web", Comment: "slow page", Customer: models.Customer{Name: "Mari M."}},
			models.ResponseInput{Source: "t", ExternalID: "e", Score: 3, Comment: "do not call", Customer: models.Customer{Name: "Private", ContactOK: &no}},
		)
		items, err := s.Improvements(ctx, models.ImprovementFilter{})
		if err != nil || len(items) != 1 || items[0].Linked != 5 || items[0].Status != models.ImprovementProposed {
			t.Fatalf("backlog %+v, %v", items, err)
		}
		id := items[0].ID
		now := at.Add(48 * time.Hour)

		// Roles: a member may not; a manager may.
		if _, err := s.ActOnImprovement(ctx, p, now, id, "jaan@example.com", models.ItemOp{Kind: models.ItemOpTake}); !isRefusal(err) {
			t.Errorf("a member took an item: %v", err)
		}
		steps := []struct {
			actor string
			op    models.ItemOp
			field string
			ok    bool
		}{
			{"boss@example.com", models.ItemOp{Kind: models.ItemOpTake}, "", true},
			{"boss@example.com", models.ItemOp{Kind: models.ItemOpTake}, "", false}, // already theirs
			{"web.boss@example.com", models.ItemOp{Kind: models.ItemOpRename, Title: "  "}, "title", false},
			{"web.boss@example.com", models.ItemOp{Kind: models.ItemOpRename, Title: "Call-back instead of  the queue"}, "", true},
			{"boss@example.com", models.ItemOp{Kind: models.ItemOpStatus, Status: "shipped"}, "status", false},
			{"boss@example.com", models.ItemOp{Kind: models.ItemOpStatus, Status: "in_progress"}, "", true},
		}
		for i, st := range steps {
			_, err := s.ActOnImprovement(ctx, p, now, id, st.actor, st.op)
			var fe *models.FieldError
			switch {
			case st.ok && err != nil:
				t.Fatalf("step %d: %v", i, err)
			case st.field != "" && (!errors.As(err, &fe) || fe.Field != st.field):
				t.Fatalf("step %d: %v, want a field error on %s", i, err, st.field)
			case !st.ok && st.field == "" && !isRefusal(err):
				t.Fatalf("step %d: %v, want a refusal", i, err)
			}
		}

		// Two managers mark it done at once: one wins, each owner hears once.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, who := range []string{"boss@example.com", "cx.lead@example.com"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.ActOnImprovement(ctx, p, now, id, who, models.ItemOp{Kind: models.ItemOpStatus, Status: "done"})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) || !(isRefusal(errs[0]) || isRefusal(errs[1])) {
			t.Fatalf("concurrent done: %v / %v, want one success and one refusal", errs[0], errs[1])
		}
		if _, err := s.ActOnImprovement(ctx, p, now, id, "boss@example.com", models.ItemOp{Kind: models.ItemOpStatus, Status: "in_progress"}); !isRefusal(err) {
			t.Errorf("a done item moved back: %v", err)
		}
		item, _ := s.Improvement(ctx, id)
		if item.Status != models.ImprovementDone || item.DoneAt == nil || item.Title != "Call-back instead of the queue" || item.Owner != "boss@example.com" {
			t.Errorf("item %+v", item)
		}

		dms := outbox(t, s, models.KindFixDoneDM)
		byOwner := map[string]string{}
		for _, m := range dms {
			if _, dup := byOwner[m.Recipient]; dup {
				t.Errorf("%s got two DMs", m.Recipient)
			}
			byOwner[m.Recipient] = m.Text
		}
		// Round robin gave Contact Center's cases to jaan, liis, jaan, (private: liis); Web Shop's to mari.
		if len(byOwner) != 3 {
			t.Fatalf("DMs to %v, want jaan, liis and mari", byOwner)
		}
		if !strings.Contains(byOwner["jaan@example.com"], "Kadri K.") || !strings.Contains(byOwner["jaan@example.com"], "Anna A.") ||
			!strings.Contains(byOwner["jaan@example.com"], "you said, we did") && !strings.Contains(byOwner["jaan@example.com"], "You said, we did") {
			t.Errorf("jaan's DM: %s", byOwner["jaan@example.com"])
		}
		for who, text := range byOwner {
			if strings.Contains(text, "Private") {
				t.Errorf("%s was asked to call a customer who refused contact", who)
			}
		}
		ann := outbox(t, s, models.KindImprovementDone)
		if len(ann) != 2 || ann[0].Channel != "cc" || ann[1].Channel != "web" || !strings.Contains(ann[0].Text, "Call-back instead of the queue") {
			t.Errorf("announcements %+v", ann)
		}
		open, err := s.FixFollowUps(ctx, "")
		if err != nil || len(open) != 4 {
			t.Fatalf("open follow-ups %d, %v; want 4", len(open), err)
		}

		// The third follow-up: only the owner (or a manager) marks it.
		first := ids[0]
		if _, err := s.MarkCustomerTold(ctx, p, now, first, "mari@example.com", ""); !isRefusal(err) {
			t.Errorf("another team's member marked it: %v", err)
		}
		v, err := s.MarkCustomerTold(ctx, p, now.Add(time.Hour), first, "jaan@example.com", "called, she was pleased")
		if err != nil {
			t.Fatal(err)
		}
		if v.Case.CustomerToldAt == nil || v.Events[len(v.Events)-1].Kind != "customer_told" {
			t.Errorf("case after telling: %+v", v.Case)
		}
		if _, err := s.MarkCustomerTold(ctx, p, now, first, "jaan@example.com", ""); !isRefusal(err) {
			t.Errorf("told twice: %v", err)
		}
		if _, err := s.MarkCustomerTold(ctx, p, now, ids[4], "cx.lead@example.com", ""); !isRefusal(err) {
			t.Errorf("told a customer who refused contact: %v", err)
		}
		mine, _ := s.FixFollowUps(ctx, "jaan@example.com")
		if len(mine) != 1 {
			t.Errorf("jaan's open follow-ups %+v", mine)
		}
		item, _ = s.Improvement(ctx, id)
		if item.Told != 1 || item.Linked != 5 {
			t.Errorf("counts %+v", item)
		}
		// Nothing is sent twice: a second done attempt is refused before any message.
		before := len(outbox(t, s, models.KindFixDoneDM))
		_, _ = s.ActOnImprovement(ctx, p, now, id, "cx.lead@example.com", models.ItemOp{Kind: models.ItemOpStatus, Status: "done"})
		if after := len(outbox(t, s, models.KindFixDoneDM)); after != before {
			t.Errorf("DMs %d → %d after a second done", before, after)
		}
	})
}

func TestImprovementBacklogOrderAndDigest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p := digestPolicy()
		p.Location = time.UTC
		at := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
		mk := func(prefix string, n int) []models.ResponseInput {
			var out []models.ResponseInput
			for i := 0; i < n; i++ {
				out = append(out, models.ResponseInput{Source: "t", ExternalID: fmt.Sprintf("%s%d", prefix, i), Score: 2, SubmittedAt: at})
			}
			return out
		}
		systemicCases(t, s, p, at, "price", mk("pr", 1)...)
		systemicCases(t, s, p, at, "process", mk("ps", 3)...)
		systemicCases(t, s, p, at, "product", mk("pd", 2)...)
		items, err := s.Improvements(ctx, models.ImprovementFilter{})
		if err != nil || len(items) != 3 || items[0].RootCause != "process" || items[1].RootCause != "product" || items[2].Linked != 1 {
			t.Fatalf("backlog %+v %v", items, err)
		}
		if _, err := s.ActOnImprovement(ctx, p, at, items[1].ID, "cx.lead@example.com", models.ItemOp{Kind: models.ItemOpStatus, Status: "done"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ActOnImprovement(ctx, p, at, items[2].ID, "cx.lead@example.com", models.ItemOp{Kind: models.ItemOpStatus, Status: "in_progress"}); err != nil {
			t.Fatal(err)
		}
		st, err := s.DigestStats(ctx, p, "2026-10", at.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		im := st.Improvements
		// linkImprovement stamps items with the resolution time (October).
		if im.Opened != 3 || im.InProgress != 1 || im.Done != 1 || len(im.Top) != 2 || im.Top[0].RootCause != "process" || im.Top[0].Linked != 3 {
			t.Errorf("digest outer loop %+v", im)
		}
	})
}

func isRefusal(err error) bool {
	_, ok := models.IsRefusal(err)
	return ok
}
