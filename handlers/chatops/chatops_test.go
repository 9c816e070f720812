package chatops_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// contactCenterPolicy is one team, Contact Center: Jaan and Liis its
// members, Mari its manager, cards and DMs on the log transport.
func contactCenterPolicy() *models.Policy {
	return &models.Policy{
		Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(), RootCauses: []string{"process"},
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"jaan@example.com", "liis@example.com"},
			Managers: []string{"mari@example.com"}, Assign: models.AssignRoundRobin,
			Destinations: []models.Destination{{Transport: "log", Channel: "cc"}}}},
		SLA: models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour}, DMTransports: []string{"log"},
	}
}

// jaansCase opens a detractor case, which round robin gives to Jaan.
func jaansCase(t *testing.T, s *models.Store, p *models.Policy, now time.Time) int64 {
	t.Helper()
	res, err := s.Ingest(context.Background(), p, now, []models.ResponseInput{
		{Source: "web", ExternalID: "a", Metric: "nps", Score: 2, Comment: "slow", SubmittedAt: now},
	}, models.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res[0].CaseID
}

func TestChatOps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := contactCenterPolicy()
		clock := models.NewFixedClock(time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC))
		ctx := context.Background()
		res, err := s.Ingest(ctx, p, clock.Now(), []models.ResponseInput{
			{Source: "web", ExternalID: "a", Metric: "nps", Score: 2, Comment: "slow", SubmittedAt: clock.Now()},
			{Source: "web", ExternalID: "b", Metric: "nps", Score: 3, Comment: "fees", SubmittedAt: clock.Now()},
		}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		first := res[0].CaseID // jaan's
		ops := &chatops.ChatOps{Store: s, Policy: p, Clock: clock}
		people := map[string]string{"<@U0LIIS>": "liis@example.com"}
		resolve := func(_ context.Context, ref string) (string, error) {
			if e, ok := people[ref]; ok {
				return e, nil
			}
			return "", errors.New("unknown")
		}
		tests := []struct {
			actor, line string
			want        string
			cards       int
		}{
			{"jaan@example.com", "mine", "You have 1 open case", 1},
			{"mari@example.com", "mine", "You have no open cases", 0},
			{"jaan@example.com", "", "Commands:", 0},
			{"jaan@example.com", "frobnicate", `I don't know "frobnicate"`, 0},
			{"jaan@example.com", "show", "Usage: show CASE", 0},
			{"jaan@example.com", "show abc", "Usage: show CASE", 0},
			{"jaan@example.com", "show 999", "There is no case #999.", 0},
			{"jaan@example.com", "show #1", "Case #1 — history:", 1},
			{"jaan@example.com", "assign 1 <@U0LIIS>", "Only managers of Contact Center can reassign.", 0},
			{"mari@example.com", "assign 1 <@U0NOBODY>", "I could not tell who <@U0NOBODY> is", 0},
			{"mari@example.com", "assign 1", "Usage: assign CASE @person", 0},
			{"mari@example.com", "assign 1 <@U0LIIS>", "Case #1 is now assigned to liis@example.com.", 0},
			{"liis@example.com", "mine", "You have 2 open cases", 2},
			{"jaan@example.com", "note 1 called twice, no answer", "Note added to case #1.", 0},
			{"outsider@example.com", "note 1 hello", "Only members of Contact Center can add notes", 0},
			{"mari@example.com", "team", "Contact Center: 2 open cases, 0 overdue, 0 without an owner.", 0},
			{"jaan@example.com", "team nowhere", `There is no team "nowhere". Teams: cc.`, 0},
			{"jaan@example.com", "digest 2026-13", "Usage: digest [YYYY-MM]", 0},
			{"liis@example.com", "told 1 called back", "Case #1 has no finished improvement to tell the customer about.", 0},
			{"liis@example.com", "told", "Usage: told CASE [TEXT]", 0},
		}
		for _, tt := range tests {
			r := ops.Run(ctx, tt.actor, tt.line, resolve)
			if !strings.Contains(r.Text, tt.want) || len(r.Cards) != tt.cards {
				t.Errorf("%s: %q → %q with %d cards; want %q with %d", tt.actor, tt.line, r.Text, len(r.Cards), tt.want, tt.cards)
			}
		}
		v, _ := s.CaseView(ctx, first)
		if v.Case.Owner != "liis@example.com" || v.Events[len(v.Events)-1].Detail != "note: called twice, no answer" {
			t.Errorf("after commands: owner %s, last event %+v", v.Case.Owner, v.Events[len(v.Events)-1])
		}
	})
}
