package teamsapp_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/bot/teams/teamsfake"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// formInputs returns the input ids of the ShowCard form whose button has
// the verb, as a person's client would send them.
func formInputs(t *testing.T, card map[string]any, verb string) map[string]map[string]any {
	t.Helper()
	var found map[string]map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "Action.ShowCard" {
				sub, _ := x["card"].(map[string]any)
				acts, _ := sub["actions"].([]any)
				for _, a := range acts {
					if am, _ := a.(map[string]any); am["verb"] == verb {
						found = map[string]map[string]any{}
						body, _ := sub["body"].([]any)
						for _, in := range body {
							if im, _ := in.(map[string]any); im["id"] != nil {
								found[im["id"].(string)] = im
							}
						}
					}
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(card)
	if found == nil {
		t.Fatalf("no %s form on the card: %s", verb, cardText(card))
	}
	return found
}

// inputOf is the id of the form's input of a type.
func inputOf(t *testing.T, form map[string]map[string]any, typ string) string {
	t.Helper()
	for id, in := range form {
		if in["type"] == typ {
			return id
		}
	}
	t.Fatalf("form has no %s: %v", typ, form)
	return ""
}

// TestTeamsCardFormsAsAPersonUsesThem fills the card's forms through the ids
// the card itself gives, as Teams sends them back.
func TestTeamsCardFormsAsAPersonUsesThem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.install()
		comment := strings.Repeat("Kolm nädalat ootasin 😡 ", 200) + "THE END"
		caseID := e.detractor("long", comment)
		e.fake.Reset()
		e.deliver()
		posts := callsWhere(e.fake.Calls(), isChannelPost)
		if len(posts) != 1 || teamsfake.CardOf(posts[0]) == nil {
			t.Fatalf("want one card in the channel, got %+v", e.fake.Calls())
		}
		card := teamsfake.CardOf(posts[0])
		js := cardText(card)
		if strings.Contains(js, "THE END") || !strings.Contains(js, "The comment was shortened.") || !strings.Contains(js, `"verb":"full_comment"`) {
			t.Fatalf("a long comment is not shown as shortened with a way to the whole: %.600s", js)
		}

		// A required choice starts empty; sent without one, the form is
		// answered with an error and the case stays as it was.
		resolve := formInputs(t, card, "resolve")
		choice := resolve[inputOf(t, resolve, "Input.ChoiceSet")]
		if _, preset := choice["value"]; preset {
			t.Fatalf("the root cause is preselected: %v", choice)
		}
		resolution := inputOf(t, resolve, "Input.Text")
		_, resp := e.execute(teamsfake.AliceID, "resolve", caseID, map[string]any{resolution: "refunded the fee"})
		if resp.Type != "application/vnd.microsoft.activity.message" || !strings.Contains(fmt.Sprint(resp.Value), "root cause") {
			t.Fatalf("resolve without a root cause: %+v", resp)
		}
		if c := e.caseOf(caseID); c.State != models.StateAssigned || c.RootCause != "" {
			t.Fatalf("a refused resolve changed the case: %+v", c)
		}

		// The thank-you note is read from the thank-you form's own input.
		thank := formInputs(t, card, "thank")
		_, resp = e.execute(teamsfake.AliceID, "thank", caseID, map[string]any{
			inputOf(t, thank, "Input.ChoiceSet"): "call", inputOf(t, thank, "Input.Text"): "apologised for the wait"})
		if resp.Type != "application/vnd.microsoft.card.adaptive" {
			t.Fatalf("thank: %+v", resp)
		}
		v, _ := s.CaseView(e.ctx, caseID)
		noted := false
		for _, ev := range v.Events {
			noted = noted || ev.Kind == "thank" && strings.Contains(ev.Detail, "apologised for the wait")
		}
		if !noted {
			t.Fatalf("the thank-you note was lost: %+v", v.Events)
		}

		// "Show full comment" sends the whole comment privately.
		e.fake.Reset()
		_, resp = e.execute(teamsfake.AliceID, "full_comment", caseID, nil)
		private := callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return c.Conversation == "a:personal-"+teamsfake.AliceID })
		if resp.Type != "application/vnd.microsoft.activity.message" || len(private) != 1 ||
			!strings.Contains(teamsfake.TextOf(private[0]), "THE END") {
			t.Fatalf("full comment: %+v, %+v", resp, e.fake.Calls())
		}
	})
}
