package slack

import (
	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// ModalResolveEmail is the second step of "Resolve…" when the customer is
// to be told by email: the resolution email, prefilled, to check and edit.
const ModalResolveEmail = "case_resolve_email_modal"

// ResolveEmailModal shows the resolution email in the customer's language
// with the note as what was done, editable; submitting it resolves the
// case and sends the email. metadata carries the first step's root cause
// and systemic choice.
func ResolveEmailModal(lang string, caseID int64, note string, d models.Draft, metadata string) slackgo.ModalViewRequest {
	noteIn := slackgo.NewPlainTextInputBlockElement(nil, "note_input")
	noteIn.Multiline, noteIn.MaxLength, noteIn.InitialValue = true, 3000, clip(note, 3000)
	subject := slackgo.NewPlainTextInputBlockElement(nil, "email_subject_input")
	subject.InitialValue, subject.MaxLength = clip(d.Subject, 300), 300
	body := slackgo.NewPlainTextInputBlockElement(nil, "email_body_input")
	body.Multiline, body.InitialValue, body.MaxLength = true, clip(d.Body, 3000), 3000
	return modal(lang, ModalResolveEmail, l10n.T(lang, "reach.form.resolve_email.title", "CaseID", caseID),
		l10n.T(lang, "reach.form.resolve_email.submit"), metadata,
		slackgo.NewContextBlock("resolve_email_intro", mrkdwn(Escape(l10n.T(lang, "reach.form.resolve_email.intro")))),
		slackgo.NewInputBlock(BlockNote, plain(l10n.T(lang, "form.resolve.done")), nil, noteIn),
		slackgo.NewDividerBlock(),
		slackgo.NewSectionBlock(mrkdwn("*"+Escape(l10n.T(lang, "reach.form.resolve_email.heading"))+"*"), nil, nil),
		slackgo.NewInputBlock(BlockEmailSubject, plain(l10n.T(lang, "email.subject")), nil, subject),
		slackgo.NewInputBlock(BlockEmailBody, plain(l10n.T(lang, "email.body")), nil, body),
	)
}
