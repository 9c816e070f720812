package teams

import (
	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
)

// mineCommentRunes is how much of each comment the list shows.
const mineCommentRunes = 120

// RenderMine renders "@cxloop mine": one card listing the person's open
// cases, soonest due first as given, each with its header (score, number,
// team), the first words of the comment (a TextRun, never markdown), its
// state and deadlines, and its next step as a button; more counts the cases
// left out. opts gives each case's form choices.
func RenderMine(lang string, cards []bot.Card, more int, opts func(bot.Card) RenderOptions) map[string]any {
	body := []any{element{"type": "TextBlock", "text": EscapeMarkdown(l10n.T(lang, "teamsback.mine.title")), "weight": "Bolder", "size": "Medium", "wrap": true}}
	if len(cards) == 0 {
		body = append(body, element{"type": "TextBlock", "text": EscapeMarkdown(l10n.T(lang, "home.mine.empty")), "wrap": true})
	}
	for _, c := range cards {
		items := []any{
			element{"type": "TextBlock", "text": EscapeMarkdown(c.Header()), "weight": "Bolder", "wrap": true},
			plain(clipRunes(oneLine(c.Comment), mineCommentRunes)),
			element{"type": "TextBlock", "text": EscapeMarkdown(c.StateLabel() + " · " + c.DeadlineLine()), "wrap": true, "isSubtle": true, "spacing": "Small"},
		}
		if a, ok := c.Primary(); ok {
			if act := renderAction(c, a, opts(c)); act != nil {
				act["style"] = "positive"
				items = append(items, element{"type": "ActionSet", "actions": []any{act}})
			}
		}
		body = append(body, element{"type": "Container", "items": items, "separator": true, "spacing": "Medium"})
	}
	if more > 0 {
		body = append(body, element{"type": "TextBlock", "text": EscapeMarkdown(l10n.N(lang, "teamsback.mine.more", more)), "wrap": true, "isSubtle": true})
	}
	return adaptiveCard(body)
}

// RenderMine renders "@cxloop mine" with the configured form choices.
func (m *Messenger) RenderMine(lang string, cards []bot.Card, more int) map[string]any {
	return RenderMine(lang, cards, more, m.RenderOptions)
}
