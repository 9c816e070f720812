package jobs

import (
	"context"
	"fmt"
	"strings"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/models"
)

// sendReminders delivers one person's reminders of one sweep as one DM,
// nearest due first, each line linking to its card where the platform can.
func (d *Deliverer) sendReminders(ctx context.Context, msgr bot.Messenger, m *models.OutboxMessage) error {
	list, err := models.DecodeReminderList(m.Text)
	if err != nil {
		return bot.PermanentError(err)
	}
	intro, items := reminderLines(d.Policy, list.Items)
	if l, ok := msgr.(bot.Lister); ok {
		return l.DirectList(ctx, m.Recipient, intro, items)
	}
	var b strings.Builder
	b.WriteString(intro)
	for _, it := range items {
		fmt.Fprintf(&b, "\n• #%d %s", it.CaseID, it.Text)
	}
	return msgr.DirectMessage(ctx, m.Recipient, b.String(), nil)
}

// reminderLines phrases a reminder DM: an intro and one line per follow-up,
// its due time in its team's zone.
func reminderLines(p *models.Policy, items []models.ReminderItem) (string, []bot.ListItem) {
	intro := "Reminder: this follow-up is due soon:"
	if len(items) != 1 {
		intro = fmt.Sprintf("Reminder: %d follow-ups are due soon, nearest first:", len(items))
	}
	out := make([]bot.ListItem, len(items))
	for i, it := range items {
		team, _ := p.Team(it.TeamID)
		due := models.FormatDue(it.Due, p.TeamLocation(team))
		var what string
		switch it.Followup {
		case models.FollowupThankYou:
			what = fmt.Sprintf("case #%d: thank the customer by %s", it.CaseID, due)
		case models.FollowupResolution:
			what = fmt.Sprintf("case #%d: resolve by %s", it.CaseID, due)
		case models.FollowupFixTold:
			what = fmt.Sprintf("case #%d: tell the customer about the fix by %s (\"told %d\" when done)", it.CaseID, due, it.CaseID)
		default:
			what = fmt.Sprintf("case #%d: due %s", it.CaseID, due)
		}
		out[i] = bot.ListItem{CaseID: it.CaseID, Text: what}
	}
	return intro, out
}
