package teams

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// Adaptive Card constants.
const (
	// CardContentType is the attachment content type of an Adaptive Card.
	CardContentType = "application/vnd.microsoft.card.adaptive"
	// CardVersion is the schema version: Teams renders up to 1.5, and
	// Action.Execute needs it.
	CardVersion = "1.5"
	// MaxCardBytes bounds a rendered card. Bot messages may carry 40 KB and
	// incoming webhooks 28 KB; staying under the smaller leaves room for the
	// activity around the card.
	MaxCardBytes = 28 * 1024

	maxCommentRunes = 3000
	maxValueRunes   = 200
	maxNoteRunes    = 1000
	maxChoices      = 100
	maxActions      = 5 // per ActionSet, the renderer's default host limit
)

// Action verbs, the verb of Action.Execute and the "verb" of Action.Submit
// data. They are bot.Action values.
const (
	VerbTake        = string(bot.ActionTake)
	VerbAssign      = string(bot.ActionAssign)
	VerbThank       = string(bot.ActionThank)
	VerbResolve     = string(bot.ActionResolve)
	VerbNoContact   = string(bot.ActionNoContact)
	VerbShowContact = string(bot.ActionShowContact)
	VerbReopen      = string(bot.ActionReopen)
	// VerbFullComment asks for the whole of a comment the card shortened.
	VerbFullComment = "full_comment"
	// VerbRefresh is the card's refresh action: Teams sends it when a
	// person listed in refresh.userIds opens the card, and the answer is
	// the card for that person's role.
	VerbRefresh = "refreshCase"
)

// MaxRefreshUsers is how many people Teams refreshes a card for
// (refresh.userIds holds at most 5 ids).
const MaxRefreshUsers = 5

// Input ids of the card's forms, the keys of an action's data. Every input
// of a card has its own id, the forms' hidden ones too: Adaptive Cards
// require ids unique within the card, and each action reads its own form's.
const (
	InputAssignee      = "assignee"
	InputMethod        = "method"
	InputThankNote     = "thankNote"
	InputRootCause     = "rootCause"
	InputResolution    = "resolution"
	InputSystemic      = "systemic"
	InputReason        = "reason"
	InputNoContactNote = "noContactNote"
	// The email to the customer: its subject and text (thank-you), or the
	// toggle that sends the resolution message.
	InputEmailSubject = "emailSubject"
	InputEmailBody    = "emailBody"
	InputTellByEmail  = "tellByEmail"
	DataCaseID        = "caseId"
	DataVerb          = "verb"
)

// RenderOptions carries what the card alone does not know: the choices of
// its forms.
type RenderOptions struct {
	Assignees  []string // team members and managers, by email
	RootCauses []string
	// RootCauseLabel names a root cause in the card's language; nil shows the id.
	RootCauseLabel   func(string) string
	ThankMethods     []string
	NoContactReasons []string
	// Refresh makes the card refreshable (Universal Actions): opened by one
	// of RefreshUsers (Teams user ids, at most MaxRefreshUsers), it is
	// replaced by the card for that person's role.
	Refresh      bool
	RefreshUsers []string
}

// element is one Adaptive Card element or action.
type element = map[string]any

// adaptiveCard is the envelope of every card cxloop sends: an Adaptive Card
// at CardVersion, as wide as Teams allows.
func adaptiveCard(body []any) element {
	return element{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": CardVersion,
		"body":    body,
		"msteams": element{"width": "Full"},
	}
}

// RenderCard renders a case card as an Adaptive Card (schema 1.5). Every
// untrusted text (the customer's words, names, attributes, notes) is placed
// in a TextRun, which Adaptive Cards never read as markdown, so it can link
// nothing and mention no one. The result stays under MaxCardBytes.
func RenderCard(c bot.Card, o RenderOptions) element {
	comment := c.Comment
	attrs := c.Attributes
	for range 6 {
		card := renderCard(c, o, comment, attrs)
		b, err := json.Marshal(card)
		if err == nil && len(b) <= MaxCardBytes {
			return card
		}
		// Too big: cut the comment and the attributes and try again.
		comment = clipRunes(comment, utf8.RuneCountInString(comment)/2)
		if len(attrs) > 3 {
			attrs = attrs[:len(attrs)/2]
		}
		o.Assignees = clipList(o.Assignees, len(o.Assignees)/2)
	}
	return renderCard(c, RenderOptions{Refresh: o.Refresh, RefreshUsers: o.RefreshUsers}, clipRunes(c.Comment, 200), nil)
}

func renderCard(c bot.Card, o RenderOptions, comment string, attrs []bot.Attribute) element {
	// The order is what a person on a phone needs first: the score and
	// team, the customer's words, what is due (or late), then who has it.
	head := element{"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true, "text": EscapeMarkdown(c.Header())}
	switch c.Severity() {
	case bot.SeverityCritical:
		head["color"] = "Attention"
	case bot.SeverityHigh, bot.SeverityModerate:
		head["color"] = "Warning"
	}
	body := []any{head}

	quote := clipRunes(comment, maxCommentRunes)
	shortened := quote != c.Comment
	if quote == "" {
		quote = c.T("card.comment.none")
	}
	commentRun := element{"type": "TextRun", "text": quote}
	if comment != "" {
		commentRun["italic"] = true
	}
	body = append(body, element{"type": "Container", "style": "emphasis", "spacing": "Small", "items": []any{
		element{"type": "RichTextBlock", "inlines": []any{commentRun}},
	}})
	if shortened {
		// The note and its button right under the comment, as on Slack.
		body = append(body, element{"type": "TextBlock", "isSubtle": true, "size": "Small", "wrap": true, "spacing": "Small",
			"text": EscapeMarkdown(c.T("card.comment.shortened"))})
		if !c.ReadOnly {
			body = append(body, element{"type": "ActionSet", "spacing": "Small", "actions": []any{execute(c.CaseID, VerbFullComment, c.T("card.button.full_comment"), "")}})
		}
	}
	if line := c.DeadlineLine(); line != "" {
		due := element{"type": "TextBlock", "wrap": true, "spacing": "Small", "text": EscapeMarkdown(line)}
		if _, late := c.Late(); late {
			due["color"], due["weight"] = "Attention", "Bolder"
			due["text"] = "⚠ " + EscapeMarkdown(line)
		}
		body = append(body, due)
	}

	facts := []any{}
	addFact := func(label string, value any) {
		facts = append(facts, element{"type": "ColumnSet", "spacing": "Small", "columns": []any{
			element{"type": "Column", "width": "100px", "items": []any{element{"type": "TextBlock", "weight": "Bolder", "wrap": true, "text": label}}},
			element{"type": "Column", "width": "stretch", "items": []any{value}},
		}})
	}
	// An open case says "no owner" in its state; an owner row would only
	// repeat it.
	if c.Owner != "" {
		addFact(c.T("card.field.owner"), plain(clipRunes(c.OwnerName(), maxValueRunes)))
	}
	state := element{"type": "TextBlock", "wrap": true, "text": EscapeMarkdown(c.StateLabel())}
	if c.ShowsOverdue() {
		state["color"] = "Attention"
	}
	addFact(c.T("card.field.state"), state)
	if c.ThankedAt != nil {
		addFact(c.T("card.field.thanked"), dateText(*c.ThankedAt))
	}
	if c.ResolvedAt != nil {
		addFact(c.T("card.field.resolved"), dateText(*c.ResolvedAt))
	}
	body = append(body, element{"type": "Container", "spacing": "Small", "items": facts})

	for _, l := range c.Later {
		body = append(body, element{"type": "RichTextBlock", "inlines": []any{
			element{"type": "TextRun", "text": c.T("joined.label") + " ", "weight": "Bolder"},
			element{"type": "TextRun", "text": clipRunes(l.LaterLine(), 400), "italic": true},
		}})
	}
	unsub := ""
	if c.Email == models.EmailSuppressed {
		unsub = l10n.T(c.Lang, "email.unsubscribed")
	}
	if who := strings.Join(nonEmpty(c.CustomerName, c.MaskedEmail, c.MaskedPhone, unsub), " · "); who != "" {
		body = append(body, element{"type": "RichTextBlock", "inlines": []any{
			element{"type": "TextRun", "text": c.T("card.customer") + ": ", "weight": "Bolder"},
			element{"type": "TextRun", "text": clipRunes(who, 3*maxValueRunes)},
		}})
	}
	if c.Touchpoint != "" {
		attrs = append([]bot.Attribute{{Name: c.T("card.field.touchpoint"), Value: c.Touchpoint}}, attrs...)
	}
	if len(attrs) > 0 {
		var in []any
		for i, a := range attrs {
			if i > 0 {
				in = append(in, element{"type": "TextRun", "text": " · ", "isSubtle": true})
			}
			in = append(in,
				element{"type": "TextRun", "text": clipRunes(a.Name, maxValueRunes) + ": ", "isSubtle": true},
				element{"type": "TextRun", "text": clipRunes(a.Value, maxValueRunes)})
		}
		body = append(body, element{"type": "RichTextBlock", "inlines": in})
	}
	if len(c.Themes) > 0 {
		themes := make([]string, len(c.Themes))
		for i, t := range c.Themes {
			themes[i] = clipRunes(c.Label(t), maxValueRunes)
		}
		body = append(body, element{"type": "RichTextBlock", "inlines": []any{
			element{"type": "TextRun", "text": c.T("card.themes") + ": ", "weight": "Bolder"},
			element{"type": "TextRun", "text": strings.Join(themes, ", ")},
		}})
	}
	if c.RootCause != "" || c.Resolution != "" {
		var in []any
		if c.RootCause != "" {
			in = append(in, element{"type": "TextRun", "text": c.T("card.root_cause") + ": ", "weight": "Bolder"},
				element{"type": "TextRun", "text": clipRunes(c.Label(c.RootCause), maxValueRunes)})
		}
		if c.Resolution != "" {
			if len(in) > 0 {
				in = append(in, element{"type": "TextRun", "text": "\n"})
			}
			in = append(in, element{"type": "TextRun", "text": c.T("card.resolution") + ": ", "weight": "Bolder"},
				element{"type": "TextRun", "text": clipRunes(c.Resolution, maxNoteRunes)})
		}
		body = append(body, element{"type": "RichTextBlock", "inlines": in})
	}
	var foot []string
	if c.Source != "" {
		foot = append(foot, c.T("card.footer.source", "Source", clipRunes(c.Source, maxValueRunes)))
	}
	if !c.SubmittedAt.IsZero() {
		foot = append(foot, c.T("card.footer.submitted", "Date", l10n.DateTime(c.Lang, c.SubmittedAt.UTC())))
	}
	if len(foot) > 0 {
		body = append(body, element{"type": "RichTextBlock", "inlines": []any{
			element{"type": "TextRun", "text": strings.Join(foot, " · "), "isSubtle": true, "size": "Small"},
		}})
	}

	var actions []any
	primary, hasPrimary := c.Primary()
	for i, a := range c.Actions {
		if act := renderAction(c, a, o); act != nil {
			// The next step alone is highlighted.
			if hasPrimary && i == 0 && a == primary {
				act["style"] = "positive"
			} else {
				delete(act, "style")
			}
			actions = append(actions, act)
		}
	}
	// Adaptive Card hosts show at most maxActions buttons in a row and
	// drop the rest, so a longer list takes a second row.
	for len(actions) > 0 {
		n := min(len(actions), maxActions)
		body = append(body, element{"type": "ActionSet", "actions": actions[:n]})
		actions = actions[n:]
	}
	card := adaptiveCard(body)
	if o.Refresh {
		r := element{"action": element{"type": "Action.Execute", "verb": VerbRefresh,
			"data": element{DataCaseID: c.CaseID, DataVerb: VerbRefresh}}}
		if len(o.RefreshUsers) > 0 {
			r["userIds"] = clipList(o.RefreshUsers, MaxRefreshUsers)
		}
		card["refresh"] = r
	}
	inertRuns(card)
	return card
}

// renderAction is one button: Action.Execute with an Action.Submit fallback,
// or a ShowCard holding the form and its Execute button.
func renderAction(c bot.Card, a bot.Action, o RenderOptions) element {
	t := c.T
	switch a {
	case bot.ActionTake:
		return execute(c.CaseID, VerbTake, c.ActionLabel(a), "")
	case bot.ActionShowContact:
		return execute(c.CaseID, VerbShowContact, c.ActionLabel(a), "")
	case bot.ActionReopen:
		return execute(c.CaseID, VerbReopen, c.ActionLabel(a), "")
	case bot.ActionAssign:
		if len(o.Assignees) == 0 {
			return nil
		}
		return showCard(c.ActionLabel(a), []any{assigneeChoice(c, t("form.assign.to"), o.Assignees)},
			execute(c.CaseID, VerbAssign, t("form.assign.submit"), "positive"))
	case bot.ActionThank:
		methods := c.ThankMethods
		if methods == nil {
			methods = orDefault(o.ThankMethods, []string{"call", "meeting", "message", "other"})
		}
		inputs := []any{
			choiceSet(c.Lang, InputMethod, t("form.thank.method_teams"), methods, catalogLabel(c.Lang, "method.")),
			element{"type": "Input.Text", "id": InputThankNote, "label": t("form.note"), "isMultiline": true, "maxLength": 1000},
		}
		if d := c.ThankYouEmail; d != nil {
			inputs = append(inputs,
				element{"type": "TextBlock", "text": EscapeMarkdown(t("email.draft_heading")), "weight": "Bolder", "wrap": true, "spacing": "Medium"},
				element{"type": "Input.Text", "id": InputEmailSubject, "label": t("email.subject"), "value": clipRunes(d.Subject, 300), "maxLength": 300},
				element{"type": "Input.Text", "id": InputEmailBody, "label": t("email.body"), "value": clipRunes(d.Body, 5000),
					"isMultiline": true, "maxLength": 5000})
		}
		return showCard(c.ActionLabel(a), inputs, execute(c.CaseID, VerbThank, t("form.thank.submit"), "positive"))
	case bot.ActionResolve:
		inputs := []any{
			choiceSet(c.Lang, InputRootCause, t("form.resolve.root_cause"), o.RootCauses, rootCauseLabel(c, o)),
			element{"type": "Input.Text", "id": InputResolution, "label": t("form.resolve.done"), "isMultiline": true,
				"isRequired": true, "errorMessage": t("form.resolve.done_required"), "maxLength": 2000},
			element{"type": "Input.Toggle", "id": InputSystemic, "title": t("form.resolve.systemic"),
				"valueOn": "true", "valueOff": "false", "value": "false"},
		}
		if c.Email.Allowed() {
			inputs = append(inputs, element{"type": "Input.Toggle", "id": InputTellByEmail, "title": t("email.tell"),
				"valueOn": "true", "valueOff": "false", "value": "false", "wrap": true},
				element{"type": "TextBlock", "text": EscapeMarkdown(t("email.tell_hint")), "isSubtle": true, "size": "Small", "wrap": true, "spacing": "None"})
		}
		return showCard(c.ActionLabel(a), inputs, execute(c.CaseID, VerbResolve, t("form.resolve.submit"), "positive"))
	case bot.ActionNoContact:
		return showCard(c.ActionLabel(a), []any{
			choiceSet(c.Lang, InputReason, t("form.no_contact.reason"), orDefault(o.NoContactReasons, []string{"anonymous", "no_consent", "unreachable"}), catalogLabel(c.Lang, "reason.")),
			element{"type": "Input.Text", "id": InputNoContactNote, "label": t("form.note"), "isMultiline": true, "maxLength": 1000},
		}, execute(c.CaseID, VerbNoContact, t("form.no_contact.submit_teams"), "destructive"))
	}
	return nil
}

// rootCauseLabel names root causes as the options say, else by the card's
// labels (the YAML's, in the card's language).
func rootCauseLabel(c bot.Card, o RenderOptions) func(string) string {
	if o.RootCauseLabel != nil {
		return o.RootCauseLabel
	}
	return c.Label
}

// catalogLabel labels a domain value from the catalog under prefix, or
// by the value itself when the catalog has no such message.
func catalogLabel(lang, prefix string) func(string) string {
	return func(v string) string {
		if l := l10n.T(lang, prefix+v); l != prefix+v {
			return l
		}
		return titleCase(strings.ReplaceAll(v, "_", " "))
	}
}

func orDefault(l, def []string) []string {
	if len(l) == 0 {
		return def
	}
	return l
}

// execute is an Action.Execute (Universal Actions) whose fallback on clients
// without them is an Action.Submit with the same data.
func execute(caseID int64, verb, title, style string) element {
	data := element{DataCaseID: caseID, DataVerb: verb}
	a := element{"type": "Action.Execute", "title": title, "verb": verb, "data": data,
		"fallback": element{"type": "Action.Submit", "title": title, "data": data}}
	if style != "" {
		a["style"] = style
	}
	return a
}

func showCard(title string, inputs []any, submit element) element {
	return element{"type": "Action.ShowCard", "title": title, "card": element{
		"type": "AdaptiveCard", "version": CardVersion, "body": inputs, "actions": []any{submit},
	}}
}

func choiceSet(lang, id, labelText string, values []string, title func(string) string) element {
	values = clipList(values, maxChoices)
	choices := make([]any, len(values))
	for i, v := range values {
		t := v
		if title != nil {
			t = title(v)
		}
		choices[i] = element{"title": clipRunes(t, maxValueRunes), "value": v}
	}
	// No value: a required choice starts empty, so the person picks one
	// rather than sending the first by default.
	return element{"type": "Input.ChoiceSet", "id": id, "label": labelText, "style": "compact", "isRequired": true,
		"errorMessage": l10n.T(lang, "form.choose_one"), "choices": choices}
}

// assigneeChoice picks one of the team's people by name, as the roster
// names them (else as their email reads), typed to filter; two people of
// one name are told apart by their emails. The values stay the emails.
func assigneeChoice(c bot.Card, label string, people []string) element {
	count := map[string]int{}
	for _, e := range people {
		count[c.PersonName(e)]++
	}
	set := choiceSet(c.Lang, InputAssignee, label, people, func(e string) string {
		if n := c.PersonName(e); count[n] == 1 {
			return n
		}
		return c.T("teamscard.assign.person_email", "Name", c.PersonName(e), "Email", e)
	})
	set["style"] = "filtered"
	return set
}

// plain is untrusted text as a RichTextBlock: TextRuns are never markdown.
func plain(s string) element {
	return element{"type": "RichTextBlock", "inlines": []any{element{"type": "TextRun", "text": s}}}
}

// dateText shows a time in the reader's own time zone (Adaptive Card date
// functions) with the UTC time as fallback.
func dateText(t time.Time) element {
	u := t.UTC().Format("2006-01-02T15:04:05Z")
	return element{"type": "TextBlock", "wrap": true, "text": "{{DATE(" + u + ", SHORT)}} {{TIME(" + u + ")}}"}
}

// CardSize is the size of a rendered card in bytes of JSON.
func CardSize(card map[string]any) int {
	b, _ := json.Marshal(card)
	return len(b)
}

// CardAttachment wraps a rendered card as an activity attachment.
func CardAttachment(card element) schema.Attachment {
	return schema.Attachment{ContentType: CardContentType, Content: card}
}

// FallbackText is the one-line notification text of a card (an activity's
// summary, shown as plain text).
func FallbackText(c bot.Card) string { return c.Summary() }

// EscapeMarkdown makes text inert in Teams messages and TextBlocks and
// shows it as written. Teams reads a subset of markdown (emphasis, code,
// strike-through, links, headings, lists, quotes) and renders HTML, and its
// clients disagree on backslash escapes (Android shows the backslash), so
// only the characters that can start markup are replaced, each by its HTML
// character reference: emphasis, code and link punctuation anywhere, list
// and heading markers at the start of a line, and <, > and & (mentions and
// HTML). "{{" gets an invisible word joiner so that the renderer's
// {{DATE(…)}} and {{TIME(…)}} functions never turn customer text into a
// date. Text without such characters, most of cxloop's own, is unchanged.
func EscapeMarkdown(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	rs := []rune(s)
	lineStart := true
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if lineStart && r != ' ' && r != '\t' {
			lineStart = false
			switch {
			case r == '#' || r == '-' || r == '+' || r == '=':
				fmt.Fprintf(&b, "&#%d;", r)
				continue
			case r >= '0' && r <= '9':
				j := i
				for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
					j++
				}
				if j < len(rs) && (rs[j] == '.' || rs[j] == ')') {
					b.WriteString(string(rs[i:j]))
					fmt.Fprintf(&b, "&#%d;", rs[j])
					i = j
					continue
				}
			}
		}
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '*', '_', '~', '`', '[', ']', '\\':
			fmt.Fprintf(&b, "&#%d;", r)
		case '{':
			b.WriteRune(r)
			if i+1 < len(rs) && rs[i+1] == '{' {
				b.WriteRune(wordJoiner)
			}
		case '\r':
		case '\n':
			b.WriteRune(r)
			lineStart = true
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// wordJoiner is invisible and keeps "{{" from reading as a template function.
const wordJoiner = '\u2060'

// Inert keeps untrusted text in a TextRun as written: TextRuns are never
// markdown, but the renderer still expands {{DATE(…)}} and {{TIME(…)}} in
// them.
func Inert(s string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '{' && i+1 < len(s) && s[i+1] == '{' {
			b.WriteRune(wordJoiner)
		}
	}
	return b.String()
}

// inertRuns applies Inert to the text of every TextRun in v: all untrusted
// text of a card is in TextRuns, and none of cxloop's own uses functions.
func inertRuns(v any) {
	switch x := v.(type) {
	case map[string]any:
		if x["type"] == "TextRun" {
			if t, ok := x["text"].(string); ok {
				x["text"] = Inert(t)
			}
		}
		for _, e := range x {
			inertRuns(e)
		}
	case []any:
		for _, e := range x {
			inertRuns(e)
		}
	}
}

// MessageText is text for a Teams message: each line escaped with
// EscapeMarkdown, the line breaks kept as markdown hard breaks.
func MessageText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = EscapeMarkdown(l)
	}
	return strings.Join(lines, "  \n")
}

// CaseIDOf reads the case id of action data (a number or a string).
func CaseIDOf(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		return int64(x), x > 0 && x == float64(int64(x))
	case json.Number:
		n, err := x.Int64()
		return n, err == nil && n > 0
	case string:
		n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(x), "#"), 10, 64)
		return n, err == nil && n > 0
	}
	return 0, false
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func clipList(l []string, n int) []string {
	if len(l) <= n {
		return l
	}
	return l[:n]
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}
