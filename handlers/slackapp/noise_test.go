package slackapp_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/jobs"
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

func TestSlackBurstRollsUpBeyondTheBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		web := &h.pol.Teams[1]
		web.Burst = 5
		var ins []models.ResponseInput
		for i := 0; i < 30; i++ {
			ins = append(ins, models.ResponseInput{ExternalID: fmt.Sprintf("burst-%02d", i), Score: i % 7,
				Comment: fmt.Sprintf("Checkout broke again, attempt %d <!here>", i), Touchpoint: "web"})
		}
		res := h.ingest(ins...)
		h.deliver()
		var top, threaded, rollups []slackfake.Call
		for _, c := range h.fake.Calls("chat.postMessage") {
			if c.Params.Get("channel") != "C0WEB" {
				continue
			}
			switch {
			case c.Params.Get("thread_ts") == "" && len(c.Blocks) > 0 && strings.Contains(callText(c), "Take it"):
				top = append(top, c)
			case c.Params.Get("thread_ts") == "" && len(c.Blocks) == 0:
				rollups = append(rollups, c)
			case c.Params.Get("thread_ts") != "" && len(c.Blocks) > 0:
				threaded = append(threaded, c)
			}
		}
		if len(top) != 5 || len(rollups) != 1 || len(threaded) != 25 {
			t.Fatalf("%d top-level cards, %d roll-ups, %d cards in threads; want 5, 1, 25", len(top), len(rollups), len(threaded))
		}
		rollup := rollups[0].Params.Get("text")
		if !strings.HasPrefix(rollup, "25 more new cases this minute") || strings.Count(rollup, "\n• #") != 25 {
			t.Errorf("the roll-up does not list the 25 others:\n%s", rollup)
		}
		if strings.Contains(rollup, "<!here>") {
			t.Error("the roll-up lets a comment mention the channel")
		}
		var rollupTS string
		for ts := range map[string]bool{threaded[0].Params.Get("thread_ts"): true} {
			rollupTS = ts
		}
		for _, c := range threaded {
			if c.Params.Get("thread_ts") != rollupTS {
				t.Fatalf("a card went to thread %s, not the roll-up's", c.Params.Get("thread_ts"))
			}
		}
		// Every case has its full card, and one in the thread works as any card.
		for _, r := range res {
			h.cardTS(r.CaseID, "C0WEB")
		}
		last := res[29].CaseID
		ts := h.cardTS(last, "C0WEB")
		if m, _ := h.fake.Message("C0WEB", ts); m.ThreadTS != rollupTS {
			t.Fatalf("case %d's card is not in the roll-up's thread", last)
		}
		rec := h.serve(h.press("U0MARI", "case.take", last, "C0WEB", ts))
		if rec.Code != 200 {
			t.Fatalf("take on a threaded card: %d", rec.Code)
		}
		if got := h.caseOf(last); got.Owner != "mari@example.com" {
			t.Fatalf("take on a threaded card left owner %q", got.Owner)
		}
		h.deliver()
		if m, _ := h.fake.Message("C0WEB", ts); m.Updates != 1 {
			t.Errorf("the threaded card was updated %d times, want 1", m.Updates)
		}
		m, _ := h.fake.Message("C0WEB", rollupTS)
		if m.Updates != 1 || !strings.Contains(m.Text, "mari@example.com") {
			t.Errorf("the roll-up was not updated with the new owner (%d updates):\n%s", m.Updates, m.Text)
		}
		var line bool
		for _, c := range h.fake.Calls("chat.postMessage") {
			if c.Params.Get("thread_ts") == rollupTS && strings.Contains(c.Params.Get("text"), "took the case") {
				line = true
			}
		}
		if !line {
			t.Error("the threaded card's history line is missing from the roll-up's thread")
		}
	})
}

func TestSlackAwayCover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		cc := &h.pol.Teams[0]
		cc.Champion = "liis@example.com"
		h.pol.SLA.RemindBefore = 4 * time.Hour
		first := h.ingest(models.ResponseInput{ExternalID: "away-1", Score: 2, Comment: "Slow"})
		if h.caseOf(first[0].CaseID).Owner != "jaan@example.com" {
			t.Fatalf("the first case went to %s", h.caseOf(first[0].CaseID).Owner)
		}
		// Jaan goes on holiday through Friday.
		if got := callText(h.slash("U0JAAN", "away until 2026-10-09")); !strings.Contains(got, "away until 9 Oct 2026") {
			t.Fatalf("away answer: %s", got)
		}
		if got := callText(h.slash("U0JAAN", "mine")); !strings.Contains(got, "You are away until 9 Oct 2026") {
			t.Errorf("/cx mine does not show the away state: %s", got)
		}
		// Round robin skips him: both new cases go to liis.
		more := h.ingest(models.ResponseInput{ExternalID: "away-2", Score: 3}, models.ResponseInput{ExternalID: "away-3", Score: 1})
		for _, r := range more {
			if o := h.caseOf(r.CaseID).Owner; o != "liis@example.com" {
				t.Errorf("case %d went to %s while jaan is away", r.CaseID, o)
			}
		}
		h.deliver()
		// His thank-you comes due: it moves to the champion, once.
		sweep := h.clock.Now().Add(21 * time.Hour)
		for i := 0; i < 2; i++ {
			res, err := h.store.SweepSLA(h.ctx, h.pol, sweep.Add(time.Duration(i)*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if want := 1 - i; res.Covered != want {
				t.Errorf("sweep %d moved %d cases, want %d", i, res.Covered, want)
			}
		}
		if o := h.caseOf(first[0].CaseID).Owner; o != "liis@example.com" {
			t.Fatalf("jaan's due case is with %s, want the champion", o)
		}
		h.clock.Set(sweep)
		h.deliver()
		var line bool
		for _, c := range h.fake.Calls("chat.postMessage") {
			if c.Params.Get("thread_ts") == h.cardTS(first[0].CaseID, "C0CONTACT") && strings.Contains(c.Params.Get("text"), "moved to liis@example.com") {
				line = true
			}
		}
		if !line {
			t.Error("no thread line says the case moved")
		}
		// Back: the rotation includes him again, and one DM lists what moved.
		dms := len(h.dmTexts("U0JAAN"))
		if got := callText(h.slash("U0JAAN", "back")); !strings.Contains(got, "Welcome back") {
			t.Fatalf("back answer: %s", got)
		}
		h.deliver()
		got := h.dmTexts("U0JAAN")[dms:]
		if len(got) != 1 || !strings.Contains(got[0], fmt.Sprintf("case #%d is now with liis@example.com", first[0].CaseID)) {
			t.Fatalf("back DMs %q; want one listing the moved case", got)
		}
		owners := map[string]int{}
		for _, r := range h.ingest(models.ResponseInput{ExternalID: "away-4", Score: 2}, models.ResponseInput{ExternalID: "away-5", Score: 2}) {
			owners[h.caseOf(r.CaseID).Owner]++
		}
		if owners["jaan@example.com"] != 1 {
			t.Errorf("after back the rotation gave %v, want jaan one", owners)
		}
	})
}

func TestSlackStatusMarksAway(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		h.pol.Away = models.AwayStatus{Emoji: []string{":palm_tree:"}, Words: []string{"vacation", "puhkusel"}}
		h.fake.SetStatus("U0JAAN", "", "Puhkusel kuni reedeni")
		if err := jobs.SyncAwayStatus(h.ctx, h.store, h.pol, h.msgr, h.clock.Now(), nil); err != nil {
			t.Fatal(err)
		}
		if len(h.fake.Calls("users.profile.get")) == 0 {
			t.Fatal("no users.profile.get")
		}
		for _, r := range h.ingest(models.ResponseInput{ExternalID: "st-1", Score: 2}, models.ResponseInput{ExternalID: "st-2", Score: 2}) {
			if o := h.caseOf(r.CaseID).Owner; o != "liis@example.com" {
				t.Errorf("case %d went to %s while jaan's status says away", r.CaseID, o)
			}
		}
		h.fake.SetStatus("U0JAAN", ":coffee:", "Lunch")
		if err := jobs.SyncAwayStatus(h.ctx, h.store, h.pol, h.msgr, h.clock.Now(), nil); err != nil {
			t.Fatal(err)
		}
		if away, _, _ := h.store.AwayState(h.ctx, "jaan@example.com", h.clock.Now()); away {
			t.Error("jaan is still away after his status changed")
		}
		// The command is stronger than a status: /cx away stays when the status clears.
		if got := callText(h.slash("U0JAAN", "away until 2026-10-30")); !strings.Contains(got, "away until") {
			t.Fatal(got)
		}
		if err := jobs.SyncAwayStatus(h.ctx, h.store, h.pol, h.msgr, h.clock.Now(), nil); err != nil {
			t.Fatal(err)
		}
		if away, _, _ := h.store.AwayState(h.ctx, "jaan@example.com", h.clock.Now()); !away {
			t.Error("a plain status ended an absence set with /cx away")
		}
	})
}
