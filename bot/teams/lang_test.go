package teams_test

import (
	"flag"
	"github.com/cxloop/cxloop/bot/internal/goldenfile"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/models"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func langCard(lang string) bot.Card {
	due := time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)
	return bot.Card{
		CaseID: 42, Segment: models.SegmentDetractor, Metric: models.MetricNPS, Score: 3,
		TeamID: "contact-center", TeamName: "Contact Center", Touchpoint: "call-center", Source: "web-survey",
		Attributes: []bot.Attribute{{Name: "country", Value: "EE"}},
		Comment:    "Ootasin 40 minutit telefonil.", CustomerName: "Kadri K.", MaskedEmail: models.MaskEmail("kadri@example.com"),
		Owner: "liis@example.com", State: models.StateAssigned, Overdue: true,
		ThankYouDue: due, ResolutionDue: due.Add(48 * time.Hour), Themes: []string{"waiting"}, SubmittedAt: due.Add(-24 * time.Hour),
		Actions: bot.ActionsFor(models.StateAssigned, true), Lang: lang,
		Labels: map[string]map[string]string{"waiting": {"et": "Ootamine", "pl": "Oczekiwanie", "ru": "Ожидание"}},
	}
}

// One case as an Adaptive Card in each language.
func TestCardGoldenEveryLanguage(t *testing.T) {
	for _, lang := range models.Languages {
		t.Run(lang, func(t *testing.T) {
			card := teams.RenderCard(langCard(lang), teams.RenderOptions{Assignees: []string{"jaan@example.com", "liis@example.com"},
				RootCauses: []string{"price"}, RootCauseLabel: func(id string) string {
					return map[string]string{"et": "Hind", "pl": "Cena", "ru": "Цена"}[lang] + "/" + id
				}})
			goldenfile.JSON(t, filepath.Join("testdata", "card."+lang+".json"), card, *update)
		})
	}
}

// Teams' 28 KB holds in every language, for every state's actions.
func TestCardSizeEveryLanguage(t *testing.T) {
	for _, lang := range models.Languages {
		for _, st := range []models.CaseState{models.StateOpen, models.StateAssigned, models.StateThanked, models.StateResolved} {
			c := langCard(lang)
			c.State, c.Actions, c.CaseID = st, bot.ActionsFor(st, false), 9999999
			c.Comment = strings.Repeat("Ждал ответа очень долго, никто не перезвонил. ", 400)
			for i := 0; i < 100; i++ {
				c.Attributes = append(c.Attributes, bot.Attribute{Name: "атрибут" + strings.Repeat("я", i%40), Value: strings.Repeat("ж", 300)})
			}
			var people []string
			for i := 0; i < 200; i++ {
				people = append(people, strings.Repeat("p", 40)+"@example.com")
			}
			card := teams.RenderCard(c, teams.RenderOptions{Assignees: people, RootCauses: []string{"price", "product"}})
			if n := teams.CardSize(card); n > teams.MaxCardBytes {
				t.Errorf("%s %s: card is %d bytes, over %d", lang, st, n, teams.MaxCardBytes)
			}
		}
	}
}
