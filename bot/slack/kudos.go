package slack

import (
	"context"
	"errors"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// KudosPoster is implemented by messengers that render a promoter's words
// themselves. The delivery worker checks for it before falling back to
// PostText, so that the Slack messenger can mention the employee named in
// attributes.employee_email (a <@U…> it writes itself) while everything the
// customer wrote stays escaped. lang is the kudos channel's language.
type KudosPoster interface {
	PostKudos(ctx context.Context, channel, lang string, r models.Response) (ref string, err error)
}

var _ KudosPoster = (*Messenger)(nil)

// PostKudos posts a promoter's comment to the kudos channel as a quote and
// thanks the employee of attributes.employee_email: a mention when the
// directory resolves the email (Slack shows it as their name), else their
// name as their email reads.
func (m *Messenger) PostKudos(ctx context.Context, channel, lang string, r models.Response) (string, error) {
	var mention string
	if e := strings.TrimSpace(r.Attributes["employee_email"]); e != "" && m.dir != nil {
		id, err := m.dir.UserID(ctx, e)
		switch {
		case err == nil && IsUserID(id):
			mention = "<@" + id + ">"
		case err != nil && !IsUserNotFound(err):
			// A lookup that failed for now (timeout, rate limit): retry the
			// message rather than lose the mention for good.
			return "", Classify(err)
		}
	}
	_, ts, err := m.api.PostMessageContext(ctx, channel, textMessage(KudosText(lang, r, mention))...)
	if err != nil {
		return "", fail("chat.postMessage", err)
	}
	return ts, nil
}

// KudosText is the kudos message in lang: escaped except for mention, which
// must be a <@U…> built from a checked user id, or empty to name the
// employee by the name their email reads as (escaped).
func KudosText(lang string, r models.Response, mention string) string {
	var b strings.Builder
	metric := Escape(strings.ToUpper(string(r.Metric)))
	if r.Touchpoint != "" {
		b.WriteString(":tada: " + l10n.T(lang, "kudos.said_at", "Metric", metric, "Score", r.Score, "Touchpoint", esc(oneLine(r.Touchpoint), maxValueLen)))
	} else {
		b.WriteString(":tada: " + l10n.T(lang, "kudos.said", "Metric", metric, "Score", r.Score))
	}
	b.WriteString("\n")
	if q := Quote(models.MaskPersonalData(r.Comment)); q != "" {
		b.WriteString(q + "\n")
	}
	switch name := bot.EmployeeName(r.Attributes["employee_email"]); {
	case mention != "":
		b.WriteString(l10n.T(lang, "kudos.thanks", "Name", mention))
	case name != "":
		b.WriteString(l10n.T(lang, "kudos.thanks", "Name", esc(name, maxValueLen)))
	}
	return strings.TrimRight(b.String(), "\n")
}

// IsUserNotFound reports whether err says that Slack knows no such user (an
// email that resolves to nobody, an unknown user id), as opposed to a call
// that failed for now.
func IsUserNotFound(err error) bool {
	var api slackgo.SlackErrorResponse
	if errors.As(err, &api) {
		switch api.Err {
		case "users_not_found", "user_not_found", "user_not_visible":
			return true
		}
	}
	return false
}
