package slack_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/models"
)

// goldenHuddle is a day with detractors (one without a case, one with a
// hostile comment), a passive and promoters, one naming an employee.
func goldenHuddle(lang string) bot.Huddle {
	d := models.HuddleDay{TeamID: "cc", Day: "2026-10-04", Responses: 6,
		NPS: models.NPS{Promoters: 2, Passives: 1, Detractors: 3},
		Detractors: []models.HuddleDetractor{
			{CaseID: 41, Metric: "nps", Score: 2, Comment: "Waited 40 minutes on the phone and nobody called back.", Owner: "jaan@example.com", State: models.StateAssigned},
			{CaseID: 42, Metric: "nps", Score: 0, Comment: goldenHostile, State: models.StateOpen},
			{Metric: "nps", Score: 5, Comment: "The fee was wrong."},
		},
		Praise: []models.HuddlePraise{
			{Metric: "nps", Score: 10, Comment: "Liis solved it in five minutes!\nThank you.", Employee: "liis@example.com"},
			{Metric: "nps", Score: 9, Comment: "Quick and friendly " + goldenHostile},
		}}
	return bot.NewHuddle(d, "Contact Center", lang, time.UTC)
}

func TestGoldenSlackHuddle(t *testing.T) {
	for _, lang := range models.Languages {
		h := goldenHuddle(lang)
		goldenPayload(t, "message-huddle."+lang, message{Text: cxslack.Escape(h.Title()),
			Blocks: cxslack.HuddleBlocks(h, map[string]string{"liis@example.com": "<@U0LIIS>"})})
	}
}

// The praised employee is mentioned; customer words never mention anyone;
// the owner is named, not pinged.
func TestSlackHuddleEscapes(t *testing.T) {
	h := goldenHuddle("en")
	var all bytes.Buffer
	enc := json.NewEncoder(&all)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cxslack.HuddleBlocks(h, map[string]string{"liis@example.com": "<@U0LIIS>"})); err != nil {
		t.Fatal(err)
	}
	got := all.String()
	for _, want := range []string{"Thanks go to <@U0LIIS>.", "&lt;!channel&gt;", "#41 · NPS 2", "jaan@example.com", "no case", "NPS of the day: -17 (from 6 answers)"} {
		if !strings.Contains(got, want) {
			t.Errorf("huddle lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<!channel>") || strings.Contains(got, "<@jaan") {
		t.Errorf("huddle mentions someone it must not:\n%s", got)
	}
}
