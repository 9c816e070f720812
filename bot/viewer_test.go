package bot_test

import (
	"slices"
	"testing"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/models"
)

func TestCardViews(t *testing.T) {
	p := &models.Policy{Admins: []string{"boss@example.com"}, Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center",
		Members: []string{"jaan@example.com", "liis@example.com"}, Managers: []string{"mari@example.com"}}}}
	card := func(state models.CaseState, owner string) bot.Card {
		return bot.Card{CaseID: 7, TeamID: "cc", State: state, Owner: owner, Actions: bot.ActionsFor(state, owner != "")}
	}
	A := func(a ...bot.Action) []bot.Action { return a }
	for _, tt := range []struct {
		name     string
		card     bot.Card
		viewer   string // "channel" for the channel card
		want     []bot.Action
		readOnly bool
	}{
		{"open, member", card(models.StateOpen, ""), "liis@example.com", A(bot.ActionTake), false},
		{"open, manager", card(models.StateOpen, ""), "mari@example.com", A(bot.ActionTake, bot.ActionAssign, bot.ActionNoContact, bot.ActionShowContact), false},
		{"open, admin", card(models.StateOpen, ""), "Boss@example.com", A(bot.ActionTake, bot.ActionAssign, bot.ActionNoContact, bot.ActionShowContact), false},
		{"open, outsider", card(models.StateOpen, ""), "eve@example.com", A(), true},
		{"open, unknown", card(models.StateOpen, ""), "", A(), true},
		{"open, channel", card(models.StateOpen, ""), "channel", A(bot.ActionTake), false},
		{"assigned, owner", card(models.StateAssigned, "jaan@example.com"), "JAAN@example.com",
			A(bot.ActionThank, bot.ActionResolve, bot.ActionNoContact, bot.ActionShowContact), false},
		{"assigned, other member", card(models.StateAssigned, "jaan@example.com"), "liis@example.com", A(), false},
		{"assigned, channel", card(models.StateAssigned, "jaan@example.com"), "channel",
			A(bot.ActionThank, bot.ActionResolve, bot.ActionNoContact, bot.ActionShowContact), false},
		{"resolved, member", card(models.StateResolved, "jaan@example.com"), "jaan@example.com", A(bot.ActionShowContact), false},
		{"resolved, manager", card(models.StateResolved, "jaan@example.com"), "mari@example.com", A(bot.ActionReopen, bot.ActionShowContact), false},
		{"resolved, channel", card(models.StateResolved, "jaan@example.com"), "channel", A(bot.ActionShowContact), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got bot.Card
			if tt.viewer == "channel" {
				got = tt.card.ForChannel(p)
			} else {
				got = tt.card.ForViewer(p, tt.viewer)
			}
			if !slices.Equal(got.Actions, tt.want) || got.ReadOnly != tt.readOnly {
				t.Errorf("actions %v read-only %v, want %v %v", got.Actions, got.ReadOnly, tt.want, tt.readOnly)
			}
		})
	}
}
