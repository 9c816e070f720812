package bot

import (
	"strings"

	"github.com/cxloop/cxloop/models"
)

// ForViewer is the card as one person sees it: only the buttons the role
// checks let them use (a member no Assign or Reopen, the owner their
// follow-ups, a manager everything). Someone outside the team gets the
// read-only view, without any button.
func (c Card) ForViewer(p *models.Policy, viewer string) Card {
	if p == nil {
		return c
	}
	viewer = strings.TrimSpace(viewer)
	c.Actions = allowedActions(c, p, []string{viewer})
	c.ReadOnly = len(c.Actions) == 0 && !inTeam(p, c.TeamID, viewer)
	return c
}

// ForChannel is the card everyone in the channel sees: the buttons some
// member of the team (or the owner) may use. Manager-only actions are left
// to the views refreshed for the managers, where a member would only meet
// a refusal.
func (c Card) ForChannel(p *models.Policy) Card {
	if p == nil {
		return c
	}
	var people []string
	if t, ok := p.Team(c.TeamID); ok {
		people = append(people, t.Members...)
	}
	if c.Owner != "" {
		people = append(people, c.Owner)
	}
	c.Actions = allowedActions(c, p, people)
	return c
}

// allowedActions keeps the card's actions that one of people may use, in
// the card's order (the next step stays first).
func allowedActions(c Card, p *models.Policy, people []string) []Action {
	cs := &models.Case{ID: c.CaseID, TeamID: c.TeamID, Owner: c.Owner, State: c.State}
	out := []Action{}
	for _, a := range c.Actions {
		for _, who := range people {
			if who != "" && p.Authorize(who, a, cs) == nil {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

func inTeam(p *models.Policy, teamID, email string) bool {
	if email == "" {
		return false
	}
	if p.IsAdmin(email) {
		return true
	}
	t, ok := p.Team(teamID)
	return ok && (t.IsMember(email) || t.IsManager(email))
}
