package teams_test

import (
	"github.com/cxloop/cxloop/bot"
	"testing"

	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/models"
)

func goldenItems() (open, closed []models.ImprovementSummary) {
	done := goldenAt.Add(-48 * 3600e9)
	item := func(id int64, title, status, owner string, linked, told int64) models.ImprovementSummary {
		it := models.ImprovementSummary{Linked: linked, Told: told}
		it.ID, it.Title, it.Status, it.Owner, it.RootCause = id, title, status, owner, "product"
		return it
	}
	open = []models.ImprovementSummary{
		item(7, "Callback queue drops calls "+goldenHostile, models.ImprovementInProgress, "mari@example.com", 12, 0),
		item(9, "Fees are explained nowhere", models.ImprovementProposed, "", 3, 0),
	}
	d := item(4, "Card limits reset at midnight", models.ImprovementDone, "mari@example.com", 5, 4)
	d.DoneAt = &done
	closed = []models.ImprovementSummary{d, item(2, "Paper statements", models.ImprovementDropped, "", 1, 0)}
	return open, closed
}

// TestGoldenBacklog pins the backlog card for a manager and for a member,
// and the fix_done confirmation, in every language.
func TestGoldenBacklog(t *testing.T) {
	open, closed := goldenItems()
	for _, lang := range models.Languages {
		goldenCardFile(t, "backlog-manager."+lang, teams.BacklogCard(open, closed, teams.BacklogOptions{Lang: lang, Viewer: "mari@example.com",
			Manage: true, Notice: "Improvement #9 \"Fees\" is now in progress.", MoreOpen: 2}))
		goldenCardFile(t, "backlog-member."+lang, teams.BacklogCard(open, closed, teams.BacklogOptions{Lang: lang, Viewer: "jaan@example.com", MoreClosed: 3}))
		goldenCardFile(t, "fix-done."+lang, teams.FixDoneForm(lang, open[0], []teams.FixDoneText{
			{Lang: "et", Customers: 8, Body: "Tere, {{.CustomerName}}!\n\n{{.WhatWasDone}}\n\n{{.OwnerName}}"},
			{Lang: "en", Customers: 4, Body: "Hello {{.CustomerName}},\n\n{{.WhatWasDone}}\n\n{{.OwnerName}}"}}))
	}
}

// TestGoldenMine pins "@cxloop mine": a case per state a person owns, each
// with its next step.
func TestGoldenMine(t *testing.T) {
	for _, lang := range models.Languages {
		var cards []bot.Card
		for _, st := range []models.CaseState{models.StateAssigned, models.StateThanked} {
			c := goldenCard(st, goldenHostile)
			c.Lang = lang
			cards = append(cards, c)
		}
		goldenCardFile(t, "mine."+lang, teams.RenderMine(lang, cards, 3, func(bot.Card) teams.RenderOptions { return goldenOptions }))
	}
}
