package slack

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
const (
	// MaxBlocks is the most blocks one message may carry.
	MaxBlocks = 50
	// MaxTextLen is the most characters in a text object (section text,
	// context element).
	MaxTextLen = 3000
	// MaxFieldLen is the most characters in one section field.
	MaxFieldLen = 2000

	maxHeaderLen  = 150 // header block plain_text
	maxFields     = 10  // fields per section
	maxContextEls = 10  // elements per context block
	maxButtons    = 25  // elements per actions block
	maxValueLen   = 200 // one short untrusted value: team, touchpoint, attribute, theme, name
	maxNoteLen    = 1000
	maxButtonLen  = 75  // button text
	fallbackLen   = 150 // comment excerpt in the notification text
	// maxCommentUnits bounds the comment block in UTF-16 code units, what
	// Slack's 3,000-character limit may count (an emoji is two), with a
	// margin below it.
	maxCommentUnits = 2900
)

// ActionFullComment is the action_id of the button shown when a comment was
// too long for the card.
const ActionFullComment = "case.full_comment"

// ActionID is the action_id of a card button: "case.take", "case.resolve", ….
func ActionID(a bot.Action) string { return "case." + string(a) }

// RenderOptions carries what the renderer cannot know from the card alone.
type RenderOptions struct {
	// OwnerID is the Slack user id of card.Owner, when the directory knew it;
	// empty shows the owner's email as text.
	OwnerID string
}

// RenderCardWith renders a case card as Block Kit blocks; with no OwnerID
// the owner is shown by email. Every untrusted text is escaped; see Escape.
// The result stays within Slack's limits: at most MaxBlocks blocks and
// MaxTextLen characters per text; a longer comment is cut and offered in
// full by a button.
func RenderCardWith(c bot.Card, o RenderOptions) []slackgo.Block {
	id := strconv.FormatInt(c.CaseID, 10)
	blockID := func(part string) string { return "case-" + id + "-" + part }

	// The order is what a person on a phone needs first: the score and
	// team, the customer's words, what is due (or late), then who has it.
	// Header: plain_text, so nothing in it is interpreted.
	blocks := []slackgo.Block{
		slackgo.NewHeaderBlock(slackgo.NewTextBlockObject(slackgo.PlainTextType, clip(c.Header(), maxHeaderLen), true, false),
			slackgo.HeaderBlockOptionBlockID(blockID("header"))),
	}

	comment, cut := quoteWithin(c.Comment, maxCommentUnits)
	if comment == "" {
		comment = "_" + Escape(c.T("card.comment.none")) + "_"
	}
	blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(comment), nil, nil, slackgo.SectionBlockOptionBlockID(blockID("comment"))))

	if line := c.DeadlineLine(); line != "" {
		text := Escape(line)
		if _, late := c.Late(); late {
			text = ":rotating_light: *" + text + "*"
		}
		blocks = append(blocks, slackgo.NewContextBlock(blockID("due"), mrkdwn(clip(text, MaxTextLen))))
	}

	var fields []*slackgo.TextBlockObject
	addField := func(label, value string) {
		if value != "" && len(fields) < maxFields {
			fields = append(fields, mrkdwn("*"+label+"*\n"+value))
		}
	}
	// An open case says "no owner" in its state; the owner field would
	// only repeat it.
	if c.Owner != "" {
		addField(c.T("card.field.owner"), ownerText(c, o.OwnerID))
	}
	addField(c.T("card.field.state"), stateText(c))
	if c.ThankedAt != nil {
		addField(c.T("card.field.thanked"), slackDate(c.Lang, *c.ThankedAt))
	}
	if c.ResolvedAt != nil {
		addField(c.T("card.field.resolved"), slackDate(c.Lang, *c.ResolvedAt))
	}
	blocks = append(blocks, slackgo.NewSectionBlock(nil, fields, nil, slackgo.SectionBlockOptionBlockID(blockID("fields"))))

	if len(c.Later) > 0 {
		lines := make([]string, len(c.Later))
		for i, l := range c.Later {
			lines[i] = esc(l.LaterLine(), maxNoteLen)
		}
		blocks = append(blocks, slackgo.NewContextBlock(blockID("later"), mrkdwn(joinWithin("*"+c.T("joined.label")+"* ", lines, "\n", MaxTextLen))))
	}
	if who := customerText(c); who != "" {
		blocks = append(blocks, slackgo.NewContextBlock(blockID("customer"), mrkdwn(who)))
	}
	attrs := c.Attributes
	if c.Touchpoint != "" {
		attrs = append([]bot.Attribute{{Name: c.T("card.field.touchpoint"), Value: c.Touchpoint}}, attrs...)
	}
	if len(attrs) > 0 {
		blocks = append(blocks, slackgo.NewContextBlock(blockID("attributes"), attributeElements(attrs)...))
	}
	if len(c.Themes) > 0 {
		tags := make([]string, len(c.Themes))
		for i, t := range c.Themes {
			tags[i] = code(c.Label(t), maxValueLen)
		}
		blocks = append(blocks, slackgo.NewContextBlock(blockID("themes"), mrkdwn(joinWithin(":label: ", tags, "  ", MaxTextLen))))
	}
	if c.RootCause != "" || c.Resolution != "" {
		var b strings.Builder
		if c.RootCause != "" {
			b.WriteString("*" + c.T("card.root_cause") + ":* " + esc(c.Label(c.RootCause), maxValueLen))
		}
		if c.Resolution != "" {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString("*" + c.T("card.resolution") + ":* " + esc(c.Resolution, maxNoteLen))
		}
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(b.String()), nil, nil, slackgo.SectionBlockOptionBlockID(blockID("resolution"))))
	}
	var foot []string
	if c.Source != "" {
		foot = append(foot, c.T("card.footer.source", "Source", esc(c.Source, maxValueLen)))
	}
	if !c.SubmittedAt.IsZero() {
		foot = append(foot, c.T("card.footer.submitted", "Date", slackDate(c.Lang, c.SubmittedAt)))
	}
	if len(foot) > 0 {
		blocks = append(blocks, slackgo.NewContextBlock(blockID("footer"), mrkdwn(strings.Join(foot, " · "))))
	}

	var buttons []slackgo.BlockElement
	primary, hasPrimary := c.Primary()
	for i, a := range c.Actions {
		btn := slackgo.NewButtonBlockElement(ActionID(a), id, slackgo.NewTextBlockObject(slackgo.PlainTextType, clip(c.ActionLabel(a), maxButtonLen), true, false))
		if hasPrimary && i == 0 && a == primary {
			btn = btn.WithStyle(slackgo.StylePrimary)
		}
		buttons = append(buttons, btn)
	}
	if cut {
		buttons = append(buttons, slackgo.NewButtonBlockElement(ActionFullComment, id,
			slackgo.NewTextBlockObject(slackgo.PlainTextType, clip(c.T("card.button.full_comment"), maxButtonLen), true, false)))
	}
	if len(buttons) > maxButtons {
		buttons = buttons[:maxButtons]
	}
	if len(buttons) > 0 {
		blocks = append(blocks, slackgo.NewActionBlock(blockID("actions"), buttons...))
	}

	// The layout above stays far below the limit; the cap keeps a future
	// addition from making Slack refuse the whole card. The actions block,
	// last, is the one to keep.
	if len(blocks) > MaxBlocks {
		blocks = append(blocks[:MaxBlocks-1], blocks[len(blocks)-1])
	}
	return blocks
}

// FallbackText is the message's plain text: what notifications and clients
// without Block Kit show. It is escaped like the blocks.
func FallbackText(c bot.Card) string {
	s := Escape(c.Summary())
	if line := firstLine(c.Comment); line != "" {
		s += ": “" + Escape(clip(line, fallbackLen)) + "”"
	}
	return s
}

// Summary is a one-line, escaped mention of a case for DMs and threads.
func Summary(c bot.Card) string {
	s := "*" + Escape(c.Ref()) + "* · " + Escape(c.Headline()) + " · " + Escape(c.StateLabel())
	if line := firstLine(c.Comment); line != "" {
		s += "\n> " + Escape(clip(line, fallbackLen))
	}
	return s
}

// Escape makes untrusted text inert in Slack mrkdwn. Slack builds every
// mention and link from "<…>" (<!channel>, <@U…>, <#C…>, <!subteam^…>,
// <https://…|label>), so escaping &, < and > (and nothing else, which Slack
// would show literally) prevents all of them. Some clients still turn the
// bare words @channel, @here and @everyone into broadcasts, so a zero-width
// joiner goes after their "@". Invalid UTF-8 is replaced, since Slack
// rejects it.
func Escape(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '@':
			b.WriteByte('@')
			if isBroadcastWord(s[i+1:]) {
				b.WriteString("\u200d")
			}
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// isBroadcastWord reports whether s starts with a broadcast keyword, in any
// case. Longer words ("@heretic") are neutralised too: the joiner is
// invisible, and a client's idea of a word boundary is not ours to guess.
func isBroadcastWord(s string) bool {
	for _, w := range []string{"channel", "here", "everyone"} {
		if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) {
			return true
		}
	}
	return false
}

// quote renders a comment as a mrkdwn block quote, escaped, one "> " per line.
func quote(comment string) string {
	if comment == "" {
		return ""
	}
	lines := strings.Split(Escape(comment), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

// quoteWithin quotes the comment in at most limit UTF-16 code units; cut
// reports that it had to be shortened.
func quoteWithin(comment string, limit int) (text string, cut bool) {
	return fitPrefix(strings.TrimSpace(normaliseNewlines(comment)), limit, quote, utf16Len)
}

// esc escapes s in at most limit characters (after escaping, which can
// make a text five times longer).
func esc(s string, limit int) string {
	out, _ := fitPrefix(s, limit, Escape, utf8.RuneCountInString)
	return out
}

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// fitPrefix renders raw and, when the result is longer than limit (as
// length measures it), renders instead the longest prefix of raw that
// fits with a trailing "…". The cut falls between runes of the raw text,
// so no escape sequence or multi-byte character is split.
func fitPrefix(raw string, limit int, render func(string) string, length func(string) int) (string, bool) {
	if full := render(raw); length(full) <= limit {
		return full, false
	}
	runes := []rune(raw)
	fits := func(n int) bool { return length(render(string(runes[:n])))+1 <= limit }
	// The rendered length grows with the prefix, so bisection finds the
	// longest prefix that fits.
	lo, hi := 0, len(runes)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return render(strings.TrimRightFunc(string(runes[:lo]), unicode.IsSpace)) + "…", true
}

func normaliseNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

func stateText(c bot.Card) string {
	s := Escape(c.StateName())
	if c.ShowsOverdue() {
		s += " · *" + Escape(c.T("state.overdue")) + "*"
	}
	return s
}

// ownerText mentions the owner when the directory resolved a plausible user
// id, and otherwise names them, escaped: a mention built from an unchecked
// id could be anything.
func ownerText(c bot.Card, userID string) string {
	if c.Owner == "" {
		return "_" + Escape(c.T("card.owner.nobody")) + "_"
	}
	if IsUserID(userID) {
		return "<@" + userID + ">"
	}
	return esc(c.PersonName(c.Owner), maxValueLen)
}

// personText mentions a person by a plausible user id, else names them.
func personText(lang, email, userID string) string {
	if email == "" {
		return "_" + Escape(l10n.T(lang, "card.owner.nobody")) + "_"
	}
	if IsUserID(userID) {
		return "<@" + userID + ">"
	}
	return esc(models.PersonName(email), maxValueLen)
}

// IsUserID reports whether id looks like a Slack user id (U… or W…, upper
// case letters and digits): only such an id may go into a <@…> mention.
func IsUserID(id string) bool {
	if len(id) < 3 || len(id) > 30 || (id[0] != 'U' && id[0] != 'W') {
		return false
	}
	for _, r := range id {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func customerText(c bot.Card) string {
	var parts []string
	if c.CustomerName != "" {
		parts = append(parts, esc(c.CustomerName, maxValueLen))
	}
	// Masked values go in code spans: "k***@example.com" would otherwise
	// start bold text and become a mailto link.
	for _, v := range []string{c.MaskedEmail, c.MaskedPhone} {
		if v != "" {
			parts = append(parts, code(v, maxValueLen))
		}
	}
	if c.Email == models.EmailSuppressed {
		parts = append(parts, "_"+Escape(l10n.T(c.Lang, "email.unsubscribed"))+"_")
	}
	if len(parts) == 0 {
		return ""
	}
	return "*" + c.T("card.customer") + ":* " + strings.Join(parts, " · ")
}

// attributeElements renders attributes as context elements, one each; past
// the block's ten elements the rest share the last one.
func attributeElements(attrs []bot.Attribute) []slackgo.MixedElement {
	texts := make([]string, len(attrs))
	for i, a := range attrs {
		texts[i] = "*" + esc(a.Name, maxValueLen) + ":* " + esc(oneLine(a.Value), maxValueLen)
	}
	var els []slackgo.MixedElement
	for i, t := range texts {
		if i == maxContextEls-1 && len(texts) > maxContextEls {
			els = append(els, mrkdwn(joinWithin("", texts[i:], " · ", MaxTextLen)))
			break
		}
		els = append(els, mrkdwn(t))
	}
	return els
}

// joinWithin joins whole pieces after prefix while the result stays within
// limit characters, ending with "…" when pieces were left out.
func joinWithin(prefix string, pieces []string, sep string, limit int) string {
	var b strings.Builder
	b.WriteString(prefix)
	n := utf8.RuneCountInString(prefix)
	for i, p := range pieces {
		add := utf8.RuneCountInString(p)
		if i > 0 {
			add += utf8.RuneCountInString(sep)
		}
		if n+add > limit-1 { // room for the ellipsis
			b.WriteString("…")
			break
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p)
		n += add
	}
	return b.String()
}

// code shows untrusted text verbatim in a code span, escaped, in at most
// limit characters; text with a backtick would end the span early, so it is
// shown as plain escaped text.
func code(s string, limit int) string {
	if s == "" || strings.ContainsRune(s, '`') {
		return esc(s, limit)
	}
	return "`" + esc(s, limit-2) + "`"
}

// DateText is slackDate for callers outside the package.
func DateText(lang string, t time.Time) string { return slackDate(lang, t) }

// slackDate shows a time in each reader's own time zone and Slack locale,
// with a fallback in lang and UTC for clients that cannot.
func slackDate(lang string, t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), Escape(l10n.DateTime(lang, t.UTC())))
}

// mrkdwn is a mrkdwn text object with verbatim set, so that Slack does not
// auto-link URLs, channel names or bare mentions in it; explicit <…> tokens
// written by the renderer still work.
func mrkdwn(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, s, false, true)
}

// clip cuts s to at most n runes, ending with "…" when it was longer.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func firstLine(s string) string {
	s = strings.TrimSpace(normaliseNewlines(s))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func titleCase(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
