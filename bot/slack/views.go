package slack

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// Callback ids of the case modals; a view_submission names its modal by them.
const (
	ModalAssign    = "case_assign_modal"
	ModalThank     = "case_thank_modal"
	ModalResolve   = "case_resolve_modal"
	ModalNoContact = "case_no_contact_modal"
)

// Block ids of the modals' inputs. A submission's values are read by them,
// and a validation error is shown on them (response_action "errors").
const (
	BlockAssignee  = "assignee"
	BlockMethod    = "how"
	BlockNote      = "note"
	BlockRootCause = "root_cause"
	BlockSystemic  = "systemic"
	BlockReason    = "reason"
	// The email to the customer: subject and text of the thank-you, the
	// checkbox that sends the resolution message.
	BlockEmailSubject = "email_subject"
	BlockEmailBody    = "email_body"
	BlockTellByEmail  = "tell_by_email"
)

// Block Kit limits of views (https://docs.slack.dev/reference/views).
const (
	// MaxViewBlocks is the most blocks a modal or Home tab may carry.
	MaxViewBlocks = 100
	maxTitleLen   = 24 // modal title, submit and close labels
	maxOptionText = 75
	maxOptionVal  = 150
	maxOptions    = 100
	maxMetadata   = 3000
)

// Thank-you methods and no-contact reasons are labelled from the catalog
// under these prefixes ("method.call"); the values are the domain's.
const (
	methodLabels = "method."
	reasonLabels = "reason."
)

// AssignModal asks for the new owner of a case with a user picker.
// initialUser (a Slack user id, may be empty) is preselected; metadata
// travels back in the submission's private_metadata.
func AssignModal(lang string, caseID int64, teamName, initialUser, metadata string) slackgo.ModalViewRequest {
	sel := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeUser, plain(l10n.T(lang, "form.choose_person")), "assignee_select")
	if IsUserID(initialUser) {
		sel.InitialUser = initialUser
	}
	intro := l10n.T(lang, "form.assign.intro", "Team", esc(teamName, maxValueLen))
	return modal(lang, ModalAssign, l10n.T(lang, "form.assign.title", "CaseID", caseID), l10n.T(lang, "form.assign.submit"), metadata,
		slackgo.NewSectionBlock(mrkdwn(intro), nil, nil),
		slackgo.NewInputBlock(BlockAssignee, plain(l10n.T(lang, "form.assign.new_owner")), nil, sel),
	)
}

// EmailForm is what a modal offers for emailing the customer: whether it
// may (and why not), and the message prefilled in the customer's language.
type EmailForm struct {
	Offer models.EmailOffer
	Draft *models.Draft
}

// ThankModal logs the thank-you contact: how, and a note. When the
// customer may be emailed, the method "email" is offered with the message,
// prefilled and editable; when they unsubscribed, the modal says so.
func ThankModal(lang string, caseID int64, methods []string, metadata string, email EmailForm) slackgo.ModalViewRequest {
	blocks := []slackgo.Block{
		slackgo.NewInputBlock(BlockMethod, plain(l10n.T(lang, "form.thank.method")), nil,
			slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, plain(l10n.T(lang, "form.choose")), "how_select", selectOptions(lang, methods, methodLabels)...)),
		noteInput(BlockNote, l10n.T(lang, "form.note"), true),
	}
	if d := email.Draft; d != nil && email.Offer.Allowed() {
		subject := slackgo.NewPlainTextInputBlockElement(nil, "email_subject_input")
		subject.InitialValue, subject.MaxLength = clip(d.Subject, 300), 300
		body := slackgo.NewPlainTextInputBlockElement(nil, "email_body_input")
		body.Multiline, body.InitialValue, body.MaxLength = true, clip(d.Body, 3000), 3000
		blocks = append(blocks, slackgo.NewDividerBlock(),
			slackgo.NewSectionBlock(mrkdwn("*"+Escape(l10n.T(lang, "email.draft_heading"))+"*"), nil, nil),
			slackgo.NewInputBlock(BlockEmailSubject, plain(l10n.T(lang, "email.subject")), nil, subject).WithOptional(true),
			slackgo.NewInputBlock(BlockEmailBody, plain(l10n.T(lang, "email.body")), nil, body).WithOptional(true))
	} else if email.Offer == models.EmailSuppressed {
		blocks = append(blocks, slackgo.NewContextBlock("email_off", mrkdwn(Escape(l10n.T(lang, "email.not_offered.suppressed")))))
	}
	return modal(lang, ModalThank, l10n.T(lang, "form.thank.title", "CaseID", caseID), l10n.T(lang, "form.save"), metadata, blocks...)
}

// ResolveModal closes the loop: root cause, what was done, systemic or not,
// and, when the customer may be emailed, whether to tell them so.
// rootCauses are the configured causes' ids; label names each in lang
// (the YAML's own label, or the id).
func ResolveModal(lang string, caseID int64, rootCauses []string, label func(string) string, metadata string, email EmailForm) slackgo.ModalViewRequest {
	systemic := slackgo.NewCheckboxGroupsBlockElement("systemic_check",
		slackgo.NewOptionBlockObject("systemic", plain(l10n.T(lang, "form.resolve.systemic")), nil))
	blocks := []slackgo.Block{
		slackgo.NewInputBlock(BlockRootCause, plain(l10n.T(lang, "form.resolve.root_cause")), nil,
			slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, plain(l10n.T(lang, "form.choose")), "root_cause_select", labelledOptions(rootCauses, label)...)),
		noteInput(BlockNote, l10n.T(lang, "form.resolve.done"), false),
		slackgo.NewInputBlock(BlockSystemic, plain(l10n.T(lang, "form.resolve.outer_loop")), nil, systemic).WithOptional(true),
	}
	if email.Offer.Allowed() {
		tell := slackgo.NewCheckboxGroupsBlockElement("tell_by_email_check",
			slackgo.NewOptionBlockObject("email", plain(clip(l10n.T(lang, "email.tell"), maxOptionText)), plain(clip(l10n.T(lang, "email.tell_hint"), maxOptionText))))
		blocks = append(blocks, slackgo.NewInputBlock(BlockTellByEmail, plain(l10n.T(lang, "email.customer")), nil, tell).WithOptional(true))
	} else if email.Offer == models.EmailSuppressed {
		blocks = append(blocks, slackgo.NewContextBlock("email_off", mrkdwn(Escape(l10n.T(lang, "email.not_offered.suppressed")))))
	}
	return modal(lang, ModalResolve, l10n.T(lang, "form.resolve.title", "CaseID", caseID), l10n.T(lang, "form.resolve.submit"), metadata, blocks...)
}

// NoContactModal closes a case without customer contact: why, and a note.
func NoContactModal(lang string, caseID int64, reasons []string, metadata string) slackgo.ModalViewRequest {
	return modal(lang, ModalNoContact, l10n.T(lang, "form.no_contact.title", "CaseID", caseID), l10n.T(lang, "form.no_contact.submit"), metadata,
		slackgo.NewInputBlock(BlockReason, plain(l10n.T(lang, "form.no_contact.reason")), nil,
			slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, plain(l10n.T(lang, "form.choose")), "reason_select", selectOptions(lang, reasons, reasonLabels)...)),
		noteInput(BlockNote, l10n.T(lang, "form.note"), true),
	)
}

func modal(lang, callbackID, title, submit, metadata string, blocks ...slackgo.Block) slackgo.ModalViewRequest {
	if len(metadata) > maxMetadata {
		metadata = "" // never happens with the ids cxloop puts there
	}
	return slackgo.ModalViewRequest{
		Type:            slackgo.VTModal,
		CallbackID:      callbackID,
		Title:           plain(clip(title, maxTitleLen)),
		Submit:          plain(clip(submit, maxTitleLen)),
		Close:           plain(clip(l10n.T(lang, "form.cancel"), maxTitleLen)),
		PrivateMetadata: metadata,
		Blocks:          slackgo.Blocks{BlockSet: blocks},
	}
}

func noteInput(blockID, label string, optional bool) *slackgo.InputBlock {
	in := slackgo.NewPlainTextInputBlockElement(nil, "note_input")
	in.Multiline = true
	in.MaxLength = 3000
	return slackgo.NewInputBlock(blockID, plain(label), nil, in).WithOptional(optional)
}

// selectOptions turns values into select options, labelled from the
// catalog under prefix or, when it has no such message, by the value itself.
func selectOptions(lang string, values []string, prefix string) []*slackgo.OptionBlockObject {
	return labelledOptions(values, func(v string) string {
		if l := l10n.T(lang, prefix+v); l != prefix+v {
			return l
		}
		return titleCase(strings.ReplaceAll(v, "_", " "))
	})
}

// labelledOptions turns values into select options labelled by label (the
// value itself when label is nil).
func labelledOptions(values []string, label func(string) string) []*slackgo.OptionBlockObject {
	var out []*slackgo.OptionBlockObject
	for _, v := range values {
		if len(out) == maxOptions || v == "" || len(v) > maxOptionVal {
			continue
		}
		text := v
		if label != nil {
			text = label(v)
		}
		out = append(out, slackgo.NewOptionBlockObject(v, plain(clip(text, maxOptionText)), nil))
	}
	return out
}

// HomeSection is one list on the App Home tab.
type HomeSection struct {
	// Key keeps block ids unique when a case appears in two sections.
	Key   string
	Title string
	// Empty is shown when there are no cards.
	Empty string
	Cards []bot.Card
	// More counts cases left out of Cards.
	More int
}

// HomeView renders the App Home tab: a greeting and the sections, each case
// as a compact summary with its buttons. ownerIDs maps owners' emails to
// Slack user ids for mentions (may be nil). The view stays within
// MaxViewBlocks: cases that do not fit are counted instead.
func HomeView(lang, intro string, sections []HomeSection, ownerIDs map[string]string) slackgo.HomeTabViewRequest {
	blocks := []slackgo.Block{slackgo.NewSectionBlock(mrkdwn(clip(intro, MaxTextLen)), nil, nil, slackgo.SectionBlockOptionBlockID("home-intro"))}
	for _, s := range sections {
		// Reserve room for this section's header, a "more" line and a divider.
		if len(blocks)+3 > MaxViewBlocks {
			break
		}
		blocks = append(blocks, slackgo.NewDividerBlock(),
			slackgo.NewHeaderBlock(plain(clip(s.Title, maxHeaderLen)), slackgo.HeaderBlockOptionBlockID("home-"+s.Key+"-header")))
		if len(s.Cards) == 0 {
			blocks = append(blocks, slackgo.NewContextBlock("home-"+s.Key+"-empty", mrkdwn(Escape(s.Empty))))
			continue
		}
		more := s.More
		for i, c := range s.Cards {
			cb := CompactCard(c, "home-"+s.Key, RenderOptions{OwnerID: ownerIDs[strings.ToLower(c.Owner)]})
			if len(blocks)+len(cb)+1 > MaxViewBlocks {
				more += len(s.Cards) - i
				break
			}
			blocks = append(blocks, cb...)
		}
		if more > 0 && len(blocks) < MaxViewBlocks {
			blocks = append(blocks, slackgo.NewContextBlock("home-"+s.Key+"-more",
				mrkdwn(l10n.T(lang, "home.more", "Count", l10n.Number(lang, more)))))
		}
	}
	return slackgo.HomeTabViewRequest{Type: slackgo.VTHomeTab, Blocks: slackgo.Blocks{BlockSet: blocks}}
}

// CompactCard renders a case in one block: the header, the state with the
// owner and what is due (or late), the comment's first line, all escaped,
// and the next step as its one button. Block ids start with prefix.
func CompactCard(c bot.Card, prefix string, o RenderOptions) []slackgo.Block {
	id := strconv.FormatInt(c.CaseID, 10)
	var b strings.Builder
	b.WriteString("*" + Escape(c.Header()) + "*\n" + stateLine(c))
	if c.Owner != "" {
		b.WriteString(" · " + c.T("home.owner", "Owner", ownerText(c, o.OwnerID)))
	}
	if line := c.DeadlineLine(); line != "" {
		b.WriteString("\n" + Escape(line))
	}
	if line := firstLine(c.Comment); line != "" {
		b.WriteString("\n> " + Escape(clip(line, fallbackLen)))
	}
	var next slackgo.BlockElement
	if a, ok := c.Primary(); ok {
		next = slackgo.NewButtonBlockElement(ActionID(a), id, plain(clip(c.ActionLabel(a), maxButtonLen))).WithStyle(slackgo.StylePrimary)
	}
	var acc *slackgo.Accessory
	if next != nil {
		acc = slackgo.NewAccessory(next)
	}
	return []slackgo.Block{slackgo.NewSectionBlock(mrkdwn(clip(b.String(), MaxTextLen)), nil, acc, slackgo.SectionBlockOptionBlockID(prefix+"-"+id+"-summary"))}
}

func stateLine(c bot.Card) string {
	s := Escape(c.StateName())
	if _, late := c.Late(); late || c.ShowsOverdue() {
		s = ":rotating_light: " + s
	}
	return s
}

// ReplyBlocks lays out a private answer: the text (already escaped
// mrkdwn), then each card's blocks after a divider, as many as fit in one
// message; the rest are counted in a closing line.
func ReplyBlocks(lang, escaped string, cards ...[]slackgo.Block) []slackgo.Block {
	blocks := TextBlocks(escaped, "reply")
	left := 0
	for i, cb := range cards {
		if len(blocks)+1+len(cb)+1 > MaxBlocks {
			left = len(cards) - i
			break
		}
		blocks = append(blocks, slackgo.NewDividerBlock())
		blocks = append(blocks, cb...)
	}
	if left > 0 {
		blocks = append(blocks, slackgo.NewContextBlock("reply-more", mrkdwn(l10n.N(lang, "reply.more", left))))
	}
	return blocks
}

// TextBlocks splits escaped mrkdwn into section blocks of at most
// MaxTextLen characters, cutting between lines where it can. Block ids are
// prefix-1, prefix-2, ….
func TextBlocks(escaped, prefix string) []slackgo.Block {
	var blocks []slackgo.Block
	for i, part := range splitText(escaped, MaxTextLen) {
		if len(blocks) == MaxBlocks/2 {
			break
		}
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(part), nil, nil,
			slackgo.SectionBlockOptionBlockID(fmt.Sprintf("%s-%d", prefix, i+1))))
	}
	return blocks
}

// splitText cuts s into pieces of at most limit runes, at line ends when a
// line fits, never inside an escape sequence such as "&lt;".
func splitText(s string, limit int) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var out []string
	for utf8.RuneCountInString(s) > limit {
		r := []rune(s)
		cut := limit
		if nl := strings.LastIndexByte(string(r[:limit]), '\n'); nl > 0 {
			cut = utf8.RuneCountInString(string(r[:limit])[:nl])
		} else if amp := strings.LastIndexByte(string(r[:limit]), '&'); amp > 0 && !strings.Contains(string(r[:limit])[amp:], ";") {
			cut = utf8.RuneCountInString(string(r[:limit])[:amp])
		}
		out = append(out, strings.TrimRight(string(r[:cut]), " \n"))
		s = strings.TrimLeft(string(r[cut:]), "\n")
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// Quote renders untrusted text as an escaped mrkdwn block quote.
func Quote(text string) string { return quote(strings.TrimSpace(normaliseNewlines(text))) }

func plain(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, s, false, false)
}
