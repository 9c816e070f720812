package teams_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/models"
)

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

func TestGoldenTeamsHuddle(t *testing.T) {
	for _, lang := range models.Languages {
		goldenCardFile(t, "card-huddle."+lang, teams.HuddleCard(goldenHuddle(lang)))
	}
}

// A day of hundreds of long comments still makes one card within Teams'
// limit, the cut lists saying how many were left out.
func TestTeamsHuddleFitsOnABadDay(t *testing.T) {
	h := goldenHuddle("ru")
	long := strings.Repeat("Очень долго ждал ответа в отделении банка. ", 40)
	h.Detractors, h.Praise = nil, nil
	for i := range 300 {
		h.Detractors = append(h.Detractors, models.HuddleDetractor{CaseID: int64(i + 1), Metric: "nps", Score: 1, Comment: long, Owner: "jaan@example.com", State: models.StateAssigned})
		h.Praise = append(h.Praise, models.HuddlePraise{Metric: "nps", Score: 10, Comment: long, Employee: fmt.Sprintf("p%d@example.com", i)})
	}
	card := teams.HuddleCard(h)
	if n := teams.CardSize(card); n > teams.MaxCardBytes {
		t.Fatalf("card is %d bytes, over %d", n, teams.MaxCardBytes)
	}
	b, _ := json.Marshal(card)
	if !strings.Contains(string(b), "…и ещё") {
		t.Errorf("the cut lists do not say how many were left out")
	}
}
