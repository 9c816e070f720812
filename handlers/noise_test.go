package handlers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// dmTexts returns the texts posted to a person's DM with the bot.
func (h *slackHarness) dmTexts(userID string) []string {
	var out []string
	for _, c := range h.fake.Calls("chat.postMessage") {
		if strings.HasPrefix(c.Params.Get("channel"), "D") && h.dmOf(c.Params.Get("channel")) == userID {
			out = append(out, c.Params.Get("text"))
		}
	}
	return out
}

// dmOf tells whose DM a channel is, from the fake's conversations.open answers.
func (h *slackHarness) dmOf(channel string) string {
	for _, c := range h.fake.Calls("conversations.open") {
		if c.Params.Get("users") != "" && h.fake.DMChannel(c.Params.Get("users")) == channel {
			return c.Params.Get("users")
		}
	}
	return ""
}

func TestSlackSixRemindersArriveAsOneDMWithLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		h.pol.Teams[0].Members = []string{"jaan@example.com"}
		h.pol.SLA.RemindBefore = 4 * time.Hour
		var ins []models.ResponseInput
		for i := 0; i < 6; i++ {
			ins = append(ins, models.ResponseInput{ExternalID: "six-" + string(rune('a'+i)), Score: 3, Comment: "Slow"})
		}
		res := h.ingest(ins...)
		h.deliver()
		before := len(h.dmTexts("U0JAAN"))
		sweep := h.clock.Now().Add(21 * time.Hour) // 3 h before every thank-you
		got, err := h.store.SweepSLA(h.ctx, h.pol, sweep)
		if err != nil || got.Reminders != 6 || got.ReminderDMs != 1 {
			t.Fatalf("sweep %+v, %v; want 6 reminders in one DM", got, err)
		}
		h.clock.Set(sweep)
		h.deliver()
		dms := h.dmTexts("U0JAAN")[before:]
		if len(dms) != 1 {
			t.Fatalf("jaan got %d DMs, want 1: %q", len(dms), dms)
		}
		lines := strings.Split(dms[0], "\n")
		if len(lines) != 7 {
			t.Fatalf("the DM has %d lines, want an intro and six items:\n%s", len(lines), dms[0])
		}
		for i, r := range res {
			link := "https://fake.slack.test/archives/C0CONTACT/p" + strings.ReplaceAll(h.cardTS(r.CaseID, "C0CONTACT"), ".", "")
			if !strings.Contains(lines[i+1], link) {
				t.Errorf("line %d %q lacks the link to case %d's card", i+1, lines[i+1], r.CaseID)
			}
		}
	})
}

func TestSlackSameCustomerCardShowsBothScores(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		res := h.ingest(models.ResponseInput{ExternalID: "cust-1", Score: 2, Comment: "Slow", Customer: models.Customer{ID: "c-77"}})
		h.deliver()
		dmsBefore := len(h.fake.Calls("conversations.open"))
		again := h.ingest(models.ResponseInput{ExternalID: "cust-2", Score: 0, Comment: "Still no answer <!channel>", Customer: models.Customer{ID: "c-77"}})
		if again[0].CaseID != res[0].CaseID || again[0].CaseOpened {
			t.Fatalf("second response: %+v; want it joined to case %d", again[0], res[0].CaseID)
		}
		h.deliver()
		msg, ok := h.fake.Message("C0CONTACT", h.cardTS(res[0].CaseID, "C0CONTACT"))
		if !ok {
			t.Fatal("the card is gone")
		}
		blocks := strings.Join(slackfake.Call{Blocks: msg.Blocks}.BlockTexts(), "\n")
		for _, want := range []string{"NPS 2", "NPS 0", "Still no answer"} {
			if !strings.Contains(blocks, want) {
				t.Errorf("the refreshed card lacks %q:\n%s", want, blocks)
			}
		}
		if strings.Contains(blocks, "<!channel>") {
			t.Error("the customer's words mention the channel")
		}
		if n := len(h.fake.Calls("conversations.open")); n != dmsBefore {
			t.Errorf("the owner was DMed again (%d DM opens, want %d)", n, dmsBefore)
		}
		var thread int
		for _, c := range h.fake.Calls("chat.postMessage") {
			if c.Params.Get("thread_ts") == h.cardTS(res[0].CaseID, "C0CONTACT") && strings.Contains(c.Params.Get("text"), "NPS 0") {
				thread++
			}
		}
		if thread != 1 {
			t.Errorf("%d thread lines about the new answer, want 1", thread)
		}
	})
}
