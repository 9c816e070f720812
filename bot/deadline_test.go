package bot_test

import (
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/models"
)

func TestDeadlineLineOnTheClock(t *testing.T) {
	tallinn, err := time.LoadLocation("Europe/Tallinn")
	if err != nil {
		t.Fatal(err)
	}
	// Monday 5 Oct 2026, 11:00 in Tallinn.
	now := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	thank := time.Date(2026, 10, 5, 11, 0, 0, 0, time.UTC)  // 14:00 Tallinn, in 3 h
	resolve := time.Date(2026, 10, 8, 7, 0, 0, 0, time.UTC) // Thu 10:00 Tallinn
	base := bot.Card{CaseID: 7, State: models.StateAssigned, Owner: "jaan@example.com", ThankYouDue: thank,
		ResolutionDue: resolve, Location: tallinn, Now: now, TeamID: "cc",
		Names: map[string]string{"mari.maasikas@example.com": "Mari"}}
	escalated := []bot.Escalation{{Followup: models.FollowupThankYou, Due: thank, At: thank.Add(3 * time.Hour),
		To: []string{"mari.maasikas@example.com"}}}
	tests := []struct {
		name, lang string
		edit       func(*bot.Card)
		want       string
	}{
		{"both ahead", "en", func(*bot.Card) {}, "Thank by 14:00 (in 3 h) · Resolve by Thu 10:00 (in 3 days)"},
		{"both ahead, Estonian", "et", func(*bot.Card) {}, "Tänada hiljemalt 14:00 (3 h pärast) · Lahendada hiljemalt N 10:00 (3 päeva pärast)"},
		{"both ahead, Polish", "pl", func(*bot.Card) {}, "Podziękować do 14:00 (za 3 godz.) · Rozwiązać do czw. 10:00 (za 3 dni)"},
		{"both ahead, Russian", "ru", func(*bot.Card) {}, "Поблагодарить до 14:00 (через 3 ч) · Решить до чт 10:00 (через 3 дня)"},
		{"minutes left", "en", func(c *bot.Card) { c.Now = thank.Add(-40 * time.Minute) }, "Thank by 14:00 (in 40 min) · Resolve by Thu 10:00 (in 3 days)"},
		{"thanked: only the resolution", "en", func(c *bot.Card) {
			c.State = models.StateThanked
			c.ThankedAt = &now
		}, "Resolve by Thu 10:00 (in 3 days)"},
		{"thank-you late, managers not told yet", "en", func(c *bot.Card) { c.Now = thank.Add(5 * time.Hour) },
			"Thank-you 5 h overdue · Resolve by Thu 10:00 (in 3 days)"},
		{"thank-you late and escalated", "en", func(c *bot.Card) { c.Now, c.Escalations = thank.Add(5*time.Hour), escalated },
			"Thank-you 5 h overdue — escalated to Mari 2 h ago · Resolve by Thu 10:00 (in 3 days)"},
		{"escalated, Estonian", "et", func(c *bot.Card) { c.Now, c.Escalations = thank.Add(5*time.Hour), escalated },
			"Tänamine on 5 h hilinenud — 2 h tagasi teavitati: Mari · Lahendada hiljemalt N 10:00 (3 päeva pärast)"},
		{"escalated, Polish", "pl", func(c *bot.Card) { c.Now, c.Escalations = thank.Add(5*time.Hour), escalated },
			"Podziękowanie spóźnione o 5 godz. — zgłoszono 2 godz. temu: Mari · Rozwiązać do czw. 10:00 (za 3 dni)"},
		{"escalated, Russian", "ru", func(c *bot.Card) { c.Now, c.Escalations = thank.Add(5*time.Hour), escalated },
			"Благодарность просрочена на 5 ч — 2 ч назад передано: Mari · Решить до чт 10:00 (через 3 дня)"},
		{"an escalation from before a reopen does not count", "en", func(c *bot.Card) {
			c.Now = thank.Add(5 * time.Hour)
			c.Escalations = []bot.Escalation{{Followup: models.FollowupThankYou, At: thank.Add(-72 * time.Hour), To: []string{"x@example.com"}}}
		}, "Thank-you 5 h overdue · Resolve by Thu 10:00 (in 3 days)"},
		{"resolution late", "en", func(c *bot.Card) {
			c.State, c.ThankedAt, c.Now = models.StateThanked, &now, resolve.Add(26*time.Hour)
			c.Escalations = []bot.Escalation{{Followup: models.FollowupResolution, At: resolve.Add(time.Hour), To: []string{"mari.maasikas@example.com", "peeter.paan@example.com"}}}
		}, "Resolution 26 h overdue — escalated to Mari, Peeter Paan 25 h ago"},
		{"closed: nothing due", "en", func(c *bot.Card) { c.State = models.StateResolved }, ""},
		{"no clock: absolute only", "en", func(c *bot.Card) { c.Now = time.Time{} }, "Thank by 5 Oct 14:00 · Resolve by 8 Oct 10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			c.Lang = tt.lang
			tt.edit(&c)
			if got := c.DeadlineLine(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestSeverityTellsZeroFromThree(t *testing.T) {
	marker := func(m models.Metric, score int) string {
		return bot.SeverityOf(models.SegmentDetractor, m, score).Marker()
	}
	if marker(models.MetricNPS, 0) == marker(models.MetricNPS, 3) {
		t.Errorf("NPS 0 and 3 both show %s", marker(models.MetricNPS, 0))
	}
	if marker(models.MetricNPS, 3) == marker(models.MetricNPS, 6) {
		t.Errorf("NPS 3 and 6 both show %s", marker(models.MetricNPS, 3))
	}
	if marker(models.MetricCSAT, 1) == marker(models.MetricCSAT, 2) {
		t.Error("CSAT 1 and 2 look the same")
	}
	c := bot.Card{CaseID: 9, Segment: models.SegmentDetractor, Metric: models.MetricNPS, Score: 0, TeamName: "Contact Center", Lang: "en"}
	if got, want := c.Header(), "🔴 NPS 0 · Case #9 · Contact Center"; got != want {
		t.Errorf("header %q, want %q", got, want)
	}
}

func TestNextStepFirst(t *testing.T) {
	tests := []struct {
		state models.CaseState
		owned bool
		want  bot.Action
	}{
		{models.StateOpen, false, bot.ActionTake},
		{models.StateAssigned, true, bot.ActionThank},
		{models.StateAssigned, false, bot.ActionTake},
		{models.StateThanked, true, bot.ActionResolve},
		{models.StateResolved, true, bot.ActionReopen},
		{models.StateNoContact, true, bot.ActionReopen},
	}
	for _, tt := range tests {
		c := bot.Card{State: tt.state, Actions: bot.ActionsFor(tt.state, tt.owned)}
		if got, ok := c.Primary(); !ok || got != tt.want {
			t.Errorf("%s (owned %v): primary %q, want %q", tt.state, tt.owned, got, tt.want)
		}
	}
}
