package teamsapp_test

import (
	"strings"
	"testing"

	"github.com/cxloop/cxloop/bot/teams/teamsfake"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

func TestTeamsAwayAndBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.install()
		say := func(id, text string) string {
			e.fake.Reset()
			msg := e.fake.Fixture("message-channel-mention")
			msg["id"], msg["text"] = id, "<at>OpsBot</at> "+text
			msg["from"] = map[string]any{"id": teamsfake.AliceID, "name": "Jaan Tamm"}
			msg["entities"] = msg["entities"].([]any)[:1]
			if rec := e.post(msg); rec.Code != 200 {
				t.Fatalf("%s: %d", text, rec.Code)
			}
			var b strings.Builder
			for _, c := range e.fake.Calls() {
				b.WriteString(teamsfake.TextOf(c))
			}
			return b.String()
		}
		if got := say("1767781900001", "away until 2026-10-09"); !strings.Contains(got, "away until 9 Oct 2026") {
			t.Fatalf("away answer: %s", got)
		}
		if away, _, _ := s.AwayState(e.ctx, "jaan@example.com", e.clock.Now()); !away {
			t.Fatal("@cxloop away did not mark jaan away")
		}
		if c := e.caseOf(e.detractor("ta-1", "slow")); c.Owner != "liis@example.com" {
			t.Errorf("a new case went to %s while jaan is away", c.Owner)
		}
		if got := say("1767781900002", "back"); !strings.Contains(got, "Welcome back") {
			t.Fatalf("back answer: %s", got)
		}
		if away, _, _ := s.AwayState(e.ctx, "jaan@example.com", e.clock.Now()); away {
			t.Error("@cxloop back left jaan away")
		}
	})
}
