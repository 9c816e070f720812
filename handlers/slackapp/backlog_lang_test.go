package slackapp_test

import (
	"fmt"
	"strings"
	"testing"

	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// What a change of the Slack backlog answers reads in the team's language:
// refusals, input errors and the outcome heading the refreshed list.
func TestSlackBacklogOutcomesInTeamLanguage(t *testing.T) {
	tests := []struct {
		lang                                            string
		onlyManagers, taken, yours, noTitle, status, no string
	}{
		{"et", "Parendusi saavad muuta ainult administraatorid ja tiimijuhid.", "Nüüd vastutad sina parenduse #%d „",
			"Parendus #%d on juba sinu vastutada.", "Parendusel peab olema pealkiri.", "olek on nüüd „töös“.", "Parendust #999 ei ole."},
		{"pl", "Pozycje listy usprawnień mogą zmieniać tylko administratorzy i kierownicy zespołów.", "Jesteś teraz opiekunem usprawnienia #%d „",
			"Już jesteś opiekunem usprawnienia #%d.", "Usprawnienie musi mieć tytuł.", "ma teraz status „w toku”.", "Nie ma usprawnienia #999."},
		{"ru", "Менять пункты списка улучшений могут только администраторы и руководители команд.", "Теперь вы отвечаете за улучшение #%d «",
			"Вы уже отвечаете за улучшение #%d.", "У улучшения должно быть название.", "теперь в статусе «в работе».", "Улучшения #999 нет."},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *models.Store) {
				h := newSlackHarness(t, s)
				h.pol.Language = tt.lang
				h.systemic("process", models.ResponseInput{ExternalID: "p1", Score: 1, Comment: "queue"})
				items, err := s.Improvements(h.ctx, models.ImprovementFilter{})
				if err != nil || len(items) != 1 {
					t.Fatalf("backlog %+v %v", items, err)
				}
				id := items[0].ID
				h.deliver()

				h.serve(h.press("U0JAAN", cxslack.ActionItemTake, id, "C0CONTACT", "1790000000.000100"))
				if e := h.ephemerals("U0JAAN"); len(e) != 1 || e[0] != tt.onlyManagers {
					t.Errorf("member was told %q, want %q", e, tt.onlyManagers)
				}
				h.serve(h.press("U0MARI", cxslack.ActionItemTake, id, "C0CONTACT", "1790000000.000100"))
				hooks := h.hookCalls("actions/U0MARI")
				if want := fmt.Sprintf(tt.taken, id); len(hooks) != 1 || !strings.Contains(blockText(hooks[0]), want) {
					t.Errorf("after take the backlog lacks %q: %+v", want, hooks)
				}
				h.serve(h.press("U0MARI", cxslack.ActionItemTake, id, "C0CONTACT", "1790000000.000100"))
				if e, want := h.ephemerals("U0MARI"), fmt.Sprintf(tt.yours, id); len(e) != 1 || e[0] != want {
					t.Errorf("second take was told %q, want %q", e, want)
				}

				h.serve(h.press("U0MARI", cxslack.ActionItemRename, id, "C0CONTACT", "1790000000.000100"))
				_, view := h.openedView()
				rec := h.serve(h.submitView("U0MARI", cxslack.ModalItemRename, view["private_metadata"].(string),
					map[string]map[string]any{"item_title": {"item_title_input": map[string]any{"type": "plain_text_input", "value": " "}}}))
				if want := fmt.Sprintf(`"item_title":%q`, tt.noTitle); !strings.Contains(rec.Body.String(), want) {
					t.Errorf("empty title answered %s, want %s", rec.Body, want)
				}

				h.serve(h.press("U0MARI", cxslack.ActionItemStatus, id, "C0CONTACT", "1790000000.000100"))
				_, view = h.openedView()
				h.serve(h.submitView("U0MARI", cxslack.ModalItemStatus, view["private_metadata"].(string), map[string]map[string]any{
					"item_status": {"item_status_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": models.ImprovementInProgress}}}}))
				hooks = h.hookCalls("actions/U0MARI")
				if last := blockText(hooks[len(hooks)-1]); !strings.Contains(last, tt.status) {
					t.Errorf("after the status change the backlog lacks %q: %s", tt.status, last)
				}

				h.serve(h.press("U0MARI", cxslack.ActionItemTake, 999, "C0CONTACT", "1790000000.000100"))
				if e := h.ephemerals("U0MARI"); e[len(e)-1] != tt.no {
					t.Errorf("unknown item: %q, want %q", e[len(e)-1], tt.no)
				}
			})
		})
	}
}
