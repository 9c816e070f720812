package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/models"
)

// KudosPoster is implemented by messengers that render a promoter's words
// themselves. The delivery worker checks for it before falling back to
// PostText, so that the Slack messenger can mention the employee named in
// attributes.employee_email (a <@U…> it writes itself) while everything the
// customer wrote stays escaped.
type KudosPoster interface {
	PostKudos(ctx context.Context, channel string, r models.Response) (ref string, err error)
}

var _ KudosPoster = (*Messenger)(nil)

// PostKudos posts a promoter's comment to the kudos channel as a quote and
// thanks the employee of attributes.employee_email: a mention when the
// directory resolves the email, the escaped email otherwise.
func (m *Messenger) PostKudos(ctx context.Context, channel string, r models.Response) (string, error) {
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
	_, ts, err := m.api.PostMessageContext(ctx, channel, textMessage(KudosText(r, mention))...)
	if err != nil {
		return "", fail("chat.postMessage", err)
	}
	return ts, nil
}

// KudosText is the kudos message: escaped except for mention, which must be
// a <@U…> built from a checked user id, or empty to name the employee by
// their (escaped) email.
func KudosText(r models.Response, mention string) string {
	var b strings.Builder
	fmt.Fprintf(&b, ":tada: A promoter (%s %d", Escape(strings.ToUpper(string(r.Metric))), r.Score)
	if r.Touchpoint != "" {
		b.WriteString(", " + esc(oneLine(r.Touchpoint), maxValueLen))
	}
	b.WriteString(") said:\n")
	if q := Quote(models.MaskPersonalData(r.Comment)); q != "" {
		b.WriteString(q + "\n")
	}
	switch e := strings.TrimSpace(r.Attributes["employee_email"]); {
	case mention != "":
		b.WriteString("Thanks go to " + mention + ".")
	case e != "":
		b.WriteString("Thanks go to " + esc(e, maxValueLen) + ".")
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
