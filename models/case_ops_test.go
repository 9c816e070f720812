package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

func opsPolicy() *models.Policy {
	p := testPolicy()
	p.Admins = []string{"cx.lead@example.com"}
	p.RootCauses = []string{"product", "price", "process", "staff"}
	return p
}

func openCase(t *testing.T, s *models.Store, p *models.Policy, id string) int64 {
	t.Helper()
	res, err := s.Ingest(context.Background(), p, time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC), []models.ResponseInput{detractor(id)}, models.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res[0].CaseID
}

func TestCaseLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := opsPolicy()
		ctx := context.Background()
		now := time.Date(2026, 10, 5, 11, 0, 0, 0, time.UTC)
		id := openCase(t, s, p, "life-1") // round-robin: jaan
		steps := []struct {
			actor   string
			op      models.Op
			state   models.CaseState
			owner   string
			refused bool
			field   string
		}{
			{"liis@example.com", models.Op{Kind: models.OpTake}, "", "", true, ""},                                            // a colleague's case
			{"liis@example.com", models.Op{Kind: models.OpAssign, Assignee: "liis@example.com"}, "", "", true, ""},            // members cannot reassign
			{"stranger@example.com", models.Op{Kind: models.OpNote, Note: "hi"}, "", "", true, ""},                            // outsiders only read
			{"boss@example.com", models.Op{Kind: models.OpAssign, Assignee: "nobody@example.com"}, "", "", false, "assignee"}, // not in the team
			{"boss@example.com", models.Op{Kind: models.OpAssign, Assignee: "liis@example.com"}, "assigned", "liis@example.com", false, ""},
			{"liis@example.com", models.Op{Kind: models.OpThank, Method: "pigeon"}, "", "", false, "method"},
			{"liis@example.com", models.Op{Kind: models.OpThank, Method: "call", Note: "apologised"}, "thanked", "liis@example.com", false, ""},
			{"jaan@example.com", models.Op{Kind: models.OpNote, Note: "I know this customer"}, "thanked", "liis@example.com", false, ""},
			{"liis@example.com", models.Op{Kind: models.OpResolve, RootCause: "weather", Note: "x"}, "", "", false, "root_cause"},
			{"liis@example.com", models.Op{Kind: models.OpResolve, RootCause: "process"}, "", "", false, "note"},
			{"liis@example.com", models.Op{Kind: models.OpResolve, RootCause: "process", Note: "Queue callback set up", Systemic: true}, "resolved", "liis@example.com", false, ""},
			{"liis@example.com", models.Op{Kind: models.OpReopen}, "", "", true, ""},
			{"cx.lead@example.com", models.Op{Kind: models.OpReopen}, "assigned", "liis@example.com", false, ""},
		}
		for i, st := range steps {
			v, err := s.Act(ctx, p, now, id, st.actor, st.op)
			_, refused := models.IsRefusal(err)
			var fe *models.FieldError
			switch {
			case st.refused:
				if !refused {
					t.Fatalf("step %d (%s by %s): err %v, want a refusal", i, st.op.Kind, st.actor, err)
				}
			case st.field != "":
				if !errors.As(err, &fe) || fe.Field != st.field {
					t.Fatalf("step %d (%s): err %v, want a field error on %s", i, st.op.Kind, err, st.field)
				}
			default:
				if err != nil {
					t.Fatalf("step %d (%s by %s): %v", i, st.op.Kind, st.actor, err)
				}
				if v.Case.State != st.state || v.Case.Owner != st.owner {
					t.Fatalf("step %d: state %s owner %s, want %s %s", i, v.Case.State, v.Case.Owner, st.state, st.owner)
				}
			}
		}
		v, _ := s.CaseView(ctx, id)
		var kinds []string
		for _, e := range v.Events {
			kinds = append(kinds, e.Kind)
		}
		want := []string{"opened", "assigned", "assign", "thank", "note", "resolve", "reopen"}
		if len(kinds) != len(want) {
			t.Fatalf("trail %v, want %v", kinds, want)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("trail %v, want %v", kinds, want)
			}
		}
		if v.Events[5].FromState != models.StateThanked || v.Events[5].ToState != models.StateResolved || v.Events[5].Actor != "liis@example.com" {
			t.Errorf("resolve event %+v", v.Events[5])
		}
		if v.Case.ImprovementID == nil {
			t.Error("a systemic resolution did not join the improvement backlog")
		}
		// refusals changed nothing: exactly one card update per accepted change
		var updates, dms int64
		s.DB().Model(&models.OutboxMessage{}).Where("case_id = ? AND kind = ?", id, models.KindCardUpdate).Count(&updates)
		s.DB().Model(&models.OutboxMessage{}).Where("case_id = ? AND kind = ? AND recipient = ?", id, models.KindCaseDM, "liis@example.com").Count(&dms)
		if updates != 5 || dms != 2 { // assigned to her, then reopened back to her
			t.Errorf("card updates %d (want 5), DMs to the owner %d (want 2)", updates, dms)
		}
	})
}

func TestTakeOpenCaseAndContact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := opsPolicy()
		p.Teams[0].Members = nil
		p.Teams[0].Managers = []string{"boss@example.com"}
		ctx := context.Background()
		id := openCase(t, s, p, "open-1")
		if _, err := s.Act(ctx, p, time.Now(), id, "boss@example.com", models.Op{Kind: models.OpTake}); err != nil {
			t.Fatalf("manager takes an open case: %v", err)
		}
		if _, err := s.Act(ctx, p, time.Now(), id, "jaan@example.com", models.Op{Kind: models.OpContact}); err == nil {
			t.Error("a non-member saw contact details")
		}
		if _, err := s.Act(ctx, p, time.Now(), id, "boss@example.com", models.Op{Kind: models.OpContact}); err != nil {
			t.Errorf("owner-manager refused contact: %v", err)
		}
		if _, err := s.Act(ctx, p, time.Now(), 9999, "boss@example.com", models.Op{Kind: models.OpTake}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("missing case: %v", err)
		}
	})
}
