package slack_test

import (
	"github.com/cxloop/cxloop/bot/internal/goldenfile"
	"path/filepath"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/models"
)

// goldenPayload compares a payload with testdata/golden/NAME.json, the
// file the card check of .ci/run passes through Slack's own types. NAME
// starts with its kind: message-, modal- or home-.
func goldenPayload(t *testing.T, name string, payload any) {
	t.Helper()
	goldenfile.JSON(t, filepath.Join("testdata", "golden", name+".json"), payload, *update)
}

// message is a chat.postMessage payload as the Messenger sends it.
type message struct {
	Text   string          `json:"text"`
	Blocks []slackgo.Block `json:"blocks,omitempty"`
}

var (
	goldenAt      = time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
	goldenHostile = "<!channel> @here *bold* _it_ `code` <https://evil.example|click> & {{DATE(2026-01-01T00:00:00Z)}} 😡"
)

func goldenCard(state models.CaseState, comment string) bot.Card {
	thanked, resolved := goldenAt.Add(3*time.Hour), goldenAt.Add(30*time.Hour)
	c := bot.Card{CaseID: 42, Segment: "detractor", Metric: "nps", Score: 2, TeamID: "cc", TeamName: "Contact Center",
		Touchpoint: "phone", Source: "delighted", Comment: comment, CustomerName: "Kadri K.", MaskedEmail: "k***@example.com",
		MaskedPhone: "+372 ***0101", State: state, ThankYouDue: goldenAt.Add(24 * time.Hour), ResolutionDue: goldenAt.Add(72 * time.Hour),
		Themes: []string{"waiting", "fees"}, SubmittedAt: goldenAt, Now: goldenAt.Add(21 * time.Hour),
		Names:      map[string]string{"jaan@example.com": "Jaan Tamm", "mari@example.com": "Mari"},
		Attributes: []bot.Attribute{{Name: "branch", Value: "Tallinn"}, {Name: "plan", Value: "Gold"}}}
	switch state {
	case models.StateAssigned:
		// Thank-you 5 h overdue, escalated to Mari 2 h ago.
		c.Owner, c.Overdue, c.Now = "jaan@example.com", true, goldenAt.Add(29*time.Hour)
		c.Escalations = []bot.Escalation{{Followup: models.FollowupThankYou, Due: c.ThankYouDue, At: goldenAt.Add(27 * time.Hour),
			To: []string{"mari@example.com"}}}
	case models.StateThanked:
		c.Owner, c.ThankedAt = "jaan@example.com", &thanked
	case models.StateResolved:
		c.Owner, c.ThankedAt, c.ResolvedAt = "jaan@example.com", &thanked, &resolved
		c.RootCause, c.Resolution = "process", "Refunded the fee and fixed the callback queue."
	case models.StateNoContact:
		c.Owner = "jaan@example.com"
	}
	c.Actions = bot.ActionsFor(state, c.Owner != "")
	return c
}

func withID(c bot.Card, id int64) bot.Card {
	c.CaseID = id
	return c
}

// Every payload in every language: translations are longer than English
// and must stay within the limits too.
func TestGoldenSlackPayloads(t *testing.T) {
	for _, lang := range models.Languages {
		t.Run(lang, func(t *testing.T) { goldenSlackPayloads(t, lang) })
	}
}

func goldenSlackPayloads(t *testing.T, lang string) {
	gp := func(t *testing.T, name string, payload any) { goldenPayload(t, name+"."+lang, payload) }
	long := strings.Repeat("Ootasin kolm nädalat 😡 ", 200)
	cards := map[string]bot.Card{
		"open":       goldenCard(models.StateOpen, "Waited 40 minutes on the phone."),
		"assigned":   goldenCard(models.StateAssigned, goldenHostile),
		"thanked":    goldenCard(models.StateThanked, "Nobody called back.\nSecond line."),
		"resolved":   goldenCard(models.StateResolved, "The fee was wrong."),
		"no-contact": goldenCard(models.StateNoContact, ""),
		"long":       goldenCard(models.StateOpen, long),
	}
	for name, c := range cards {
		c.Lang = lang
		cards[name] = c
	}
	for name, c := range cards {
		gp(t, "message-card-"+name, message{Text: cxslack.FallbackText(c),
			Blocks: cxslack.RenderCardWith(c, cxslack.RenderOptions{OwnerID: "U0JAAN"})})
	}
	gp(t, "message-reply-cards", message{Text: "Your open cases",
		Blocks: cxslack.ReplyBlocks(lang, "*Your open cases* (2)", cxslack.CompactCard(cards["assigned"], "reply", cxslack.RenderOptions{}),
			cxslack.CompactCard(withID(cards["thanked"], 43), "reply", cxslack.RenderOptions{}))})
	gp(t, "message-text", message{Text: cxslack.Escape("Case #42 is yours. " + goldenHostile)})
	gp(t, "message-dm-summary", message{Text: cxslack.Escape("Case #42 is yours.") + "\n" + cxslack.Summary(cards["assigned"])})
	gp(t, "message-kudos", message{Text: cxslack.KudosText(lang, models.Response{Metric: "nps", Score: 10, Touchpoint: "branch",
		Comment: "Jaan was wonderful! " + goldenHostile}, "<@U0JAAN>")})

	summary := "NPS digest — October 2026\nNPS 12 (±8), up 4 on September\nInner loop: 40 of 42 thanked on time; median 3 h\n" +
		"You said, we did: Fix the fee issues customers report (done; 30 of 34 customers told)\nThemes: fees 12, waiting 9 & " + goldenHostile
	gp(t, "message-digest", message{Text: "NPS digest — October 2026",
		Blocks: cxslack.DigestBlocks(bot.DigestPost{Title: "NPS digest — October 2026", Summary: summary, ReportURL: "https://cx.example.com/digests/2026-10.html?token=1800000000.abc"}, true)})

	done := goldenAt.Add(-48 * time.Hour)
	open := []models.ImprovementSummary{
		{ImprovementItem: models.ImprovementItem{ID: 1, Title: "Fix the fee issues customers report", RootCause: "pricing", Owner: "mari@example.com",
			Status: models.ImprovementInProgress, CreatedAt: goldenAt, UpdatedAt: goldenAt}, Linked: 34},
		{ImprovementItem: models.ImprovementItem{ID: 2, Title: "Callback queue " + goldenHostile, RootCause: "process",
			Status: models.ImprovementProposed, CreatedAt: goldenAt, UpdatedAt: goldenAt}, Linked: 3},
	}
	closed := []models.ImprovementSummary{
		{ImprovementItem: models.ImprovementItem{ID: 3, Title: "Fix the app crashes", RootCause: "product", Owner: "mari@example.com",
			Status: models.ImprovementDone, CreatedAt: goldenAt, UpdatedAt: goldenAt, DoneAt: &done}, Linked: 5, Told: 4},
	}
	for name, manage := range map[string]bool{"manager": true, "member": false} {
		gp(t, "message-backlog-"+name, message{Text: cxslack.BacklogFallback(lang, len(open), ""),
			Blocks: cxslack.BacklogBlocks(open, closed, cxslack.BacklogOptions{Lang: lang, Viewer: "mari@example.com", Manage: manage,
				OwnerIDs: map[string]string{"mari@example.com": "U0MARI"}, Notice: "Item #1 is in progress.", MoreOpen: 2})})
	}
	gp(t, "message-backlog-empty", message{Text: cxslack.BacklogFallback(lang, 0, ""),
		Blocks: cxslack.BacklogBlocks(nil, nil, cxslack.BacklogOptions{Lang: lang, Viewer: "jaan@example.com"})})

	gp(t, "modal-assign", cxslack.AssignModal(lang, 42, "Contact Center "+goldenHostile, "U0JAAN", "42"))
	mail := cxslack.EmailForm{Offer: models.EmailAllowed, Draft: &models.Draft{Language: "et", Subject: "Aitäh tagasiside eest",
		Body: "Tere, Kadri!\n\nSuur aitäh, et andsite meile tagasisidet.\n\nParimate soovidega\nLiis\nKlienditugi"}}
	gp(t, "modal-thank", cxslack.ThankModal(lang, 42, models.ThankMethods, "42", mail))
	gp(t, "modal-resolve", cxslack.ResolveModal(lang, 42, []string{"process", "product", "pricing"}, nil, "42", mail))
	gp(t, "modal-no-contact", cxslack.NoContactModal(lang, 42, models.NoContactReasons, "42"))
	gp(t, "modal-item-status", cxslack.ItemStatusModal(lang, open[0], "1",
		cxslack.FixDoneText{Lang: "et", Customers: 15, Body: "Tere, {{.CustomerName}}!\n\n{{.WhatWasDone}}\n\n{{.OwnerName}}"}))
	gp(t, "modal-item-rename", cxslack.ItemRenameModal(lang, open[1], "2"))

	gp(t, "home", cxslack.HomeView(lang, "*Hello, Jaan.* Your cases and your teams' at a glance.", []cxslack.HomeSection{
		{Key: "mine", Title: "Your open cases", Empty: "You have no open cases. 🎉", Cards: []bot.Card{cards["assigned"], withID(cards["thanked"], 43)}, More: 3},
		{Key: "overdue", Title: "Overdue in your teams", Empty: "Nothing is overdue."},
	}, map[string]string{"jaan@example.com": "U0JAAN"}))
}
