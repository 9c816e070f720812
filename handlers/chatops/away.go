package chatops

import (
	"context"
	"strings"
	"time"

	"github.com/cxloop/cxloop/bot/l10n"
)

// away marks the actor away through the given day ("away until YYYY-MM-DD").
func (o *ChatOps) away(ctx context.Context, actor string, args []string) Reply {
	lang := o.Policy.PersonLanguage(actor)
	if len(args) != 2 || !strings.EqualFold(args[0], "until") {
		return Reply{Text: l10n.T(lang, "away.usage")}
	}
	loc := o.Policy.Location
	if loc == nil {
		loc = time.UTC
	}
	day, err := time.ParseInLocation("2006-01-02", args[1], loc)
	if err != nil {
		return Reply{Text: l10n.T(lang, "away.usage")}
	}
	now := o.Clock.Now()
	// Away through that day: back at the start of the next.
	until := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
	if !until.After(now) {
		return Reply{Text: l10n.T(lang, "away.past", "Date", l10n.Date(lang, day))}
	}
	if err := o.Store.SetAway(ctx, now, actor, until, "command"); err != nil {
		return Reply{Text: l10n.T(lang, "cmd.failed_nothing_changed")}
	}
	return Reply{Text: l10n.T(lang, "away.set", "Date", l10n.Date(lang, day))}
}

// back ends the actor's absence; what moved meanwhile reaches them in one DM.
func (o *ChatOps) back(ctx context.Context, actor string) Reply {
	lang := o.Policy.PersonLanguage(actor)
	_, was, err := o.Store.Back(ctx, o.Policy, o.Clock.Now(), actor, "")
	switch {
	case err != nil:
		return Reply{Text: l10n.T(lang, "cmd.failed_nothing_changed")}
	case !was:
		return Reply{Text: l10n.T(lang, "away.not_away")}
	}
	if o.Queued != nil {
		o.Queued()
	}
	return Reply{Text: l10n.T(lang, "away.back")}
}

// AwayNotice is the line that heads a person's own lists while they are
// away, with a blank line after it; "" when they are in.
func (o *ChatOps) AwayNotice(ctx context.Context, actor string) string {
	return AwayLine(ctx, o.Store, o.Policy.Location, o.Clock.Now(), actor, o.Policy.PersonLanguage(actor))
}

// AwayLine says, in lang, that the person is away and what that means,
// followed by a blank line; "" when they are in.
func AwayLine(ctx context.Context, store AwayReader, loc *time.Location, now time.Time, person, lang string) string {
	away, until, err := store.AwayState(ctx, person, now)
	if err != nil || !away {
		return ""
	}
	if until.IsZero() {
		return l10n.T(lang, "away.state.status") + "\n\n"
	}
	if loc == nil {
		loc = time.UTC
	}
	last := until.In(loc).AddDate(0, 0, -1) // stored as the morning they are back
	return l10n.T(lang, "away.state.until", "Date", l10n.Date(lang, last)) + "\n\n"
}

// AwayReader tells whether a person is away (models.Store does).
type AwayReader interface {
	AwayState(ctx context.Context, person string, now time.Time) (bool, time.Time, error)
}
