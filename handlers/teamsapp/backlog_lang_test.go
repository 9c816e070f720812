package teamsapp_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/bot/teams/teamsfake"
	"github.com/cxloop/cxloop/handlers/teamsapp"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// The Teams backlog card says the same outcomes in the reader's language.
func TestTeamsBacklogOutcomesInTeamLanguage(t *testing.T) {
	tests := []struct{ lang, refused, taken, status string }{
		{"et", "Parendusi saavad muuta ainult administraatorid ja tiimijuhid.", "Nüüd vastutad sina parenduse #", "olek on nüüd „töös“."},
		{"pl", "Pozycje listy usprawnień mogą zmieniać tylko administratorzy i kierownicy zespołów.", "Jesteś teraz opiekunem usprawnienia #", "ma teraz status „w toku”."},
		{"ru", "Менять пункты списка улучшений могут только администраторы и руководители команд.", "Теперь вы отвечаете за улучшение #", "теперь в статусе «в работе»."},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *models.Store) {
				e := newTeamsEnv(t, s)
				e.p.Language = tt.lang
				e.install()
				item := e.systemicItem("tb-1")
				e.deliver()
				if resp := e.executeItemIn(tt.lang, teamsfake.AliceID, "item.take", item, nil); fmt.Sprint(resp.Value) != tt.refused {
					t.Errorf("member's take answered %q, want %q", resp.Value, tt.refused)
				}
				if card := cardText(asCard(t, e.executeItemIn(tt.lang, mariID, "item.take", item, nil))); !strings.Contains(card, tt.taken) {
					t.Errorf("after take the card lacks %q: %s", tt.taken, card)
				}
				resp := e.executeItemIn(tt.lang, mariID, "item.status", item, map[string]any{fmt.Sprintf("itemStatus%d", item): "in_progress"})
				if card := cardText(asCard(t, resp)); !strings.Contains(card, tt.status) {
					t.Errorf("after the status change the card lacks %q: %s", tt.status, card)
				}
			})
		})
	}
}

// executeItemIn presses a backlog card button from a Teams client set to
// locale (the fixture's when empty).
func (e *teamsEnv) executeItemIn(locale, from, verb string, itemID int64, inputs map[string]any) teamsapp.InvokeResponse {
	e.t.Helper()
	data := map[string]any{"itemId": itemID}
	for k, v := range inputs {
		data[k] = v
	}
	return e.invokeOK(locale, from, verb, data)
}
