package jobs

import (
	"context"
	"errors"
	"strings"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

var errNoRollup = errors.New("the roll-up was never posted")

// sendRollup posts a burst's roll-up, or rewrites it as its cases move.
func (d *Deliverer) sendRollup(ctx context.Context, msgr bot.Messenger, m *models.OutboxMessage) (string, error) {
	id, ok := models.RollupID(m)
	if !ok {
		return "", bot.PermanentError(errors.New("a roll-up message without its roll-up"))
	}
	r, err := d.Store.Rollup(ctx, id)
	if err != nil {
		return "", permanentIfMissing(err)
	}
	lang := d.Policy.TeamLanguage(d.channelTeam(m.Transport, m.Channel))
	text := RollupText(lang, r)
	if m.Kind == models.KindRollupPost {
		return msgr.PostText(ctx, m.Channel, text)
	}
	th, ok := msgr.(bot.Threader)
	if !ok {
		return "", nil // the platform cannot rewrite it; the cards themselves are current
	}
	if r.Burst.Ref == "" {
		return "", bot.PermanentError(errNoRollup)
	}
	return "", th.UpdateText(ctx, m.Channel, r.Burst.Ref, text)
}

// channelTeam is the team whose cards go to a channel.
func (d *Deliverer) channelTeam(transport, channel string) string {
	for _, t := range d.Policy.Teams {
		for _, dst := range t.Destinations {
			if dst.Transport == transport && dst.Channel == channel {
				return t.ID
			}
		}
	}
	return ""
}

// RollupText is a roll-up as a channel reads it: a heading, then a line per
// case (number, score, the comment's first words, owner, state).
func RollupText(lang string, r models.Rollup) string {
	var b strings.Builder
	b.WriteString(l10n.N(lang, "rollup.heading", len(r.Cases)))
	for _, c := range r.Cases {
		owner := c.Owner
		if owner == "" {
			owner = l10n.T(lang, "rollup.nobody")
		}
		b.WriteString("\n• ")
		b.WriteString(l10n.T(lang, "rollup.line", "CaseID", c.CaseID, "Metric", strings.ToUpper(string(c.Metric)), "Score", c.Score,
			"Words", models.FirstWords(c.Comment, 8), "Owner", owner, "State", l10n.T(lang, "state."+string(c.State))))
	}
	return b.String()
}
