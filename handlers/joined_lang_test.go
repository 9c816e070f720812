package handlers_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/models"
)

// A customer's second answer reads in the team's language in the thread and
// on the card.
func TestJoinedResponseInTeamLanguage(t *testing.T) {
	r := &models.Response{Metric: "nps", Score: 3, Comment: "still slow"}
	tests := []struct{ lang, line, label string }{
		{"et", "Sama klient vastas uuesti: NPS 3 — „still slow“", "Vastas uuesti:"},
		{"pl", "Ten sam klient odpowiedział ponownie: NPS 3 — „still slow”", "Ponowna odpowiedź:"},
		{"ru", "Тот же клиент ответил снова: NPS 3 — «still slow»", "Повторный ответ:"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			if got := l10n.Render(tt.lang, *models.JoinedMessage(r)); got != tt.line {
				t.Errorf("thread line %q, want %q", got, tt.line)
			}
			c := bot.Card{Lang: tt.lang, CaseID: 7, Later: []bot.LaterResponse{{Metric: "nps", Score: 3, Comment: "still slow"}}}
			sl, _ := json.Marshal(cxslack.RenderCardWith(c, cxslack.RenderOptions{}))
			tm, _ := json.Marshal(teams.RenderCard(c, teams.RenderOptions{}))
			for name, b := range map[string][]byte{"slack": sl, "teams": tm} {
				if !strings.Contains(string(b), tt.label) || strings.Contains(string(b), "Answered again") {
					t.Errorf("%s card lacks %q", name, tt.label)
				}
			}
			if got := l10n.T(tt.lang, "contact.in_comment"); got == "In the comment" {
				t.Errorf("contact label is English in %s", tt.lang)
			}
		})
	}
}
