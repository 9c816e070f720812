package teamsapp_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/bot/teams/teamsfake"
	"github.com/cxloop/cxloop/handlers/internal/apptest"
	"github.com/cxloop/cxloop/handlers/teamsapp"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// The same on Teams, each person's client set to the language.
func TestWholeTeamInLanguageOnTeams(t *testing.T) {
	for _, lang := range []string{"et", "pl", "ru"} {
		t.Run(lang, func(t *testing.T) {
			phrases := apptest.EnglishPhrases(lang)
			storetest.Each(t, func(t *testing.T, s *models.Store) {
				e := newTeamsEnv(t, s)
				e.p.Language = lang
				e.install()
				caseID := e.detractor("r1", "Kõne ei tulnud")
				e.deliver()
				var answers []string
				press := func(from string, data map[string]any) {
					t.Helper()
					resp := e.invokeIn(lang, from, data)
					answers = append(answers, fmt.Sprint(resp.Value))
					if card, ok := resp.Value.(map[string]any); ok {
						answers = append(answers, cardText(card))
					}
				}
				c := map[string]any{"caseId": caseID}
				with := func(verb string, kv ...string) map[string]any {
					m := map[string]any{"verb": verb}
					for k, v := range c {
						m[k] = v
					}
					for i := 0; i+1 < len(kv); i += 2 {
						m[kv[i]] = kv[i+1]
					}
					return m
				}
				press(liisID, with("take"))            // refused: jaan's
				press(teamsfake.AliceID, with("take")) // refused: already his
				press(teamsfake.AliceID, with("showContact"))
				press(liisID, with("showContact")) // refused
				press(teamsfake.AliceID, with("thank", "method", "call", "thankNote", "Vabandasin"))
				press(teamsfake.AliceID, with("resolve", "rootCause", "process", "resolution", " "))
				press(teamsfake.AliceID, with("resolve", "rootCause", "process", "resolution", "Helistasin", "systemic", "true"))
				press(teamsfake.AliceID, with("reopen")) // refused: a member
				press(mariID, with("reopen"))
				press(mariID, with("reopen")) // refused: not closed
				press(mariID, with("nonsense"))
				e.deliver()
				if _, err := s.Act(e.ctx, e.p, e.clock.Now(), caseID, "jaan@example.com",
					models.Op{Kind: models.OpResolve, RootCause: "process", Note: "Helistasin", Systemic: true}); err != nil {
					t.Fatal(err)
				}
				item := *e.caseOf(caseID).ImprovementID
				press(teamsfake.AliceID, map[string]any{"verb": "item.take", "itemId": item}) // refused
				press(mariID, map[string]any{"verb": "item.take", "itemId": item})
				press(mariID, map[string]any{"verb": "item.status", "itemId": item, fmt.Sprintf("itemStatus%d", item): "in_progress"})
				press(mariID, map[string]any{"verb": "item.status", "itemId": item, fmt.Sprintf("itemStatus%d", item): "in_progress"}) // refused
				// Someone the roster does not know writes to the bot.
				msg := e.fake.Fixture("message-channel-mention")
				msg["id"], msg["text"], msg["locale"] = "1767781900999", "<at>OpsBot</at> mine", lang
				msg["from"] = map[string]any{"id": "29:nobody"}
				msg["entities"] = msg["entities"].([]any)[:1]
				e.post(msg)
				e.deliver()

				texts := answers
				for _, call := range e.fake.Calls() {
					texts = append(texts, teamsfake.TextOf(call))
					if card := teamsfake.CardOf(call); card != nil {
						texts = append(texts, cardText(card))
					}
				}
				if found := apptest.EnglishIn(phrases, texts); len(found) > 0 {
					t.Errorf("a %s team reads English on Teams:\n%s", lang, strings.Join(found, "\n"))
				}
			})
		})
	}
}

// invokeIn presses a card button from a Teams client set to locale; data
// is the action's data with its verb.
func (e *teamsEnv) invokeIn(locale, from string, data map[string]any) teamsapp.InvokeResponse {
	e.t.Helper()
	verb, _ := data["verb"].(string)
	return e.invokeOK(locale, from, verb, data)
}
