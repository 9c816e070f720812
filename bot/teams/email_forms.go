package teams

import (
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// Verbs of the resolution email's review card.
const (
	// VerbBackToCard shows the case's card again instead of a form.
	VerbBackToCard = "back_to_card"
	// InputReviewed marks a resolve whose email the person has seen.
	InputReviewed = "emailReviewed"
)

// ResolveEmailForm is the card shown after "Resolve" with "tell the
// customer by email" on: the resolution email prefilled in the customer's
// language with the note as what was done, editable, and sent with the
// resolution when confirmed. The root cause and the systemic choice travel
// in the action's data.
func ResolveEmailForm(lang string, caseID int64, rootCause string, systemic bool, note string, d models.Draft) map[string]any {
	t := func(id string, kv ...any) string { return l10n.T(lang, id, kv...) }
	sys := "false"
	if systemic {
		sys = "true"
	}
	send := execute(caseID, VerbResolve, t("reach.form.resolve_email.submit"), "positive")
	for _, a := range []element{send, send["fallback"].(element)} {
		data := a["data"].(element)
		data[InputRootCause], data[InputSystemic], data[InputTellByEmail], data[InputReviewed] = rootCause, sys, "true", "true"
	}
	body := []any{
		element{"type": "TextBlock", "text": EscapeMarkdown(t("reach.form.resolve_email.title", "CaseID", caseID)), "weight": "Bolder", "size": "Medium", "wrap": true},
		element{"type": "TextBlock", "text": EscapeMarkdown(t("reach.form.resolve_email.intro")), "wrap": true, "isSubtle": true},
		element{"type": "Input.Text", "id": InputResolution, "label": t("form.resolve.done"), "isMultiline": true, "isRequired": true,
			"errorMessage": t("form.resolve.done"), "value": clipRunes(note, 1000), "maxLength": 1000},
		element{"type": "TextBlock", "text": EscapeMarkdown(t("reach.form.resolve_email.heading")), "weight": "Bolder", "wrap": true, "spacing": "Medium"},
		element{"type": "Input.Text", "id": InputEmailSubject, "label": t("email.subject"), "value": clipRunes(d.Subject, 300), "maxLength": 300},
		element{"type": "Input.Text", "id": InputEmailBody, "label": t("email.body"), "value": clipRunes(d.Body, 5000),
			"isMultiline": true, "maxLength": 5000},
	}
	card := adaptiveCard(body)
	card["actions"] = []any{send, execute(caseID, VerbBackToCard, t("form.cancel"), "")}
	return card
}
