package slack_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/models"
)

// inputs returns a modal's input blocks: block id → element type.
func inputs(t *testing.T, v slackgo.ModalViewRequest) map[string]string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Title  struct{ Text string }
		Blocks []struct {
			Type    string
			BlockID string `json:"block_id"`
			Element struct{ Type string }
		}
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(m.Title.Text); n > 24 {
		t.Errorf("title %q is %d characters; Slack allows 24", m.Title.Text, n)
	}
	out := map[string]string{}
	for _, b := range m.Blocks {
		if b.Type == "input" {
			out[b.BlockID] = b.Element.Type
		}
	}
	return out
}

func TestModals(t *testing.T) {
	tests := []struct {
		view     slackgo.ModalViewRequest
		callback string
		want     map[string]string
	}{
		{cxslack.AssignModal("en", 123456, "Contact <!here> Center", "U0LIIS", `{"case":123456}`), cxslack.ModalAssign,
			map[string]string{cxslack.BlockAssignee: "users_select"}},
		{cxslack.ThankModal("en", 42, models.ThankMethods, "42", cxslack.EmailForm{}), cxslack.ModalThank,
			map[string]string{cxslack.BlockMethod: "static_select", cxslack.BlockNote: "plain_text_input"}},
		{cxslack.ResolveModal("en", 42, []string{"product", "process"}, nil, "42", cxslack.EmailForm{}), cxslack.ModalResolve,
			map[string]string{cxslack.BlockRootCause: "static_select", cxslack.BlockNote: "plain_text_input", cxslack.BlockSystemic: "checkboxes"}},
		{cxslack.NoContactModal("en", 42, models.NoContactReasons, "42"), cxslack.ModalNoContact,
			map[string]string{cxslack.BlockReason: "static_select", cxslack.BlockNote: "plain_text_input"}},
	}
	for _, tt := range tests {
		if tt.view.CallbackID != tt.callback || tt.view.PrivateMetadata == "" || !slackgo.ValidateUniqueBlockID(tt.view) {
			t.Errorf("%s: callback %q, metadata %q", tt.callback, tt.view.CallbackID, tt.view.PrivateMetadata)
		}
		got := inputs(t, tt.view)
		if len(got) != len(tt.want) {
			t.Errorf("%s: inputs %v, want %v", tt.callback, got, tt.want)
		}
		for id, typ := range tt.want {
			if got[id] != typ {
				t.Errorf("%s: block %s is %q, want %q", tt.callback, id, got[id], typ)
			}
		}
	}
	raw := unescapedJSON(tests[0].view)
	if strings.Contains(raw, "<!here>") || !strings.Contains(raw, "initial_user\nU0LIIS") {
		t.Errorf("assign modal: %s", raw)
	}
	raw = unescapedJSON(tests[1].view)
	for _, m := range models.ThankMethods {
		if !strings.Contains(raw, "value\n"+m) {
			t.Errorf("thank modal lacks %s", m)
		}
	}
}

func TestHomeViewStaysWithinLimits(t *testing.T) {
	var cards []bot.Card
	for i := 1; i <= 80; i++ {
		c := sampleCard()
		c.CaseID = int64(i)
		c.Comment = "<!channel> " + strings.Repeat("x", 400)
		cards = append(cards, c)
	}
	view := cxslack.HomeView("en", "hello", []cxslack.HomeSection{
		{Key: "mine", Title: "Yours", Cards: cards[:40], More: 3},
		{Key: "overdue", Title: "Overdue", Cards: cards[20:]},
		{Key: "unowned", Title: "Unowned", Empty: "none"},
	}, map[string]string{"liis@example.com": "U0LIIS"})
	if n := len(view.Blocks.BlockSet); n > cxslack.MaxViewBlocks {
		t.Fatalf("%d blocks", n)
	}
	raw := unescapedJSON(view)
	if strings.Contains(string(raw), "<!channel>") || !strings.Contains(string(raw), "<@U0LIIS>") || !strings.Contains(string(raw), "more.") {
		t.Errorf("home view: %.2000s", raw)
	}
	ids := map[string]bool{}
	for _, b := range view.Blocks.BlockSet {
		id := blockID(b)
		if id != "" && ids[id] {
			t.Errorf("block id %s twice", id)
		}
		ids[id] = true
	}
	if !ids["home-mine-1-summary"] || !ids["home-overdue-21-summary"] {
		t.Errorf("case blocks missing: %v", ids)
	}
}

func blockID(b slackgo.Block) string {
	raw, _ := json.Marshal(b)
	var v struct {
		BlockID string `json:"block_id"`
	}
	_ = json.Unmarshal(raw, &v)
	return v.BlockID
}

func TestReplyBlocksFitOneMessage(t *testing.T) {
	var cards [][]slackgo.Block
	for i := 0; i < 10; i++ {
		c := sampleCard()
		c.CaseID = int64(i + 1)
		cards = append(cards, cxslack.RenderCardWith(c, cxslack.RenderOptions{}))
	}
	long := strings.Repeat("line &lt;x&gt;\n", 500)
	blocks := cxslack.ReplyBlocks("en", long, cards...)
	if len(blocks) > cxslack.MaxBlocks {
		t.Fatalf("%d blocks", len(blocks))
	}
	raw, _ := json.Marshal(blocks)
	if !strings.Contains(string(raw), "more cases") {
		t.Error("left-out cards are not counted")
	}
	for _, part := range cxslack.TextBlocks(long, "x") {
		var s struct{ Text struct{ Text string } }
		b, _ := json.Marshal(part)
		_ = json.Unmarshal(b, &s)
		if n := utf8.RuneCountInString(s.Text.Text); n > cxslack.MaxTextLen || strings.HasSuffix(s.Text.Text, "&lt") {
			t.Errorf("section of %d characters ending %q", n, s.Text.Text[len(s.Text.Text)-5:])
		}
	}
}

func TestKudos(t *testing.T) {
	r := models.Response{Metric: "nps", Score: 10, Touchpoint: "<#C0X>", Comment: "Great!\n<!channel> <@U0EVIL>",
		Attributes: map[string]string{"employee_email": "liis@example.com"}}
	m, s := newMessenger(t)
	if _, err := m.PostKudos(context.Background(), "C0KUDOS", "en", r); err != nil {
		t.Fatal(err)
	}
	text := s.Calls("chat.postMessage")[0].Params.Get("text")
	want := ":tada: A promoter (NPS 10, &lt;#C0X&gt;) said:\n> Great!\n> &lt;!channel&gt; &lt;@U0EVIL&gt;\nThanks go to <@U0LIIS>."
	if text != want {
		t.Errorf("kudos\n%q\nwant\n%q", text, want)
	}
	// An employee Slack does not know is named, escaped; an unresolvable
	// "email" never becomes a mention.
	r.Attributes["employee_email"] = "<@U0EVIL>"
	if _, err := m.PostKudos(context.Background(), "C0KUDOS", "en", r); err != nil {
		t.Fatal(err)
	}
	if text := s.Calls("chat.postMessage")[1].Params.Get("text"); !strings.HasSuffix(text, "Thanks go to &lt;@U0EVIL&gt;.") {
		t.Errorf("unresolved employee: %q", text)
	}
	// An employee Slack does not know is named as their email reads, never
	// by the email; in the kudos channel's language.
	r.Attributes["employee_email"] = "kadri.kask@example.com"
	if _, err := m.PostKudos(context.Background(), "C0KUDOS", "et", r); err != nil {
		t.Fatal(err)
	}
	if text := s.Calls("chat.postMessage")[2].Params.Get("text"); !strings.HasPrefix(text, ":tada: Soovitaja (NPS 10, &lt;#C0X&gt;) ütles:\n") ||
		!strings.HasSuffix(text, "Aitäh, Kadri Kask!") || strings.Contains(text, "@example.com") {
		t.Errorf("unknown employee: %q", text)
	}
	// A lookup that fails for now is retried rather than posted without the mention.
	r.Attributes["employee_email"] = "jaan@example.com"
	s.FailNext("users.lookupByEmail", 1, slackfake.ServerError())
	if _, err := m.PostKudos(context.Background(), "C0KUDOS", "en", r); err == nil {
		t.Error("kudos posted while the lookup failed")
	}
	var _ cxslack.KudosPoster = m
}

// unescapedJSON is every string in v's JSON, decoded: what Slack reads.
func unescapedJSON(v any) string {
	raw, _ := json.Marshal(v)
	var doc any
	_ = json.Unmarshal(raw, &doc)
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				out = append(out, k)
				walk(e)
			}
		}
	}
	walk(doc)
	return strings.Join(out, "\n")
}
