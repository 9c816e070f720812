package teams

import (
	"context"
	"strings"

	"github.com/cxloop/cxloop/bot"
)

var _ bot.HuddlePoster = (*Messenger)(nil)

// PostHuddle posts a team's huddle as a new thread holding one Adaptive
// Card (see HuddleCard).
func (m *Messenger) PostHuddle(ctx context.Context, channel string, h bot.Huddle) (string, error) {
	act := Activity{Type: "message", Summary: clipRunes(oneLine(h.Title()), 200), Attachments: cardAttachments(HuddleCard(h))}
	return m.newThread(ctx, channel, act)
}

// HuddleCard renders a huddle as an Adaptive Card: the title, the day's
// counts, a line per detractor and each promoter's words with the employee
// they thank. Customer words, owners and employees are in TextRuns, never
// markdown. The card stays under MaxCardBytes: on a day too big for it
// the lists are shortened.
func HuddleCard(h bot.Huddle) map[string]any {
	for limit := bot.HuddleLines; ; limit /= 2 {
		card := huddleCard(h, limit)
		if CardSize(card) <= MaxCardBytes || limit == 0 {
			return card
		}
	}
}

func huddleCard(h bot.Huddle, limit int) map[string]any {
	body := []any{
		element{"type": "TextBlock", "text": EscapeMarkdown(oneLine(h.Title())), "size": "Large", "weight": "Bolder", "wrap": true, "style": "heading"},
		element{"type": "TextBlock", "text": EscapeMarkdown(h.Responses()), "weight": "Bolder", "wrap": true},
	}
	if l := h.NPSLine(); l != "" {
		body = append(body, element{"type": "TextBlock", "text": EscapeMarkdown(l), "wrap": true, "spacing": "None"})
	}
	more := func(n int) element {
		return element{"type": "TextBlock", "text": EscapeMarkdown(h.More(n)), "isSubtle": true, "wrap": true, "spacing": "Small"}
	}
	if len(h.Detractors) > 0 {
		body = append(body, element{"type": "TextBlock", "text": EscapeMarkdown(h.DetractorsTitle()), "weight": "Bolder", "wrap": true, "spacing": "Medium"})
		for i, d := range h.Detractors {
			if i == limit {
				body = append(body, more(len(h.Detractors)-limit))
				break
			}
			line := element{"type": "RichTextBlock", "spacing": "Small",
				"inlines": []any{element{"type": "TextRun", "text": "• " + h.DetractorLine(d, clipRunes(oneLine(h.Words(d)), 200), clipRunes(d.Owner, 200))}}}
			body = append(body, line)
		}
	}
	if len(h.Praise) > 0 {
		body = append(body, element{"type": "TextBlock", "text": EscapeMarkdown(h.PraiseTitle()), "weight": "Bolder", "wrap": true,
			"spacing": "Medium", "separator": true})
		for i, p := range h.Praise {
			if i == limit {
				body = append(body, more(len(h.Praise)-limit))
				break
			}
			body = append(body, element{"type": "TextBlock", "text": EscapeMarkdown(h.PraiseHeading(p)), "wrap": true, "spacing": "Small", "isSubtle": true},
				element{"type": "RichTextBlock", "spacing": "None",
					"inlines": []any{element{"type": "TextRun", "text": clipRunes(h.Comment(p), 1200), "italic": true}}})
			if e := strings.TrimSpace(p.Employee); e != "" {
				body = append(body, element{"type": "RichTextBlock", "spacing": "None",
					"inlines": []any{element{"type": "TextRun", "text": h.Thanks(clipRunes(e, 200))}}})
			}
		}
	}
	card := adaptiveCard(body)
	inertRuns(card)
	return card
}
