package jobs

import (
	"context"
	"strings"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// sendReminders delivers one person's reminders of one sweep as one DM,
// nearest due first, each line linking to its card where the platform can.
func (d *Deliverer) sendReminders(ctx context.Context, msgr bot.Messenger, m *models.OutboxMessage) error {
	list, err := models.DecodeReminderList(m.Text)
	if err != nil {
		return bot.PermanentError(err)
	}
	fallback := d.Policy.PersonLanguage(m.Recipient)
	if len(list.Items) > 0 {
		fallback = d.Policy.TeamLanguage(list.Items[0].TeamID)
	}
	lang := bot.ReaderLang(ctx, msgr, m.Recipient, fallback)
	intro, items := reminderLines(d.Policy, lang, list.Items)
	if l, ok := msgr.(bot.Lister); ok {
		return l.DirectList(ctx, m.Recipient, intro, items)
	}
	var b strings.Builder
	b.WriteString(intro)
	for _, it := range items {
		b.WriteString("\n• " + it.Text)
	}
	return msgr.DirectMessage(ctx, m.Recipient, bot.Plain(b.String()), nil)
}

// reminderLines phrases a reminder DM: an intro and one line per follow-up,
// its due time in its team's zone.
func reminderLines(p *models.Policy, lang string, items []models.ReminderItem) (string, []bot.ListItem) {
	intro := l10n.T(lang, "reminders.intro_one")
	if len(items) != 1 {
		intro = l10n.N(lang, "reminders.intro", len(items))
	}
	out := make([]bot.ListItem, len(items))
	for i, it := range items {
		team, _ := p.Team(it.TeamID)
		due := l10n.DateTime(lang, it.Due.In(p.TeamLocation(team)))
		id := "reminders.line.due"
		switch it.Followup {
		case models.FollowupThankYou:
			id = "reminders.line.thank_you"
		case models.FollowupResolution:
			id = "reminders.line.resolution"
		case models.FollowupFixTold:
			id = "reminders.line.fix_told"
		}
		out[i] = bot.ListItem{CaseID: it.CaseID, Text: l10n.T(lang, id, "CaseID", it.CaseID, "Due", due)}
	}
	return intro, out
}
