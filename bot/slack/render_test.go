package slack_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/models"
)

// rendered is a card's blocks as Slack receives them, decoded back into
// generic JSON so the tests see what Slack sees.
type rendered struct {
	raw    string
	blocks []map[string]any
}

func render(t *testing.T, c bot.Card, o cxslack.RenderOptions) rendered {
	t.Helper()
	raw, err := json.Marshal(cxslack.RenderCardWith(c, o))
	if err != nil {
		t.Fatal(err)
	}
	r := rendered{raw: string(raw)}
	if err := json.Unmarshal(raw, &r.blocks); err != nil {
		t.Fatal(err)
	}
	return r
}

// texts returns every text string in the blocks with the JSON path of its
// field ("fields" entries and others), decoded.
func (r rendered) texts() (all []string, fieldTexts []string) {
	var walk func(v any, inFields bool)
	walk = func(v any, inFields bool) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e, inFields)
			}
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && k == "text" {
					all = append(all, s)
					if inFields {
						fieldTexts = append(fieldTexts, s)
					}
					continue
				}
				walk(e, inFields || k == "fields")
			}
		}
	}
	for _, b := range r.blocks {
		walk(b, false)
	}
	return all, fieldTexts
}

func (r rendered) joined() string {
	all, _ := r.texts()
	return strings.Join(all, "\n")
}

// buttons returns the action_id → value of every button.
func (r rendered) buttons() (ids []string, values []string, styles map[string]string) {
	styles = map[string]string{}
	for _, b := range r.blocks {
		if b["type"] != "actions" {
			continue
		}
		for _, e := range b["elements"].([]any) {
			el := e.(map[string]any)
			id, _ := el["action_id"].(string)
			ids = append(ids, id)
			v, _ := el["value"].(string)
			values = append(values, v)
			if s, ok := el["style"].(string); ok {
				styles[id] = s
			}
		}
	}
	return ids, values, styles
}

func TestRenderCardLayout(t *testing.T) {
	r := render(t, sampleCard(), cxslack.RenderOptions{OwnerID: "U0LIIS"})
	if r.blocks[0]["type"] != "header" || !strings.Contains(r.joined(), "🟠 NPS 3 · Case #42 · Contact Center") {
		t.Fatalf("header: %v", r.blocks[0])
	}
	text := r.joined()
	for _, want := range []string{
		"*Owner*\n<@U0LIIS>",
		"*Touchpoint:* call-center",
		"Thank by 5 Oct 09:00 · Resolve by 7 Oct 09:00",
		"> Waited 40 minutes on the phone.\n> Nobody called back.",
		"`k***@example.com`",
		"*country:* EE",
		"`waiting`",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in\n%s", want, text)
		}
	}
	if strings.Contains(text, "OVERDUE") {
		t.Error("OVERDUE on a case that is not overdue")
	}

	ids, values, styles := r.buttons()
	want := []string{"case.thank", "case.resolve", "case.assign", "case.no_contact", "case.show_contact"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("buttons %v, want %v", ids, want)
	}
	for _, v := range values {
		if v != "42" {
			t.Fatalf("button value %q, want the case id", v)
		}
	}
	if len(styles) != 1 || styles["case.thank"] != "primary" {
		t.Errorf("styles %v: the thank-you, the next step, alone is primary", styles)
	}
}

func TestRenderCardStates(t *testing.T) {
	thanked := time.Date(2026, 10, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		edit        func(*bot.Card)
		want, avoid []string
		buttons     string
	}{
		{"open: Take is primary", func(c *bot.Card) {
			c.State, c.Owner, c.Actions = models.StateOpen, "", bot.ActionsFor(models.StateOpen, false)
		}, []string{"Open — no owner"}, []string{"nobody yet", "*Owner*"}, "case.take,case.assign,case.no_contact,case.show_contact"},
		{"overdue", func(c *bot.Card) { c.Overdue = true }, []string{"*OVERDUE*"}, nil, ""},
		{"owner unresolved shows a name", func(c *bot.Card) {}, []string{"*Owner*\nLiis"}, []string{"<@", "liis@example.com"}, ""},
		{"owner named by the directory", func(c *bot.Card) { c.Names = map[string]string{"liis@example.com": "Liis Kask"} },
			[]string{"*Owner*\nLiis Kask"}, []string{"liis@example.com"}, ""},
		{"thanked shows when", func(c *bot.Card) {
			c.State, c.ThankedAt = models.StateThanked, &thanked
		}, []string{"*Thanked*", fmt.Sprintf("<!date^%d^", thanked.Unix()), "Resolve by"}, []string{"Thank by"}, ""},
		{"resolved: no due times, no overdue, root cause", func(c *bot.Card) {
			c.State, c.Overdue, c.ResolvedAt, c.ThankedAt = models.StateResolved, true, &thanked, &thanked
			c.RootCause, c.Resolution = "process", "Callback queue fixed <!here>"
			c.Actions = bot.ActionsFor(models.StateResolved, true)
		}, []string{"*Resolved*", "*Root cause:* process", "Callback queue fixed &lt;!here&gt;"},
			[]string{"OVERDUE", "Resolve by", "Thank by"}, "case.reopen,case.show_contact"},
		{"no comment", func(c *bot.Card) { c.Comment = "  " }, []string{"_No comment._"}, []string{"full comment"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleCard()
			tt.edit(&c)
			r := render(t, c, cxslack.RenderOptions{})
			text := r.joined()
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("missing %q in\n%s", w, text)
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(text, a) {
					t.Errorf("unexpected %q in\n%s", a, text)
				}
			}
			if tt.buttons != "" {
				ids, _, styles := r.buttons()
				if got := strings.Join(ids, ","); got != tt.buttons {
					t.Errorf("buttons %s, want %s", got, tt.buttons)
				}
				if strings.Contains(tt.buttons, "case.take") && styles["case.take"] != "primary" {
					t.Errorf("Take style %q", styles["case.take"])
				}
			}
		})
	}
}

func TestRenderCardOwnerIDMustLookLikeAUser(t *testing.T) {
	for _, id := range []string{"U0LIIS>|x", "!channel", "C0CHAN", "u0liis"} {
		r := render(t, sampleCard(), cxslack.RenderOptions{OwnerID: id})
		text := r.joined()
		if strings.Contains(text, "<@") || strings.Count(text, "<!") != strings.Count(text, "<!date^") {
			t.Errorf("owner id %q made a mention", id)
		}
	}
}

func TestRenderCardLimits(t *testing.T) {
	long := strings.Repeat("Waited far too long & nobody <cared>. ", 400)[:12000]
	tests := []struct {
		name    string
		edit    func(*bot.Card)
		wantCut bool
	}{
		{"12,000-char comment", func(c *bot.Card) { c.Comment = long }, true},
		{"12,000 multi-byte chars", func(c *bot.Card) { c.Comment = strings.Repeat("ootasin järjekorras 🙁 ", 600) }, true},
		{"3,000 newlines", func(c *bot.Card) { c.Comment = strings.Repeat("a\n", 3000) }, true},
		// 2,090 characters but 3,135 UTF-16 units, which Slack may count.
		{"emoji comment of 3,135 UTF-16 units", func(c *bot.Card) { c.Comment = strings.TrimSpace(strings.Repeat("😡 ", 1045)) + "!!" }, true},
		{"emoji comment that fits", func(c *bot.Card) { c.Comment = strings.Repeat("😡", 1400) }, false},
		{"short comment", func(c *bot.Card) {}, false},
		{"everything huge", func(c *bot.Card) {
			c.Comment = long
			c.CustomerName = strings.Repeat("<&>", 2000)
			c.MaskedEmail = strings.Repeat("&", 3000) + "@example.com"
			c.MaskedPhone = strings.Repeat(">", 3000)
			c.TeamName, c.Touchpoint, c.Source = strings.Repeat("&", 5000), strings.Repeat("<", 5000), strings.Repeat(">", 5000)
			c.Resolution, c.RootCause = strings.Repeat("&", 9000), strings.Repeat("<", 9000)
			c.Overdue = true
			for i := range 60 {
				c.Attributes = append(c.Attributes, bot.Attribute{Name: fmt.Sprintf("attr%02d", i), Value: strings.Repeat("<", 500)})
				c.Themes = append(c.Themes, strings.Repeat("&", 300))
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleCard()
			tt.edit(&c)
			blocks := cxslack.RenderCardWith(c, cxslack.RenderOptions{})
			if len(blocks) > cxslack.MaxBlocks {
				t.Fatalf("%d blocks", len(blocks))
			}
			r := render(t, c, cxslack.RenderOptions{})
			all, fields := r.texts()
			for _, s := range all {
				if n := len(utf16.Encode([]rune(s))); n > cxslack.MaxTextLen {
					t.Errorf("text of %d UTF-16 units: %.80q…", n, s)
				}
				if !utf8.ValidString(s) {
					t.Errorf("invalid UTF-8: %.80q", s)
				}
			}
			for _, s := range fields {
				if n := utf8.RuneCountInString(s); n > cxslack.MaxFieldLen {
					t.Errorf("field of %d chars", n)
				}
			}
			for _, b := range r.blocks {
				if b["type"] == "context" && len(b["elements"].([]any)) > 10 {
					t.Errorf("context block with %d elements", len(b["elements"].([]any)))
				}
				if b["type"] == "header" && utf8.RuneCountInString(b["text"].(map[string]any)["text"].(string)) > 150 {
					t.Error("header over 150 chars")
				}
			}
			// slack-go's own validation of each text object agrees.
			for _, b := range blocks {
				if s, ok := b.(*slackgo.SectionBlock); ok && s.Text != nil {
					if err := s.Text.Validate(); err != nil {
						t.Errorf("section text: %v", err)
					}
				}
			}

			ids, values, _ := r.buttons()
			hasFull := strings.Contains(strings.Join(ids, ","), cxslack.ActionFullComment)
			if hasFull != tt.wantCut {
				t.Fatalf("full-comment button %v, want %v (buttons %v)", hasFull, tt.wantCut, ids)
			}
			if hasFull && values[len(values)-1] != "42" {
				t.Errorf("full-comment value %q", values[len(values)-1])
			}
			quote := commentText(r)
			if tt.wantCut && !strings.HasSuffix(quote, "…") {
				t.Errorf("cut comment does not end in …: %q", quote[len(quote)-20:])
			}
			// Cut with a margin below Slack's 3,000, and not far below it.
			if n := len(utf16.Encode([]rune(quote))); n > 2900 || tt.wantCut && n < 2500 {
				t.Errorf("cut comment is %d UTF-16 units, want 2,500 to 2,900", n)
			}
			if strings.Contains(quote, "&amp…") || strings.Contains(quote, "&l…") {
				t.Errorf("cut split an escape: %q", quote[len(quote)-20:])
			}
		})
	}
}

func commentText(r rendered) string {
	for _, b := range r.blocks {
		if id, _ := b["block_id"].(string); strings.HasSuffix(id, "-comment") {
			return b["text"].(map[string]any)["text"].(string)
		}
	}
	return ""
}

// hostile holds every form of mention and link Slack knows.
const hostile = "Hi <!channel> <!here> <!everyone> <!here|here> <@U024BE7LH> <@W123|boss> <#C024BE7LR> " +
	"<#C024BE7LR|general> <!subteam^S012345> <!subteam^S012345|@team> <!date^1392734382^{date}|x> " +
	"<https://evil.example/login|Click to verify> <mailto:a@b.c|mail> &lt;!channel&gt;\n" +
	"@channel @here @everyone @Channel @HERE\n> not a quote"

func TestEscapingInTheCard(t *testing.T) {
	c := sampleCard()
	c.Comment = hostile
	c.CustomerName = "<!channel> Kadri"
	c.TeamName = "<@U999> team"
	c.Touchpoint = "<#C111>"
	c.Source = "<https://evil.example|src>"
	c.Attributes = []bot.Attribute{{Name: "<!here>", Value: "<!subteam^S1>"}}
	c.Themes = []string{"<!everyone>", "`<!channel>`"}
	c.Resolution = "@channel done"
	c.Owner = "<!channel>@example.com"
	r := render(t, c, cxslack.RenderOptions{})
	// The header, which names the team, is plain_text: Slack reads nothing
	// in it as a mention.
	if h := r.blocks[0]; h["type"] != "header" || h["text"].(map[string]any)["type"] != "plain_text" {
		t.Fatalf("header %v is not plain text", h)
	}
	r.blocks = r.blocks[1:]
	text := r.joined()
	// Live tokens look like <@…>, <#…>, <!…> (other than our dates) or <http…>.
	for _, live := range []string{"<!channel", "<!here", "<!everyone", "<@", "<#", "<!subteam", "<https:", "<mailto:"} {
		if strings.Contains(text, live) {
			t.Errorf("live %q in the rendered card", live)
		}
	}
	if strings.Count(text, "<!date^") != strings.Count(text, "{date_short_pretty}") {
		t.Error("a <!date> token that the renderer did not write")
	}
	for _, word := range []string{"@channel", "@here", "@everyone", "@Channel", "@HERE"} {
		if strings.Contains(text, word) {
			t.Errorf("bare %q not neutralised", word)
		}
	}
	// The customer's text is still all there, shown literally.
	for _, want := range []string{"&lt;!channel&gt;", "&lt;https://evil.example/login|Click to verify&gt;",
		"&amp;lt;!channel&amp;gt;", "@\u200dchannel", "> &gt; not a quote"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q", want)
		}
	}
	// Every line of the comment is quoted.
	for _, line := range strings.Split(commentText(r), "\n") {
		if !strings.HasPrefix(line, "> ") {
			t.Errorf("unquoted comment line %q", line)
		}
	}
	// The fallback text is escaped the same way.
	fb := cxslack.FallbackText(c)
	if strings.Contains(fb, "<!") || strings.Contains(fb, "<@") || strings.Contains(fb, "<#") {
		t.Errorf("fallback %q", fb)
	}
	// And mrkdwn objects are verbatim, so Slack auto-links nothing in them.
	if strings.Contains(r.raw, `"type":"mrkdwn","text"`) && !strings.Contains(r.raw, `"verbatim":true`) {
		t.Error("mrkdwn objects are not verbatim")
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain text, 'quotes' \"and\" *bold*", "plain text, 'quotes' \"and\" *bold*"},
		{"a & b < c > d", "a &amp; b &lt; c &gt; d"},
		{"&amp;", "&amp;amp;"},
		{"<!channel>", "&lt;!channel&gt;"},
		{"<@U123>", "&lt;@U123&gt;"},
		{"<https://x.example|y>", "&lt;https://x.example|y&gt;"},
		{"@channel", "@\u200dchannel"},
		{"hey @Here!", "hey @\u200dHere!"},
		{"@EVERYONE", "@\u200dEVERYONE"},
		{"mail me at a@example.com", "mail me at a@example.com"},
		{"@", "@"},
		{"järjekord @here 🙁", "järjekord @\u200dhere 🙁"},
		{"bad \xff byte", "bad \uFFFD byte"},
	}
	for _, tt := range tests {
		if got := cxslack.Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
