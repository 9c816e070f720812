package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// StatusReader reads a person's platform status (Slack's users.profile.get).
type StatusReader interface {
	AwayStatus(ctx context.Context, email string) (emoji, text string, err error)
}

// AwayStatusJob marks people away while their status says so, and back
// when it no longer does, every ten minutes.
func AwayStatusJob(store *models.Store, p *models.Policy, r StatusReader, log *slog.Logger, queued func()) Job {
	return Job{Name: "away-status", Spec: "*/10 * * * *", AtStart: true, Run: func(ctx context.Context, now time.Time) error {
		if err := SyncAwayStatus(ctx, store, p, r, now, log); err != nil {
			return err
		}
		if queued != nil {
			queued()
		}
		return nil
	}}
}

// SyncAwayStatus reads the status of every member, champion and manager
// once. A status that cannot be read changes nothing for that person.
func SyncAwayStatus(ctx context.Context, store *models.Store, p *models.Policy, r StatusReader, now time.Time, log *slog.Logger) error {
	seen := map[string]bool{}
	for _, t := range p.Teams {
		for _, person := range append(append(append([]string{}, t.Members...), t.Managers...), t.Champion) {
			key := strings.ToLower(person)
			if person == "" || seen[key] {
				continue
			}
			seen[key] = true
			emoji, text, err := r.AwayStatus(ctx, person)
			if err != nil {
				if log != nil {
					log.Debug("away status", "person", person, "err", err)
				}
				continue
			}
			if p.Away.Says(emoji, text) {
				err = store.SetAway(ctx, now, person, time.Time{}, models.AwayByStatus)
			} else {
				_, _, err = store.Back(ctx, p, now, person, models.AwayByStatus)
			}
			if err != nil {
				return fmt.Errorf("away status of %s: %w", person, err)
			}
		}
	}
	return nil
}

// sendBack tells a person back from away which of their cases moved.
func (d *Deliverer) sendBack(ctx context.Context, msgr bot.Messenger, m *models.OutboxMessage) error {
	moves := models.DecodeMoves(m.Text)
	lang := bot.ReaderLang(ctx, msgr, m.Recipient, d.Policy.PersonLanguage(m.Recipient))
	intro := l10n.N(lang, "back.dm.intro", len(moves))
	items := make([]bot.ListItem, len(moves))
	for i, mv := range moves {
		items[i] = bot.ListItem{CaseID: mv.CaseID, Text: l10n.T(lang, "back.dm.line", "CaseID", mv.CaseID, "To", mv.To)}
	}
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
