package teams

import (
	"context"
	"strings"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// KudosMention is the employee a kudos card thanks: their Teams id and
// roster name, or only a name when Teams does not know them.
type KudosMention struct {
	UserID string
	Name   string
}

// PostKudos posts a promoter's words to the kudos channel as a card in
// lang, thanking the employee of attributes.employee_email with a mention
// (their roster name) when the roster knows them, else by the name their
// email reads as. A lookup that fails for now is retried, not posted
// without the mention.
func (m *Messenger) PostKudos(ctx context.Context, channel, lang string, r models.Response) (string, error) {
	var who KudosMention
	if e := strings.TrimSpace(r.Attributes["employee_email"]); e != "" {
		who.Name = bot.EmployeeName(e)
		p, err := m.dir.Person(ctx, e)
		switch {
		case err == nil:
			who.UserID = p.UserID
			if n := strings.TrimSpace(p.Name); n != "" {
				who.Name = n
			}
		default:
			if class, _ := bot.ClassOf(err); class != bot.Permanent {
				return "", err
			}
		}
	}
	card := KudosCard(lang, r, who)
	act := Activity{Type: "message", Summary: kudosHeadline(lang, r), Attachments: cardAttachments(card)}
	return m.newThread(ctx, channel, act)
}

func kudosHeadline(lang string, r models.Response) string {
	metric := strings.ToUpper(string(r.Metric))
	if t := strings.TrimSpace(r.Touchpoint); t != "" {
		return l10n.T(lang, "kudos.said_at", "Metric", metric, "Score", r.Score, "Touchpoint", clipRunes(t, maxValueRunes))
	}
	return l10n.T(lang, "kudos.said", "Metric", metric, "Score", r.Score)
}

// KudosCard is the kudos post: the score, the customer's words (masked, in
// a TextRun, which is never markdown) and the thanks. With a user id the
// employee is a real mention: <at>Name</at> in the text, matched by an
// msteams mention entity.
func KudosCard(lang string, r models.Response, who KudosMention) map[string]any {
	body := []any{element{"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true,
		"text": "🎉 " + EscapeMarkdown(kudosHeadline(lang, r))}}
	if c := strings.TrimSpace(models.MaskPersonalData(r.Comment)); c != "" {
		body = append(body, element{"type": "Container", "style": "emphasis", "spacing": "Small", "items": []any{
			element{"type": "RichTextBlock", "inlines": []any{element{"type": "TextRun", "italic": true, "text": clipRunes(c, maxCommentRunes)}}},
		}})
	}
	ms := element{"width": "Full"}
	name := mentionName(who.Name)
	switch {
	case who.UserID != "" && name != "":
		at := "<at>" + name + "</at>"
		// The sentence is escaped around the mention, which is cxloop's own.
		const slot = "\x00"
		text := strings.Replace(EscapeMarkdown(l10n.T(lang, "kudos.thanks", "Name", slot)), slot, at, 1)
		body = append(body, element{"type": "TextBlock", "wrap": true, "text": text})
		ms["entities"] = []any{element{"type": "mention", "text": at,
			"mentioned": element{"id": who.UserID, "name": name}}}
	case who.Name != "":
		body = append(body, element{"type": "TextBlock", "wrap": true,
			"text": EscapeMarkdown(l10n.T(lang, "kudos.thanks", "Name", clipRunes(who.Name, maxValueRunes)))})
	}
	card := adaptiveCard(body)
	card["msteams"] = ms
	inertRuns(card)
	return card
}

// mentionName is a roster name fit to sit between <at> and </at>: one
// line, no angle brackets or markup characters, no template braces.
func mentionName(n string) string {
	n = strings.Map(func(r rune) rune {
		switch r {
		case '<', '>', '*', '_', '~', '`', '[', ']', '\\', '{', '}', '&', '#':
			return -1
		case '\n', '\r', '\t':
			return ' '
		}
		return r
	}, n)
	return clipRunes(strings.Join(strings.Fields(n), " "), maxValueRunes)
}
