package teamsapp_test

import (
	"strings"

	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/handlers/teamsapp"
)

// teamsCard is a case card as one person sees it in Teams: the view the bot
// answers to the card's refresh, which Teams sends for the people in
// refresh.userIds when they open the card.
type teamsCard struct {
	e      *teamsEnv
	caseID int64
	from   string
	card   map[string]any
}

// cardFor is the case's card as the person with Teams id from sees it.
func (e *teamsEnv) cardFor(caseID int64, from string) teamsCard {
	e.t.Helper()
	rec, resp := e.execute(from, teams.VerbRefresh, caseID, nil)
	card, ok := resp.Value.(map[string]any)
	if rec.Code != 200 || resp.Type != teamsapp.InvokeCard || !ok {
		e.t.Fatalf("refresh of case %d for %s: %d %s", caseID, from, rec.Code, rec.Body)
	}
	return teamsCard{e: e, caseID: caseID, from: from, card: card}
}

// teamsAction is a button of a card: an Action.Execute, or the submit of
// the form an Action.ShowCard opens.
type teamsAction struct {
	c     teamsCard
	title string
	verb  string
	data  map[string]any
}

// actions are the card's buttons, in order, wherever they sit.
func (c teamsCard) actions() []teamsAction {
	var out []teamsAction
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			title, _ := v["title"].(string)
			switch v["type"] {
			case "Action.Execute":
				verb, _ := v["verb"].(string)
				data, _ := v["data"].(map[string]any)
				out = append(out, teamsAction{c: c, title: title, verb: verb, data: data})
				return
			case "Action.ShowCard":
				// The button opens a form; pressing it means filling the form
				// and sending it with its one submit.
				form := teamsCard{e: c.e, caseID: c.caseID, from: c.from, card: v["card"].(map[string]any)}
				for _, a := range form.actions() {
					a.title = title
					out = append(out, a)
					break
				}
				return
			}
			for _, k := range []string{"body", "items", "columns", "actions"} {
				walk(v[k])
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(c.card)
	return out
}

// titles are the card's button titles in order.
func (c teamsCard) titles() []string {
	var out []string
	for _, a := range c.actions() {
		out = append(out, a.title)
	}
	return out
}

// action is the card's button titled title; the test fails without one.
func (c teamsCard) action(title string) teamsAction {
	c.e.t.Helper()
	for _, a := range c.actions() {
		if a.title == title {
			return a
		}
	}
	c.e.t.Fatalf("case %d's card for %s has no button %q; it has %s", c.caseID, c.from, title, strings.Join(c.titles(), ", "))
	return teamsAction{}
}

// press sends the button as Teams does, with the form's inputs by id.
func (a teamsAction) press(inputs map[string]any) teamsapp.InvokeResponse {
	a.c.e.t.Helper()
	data := map[string]any{}
	for k, v := range a.data {
		data[k] = v
	}
	for k, v := range inputs {
		data[k] = v
	}
	rec, resp := a.c.e.execute(a.c.from, a.verb, a.c.caseID, data)
	if rec.Code != 200 {
		a.c.e.t.Fatalf("%q on case %d: %d %s", a.title, a.c.caseID, rec.Code, rec.Body)
	}
	return resp
}
