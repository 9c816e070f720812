package slack_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/models"
)

func backlogItem(id int64, status, title, owner string, linked int64) models.ImprovementSummary {
	return models.ImprovementSummary{ImprovementItem: models.ImprovementItem{ID: id, Title: title, Status: status, Owner: owner, RootCause: "process"},
		Linked: linked}
}

// buttonsOf lists "action_id=value" of every button in blocks.
func buttonsOf(t *testing.T, blocks []slackgo.Block) []string {
	t.Helper()
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var raw []map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	var out []string
	add := func(el any) {
		if m, ok := el.(map[string]any); ok && m["type"] == "button" {
			out = append(out, fmt.Sprintf("%s=%s", m["action_id"], m["value"]))
		}
	}
	for _, blk := range raw {
		els, _ := blk["elements"].([]any)
		for _, el := range els {
			add(el)
		}
		add(blk["accessory"])
	}
	return out
}

func TestBacklogBlocks(t *testing.T) {
	done := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	open := []models.ImprovementSummary{
		backlogItem(7, models.ImprovementInProgress, "Call back <!channel> & <@U0BOSS> instead", "mari@example.com", 12),
		backlogItem(3, models.ImprovementProposed, "Explain the card fee", "", 1),
	}
	closedDone := backlogItem(2, models.ImprovementDone, "Shorter queue", "mari@example.com", 4)
	closedDone.DoneAt, closedDone.Told = &done, 3
	closed := []models.ImprovementSummary{closedDone, backlogItem(5, models.ImprovementDropped, "Free coffee", "", 0)}

	blocks := cxslack.BacklogBlocks(open, closed, cxslack.BacklogOptions{Viewer: "mari@example.com", Manage: true,
		OwnerIDs: map[string]string{"mari@example.com": "U0MARI"}, Notice: ":white_check_mark: done &amp; dusted"})
	want := "item.status=7 item.rename=7 item.take=3 item.status=3 item.rename=3 item.status=5"
	if got := strings.Join(buttonsOf(t, blocks), " "); got != want {
		t.Errorf("buttons %s, want %s", got, want)
	}
	js, _ := json.Marshal(blocks)
	var texts []string
	for _, b := range blocks {
		if s, ok := b.(*slackgo.SectionBlock); ok && s.Text != nil {
			texts = append(texts, s.Text.Text)
		}
		if c, ok := b.(*slackgo.ContextBlock); ok {
			for _, el := range c.ContextElements.Elements {
				if tx, ok := el.(*slackgo.TextBlockObject); ok {
					texts = append(texts, tx.Text)
				}
			}
		}
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{
		"*#7 Call back &lt;!channel&gt; &amp; &lt;@U0BOSS&gt; instead*", "In progress · 12 detractor cases · owner <@U0MARI>",
		"Proposed · 1 detractor case · owner _nobody yet_", ":white_check_mark: done &amp; dusted", "Done and dropped",
		"#2 Shorter queue · Done · 4 detractor cases · done <!date^", "3 of 4 customers told", "#5 Free coffee · Dropped",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in\n%s", want, all)
		}
	}
	if strings.Contains(all, "<!channel>") || strings.Contains(all, "<@U0BOSS>") {
		t.Errorf("a title is live: %s", js)
	}

	// A reader gets the list without buttons.
	blocks = cxslack.BacklogBlocks(open, closed, cxslack.BacklogOptions{Viewer: "jaan@example.com"})
	if b := buttonsOf(t, blocks); len(b) != 0 {
		t.Errorf("reader's buttons %v", b)
	}

	// However long the backlog, one message holds it; the rest is counted.
	var many, manyClosed []models.ImprovementSummary
	for i := int64(1); i <= 40; i++ {
		many = append(many, backlogItem(i, models.ImprovementProposed, strings.Repeat("ä&", 150), "", 100-i))
		manyClosed = append(manyClosed, backlogItem(100+i, models.ImprovementDropped, "old", "", 0))
	}
	blocks = cxslack.BacklogBlocks(many, manyClosed, cxslack.BacklogOptions{Manage: true, MoreOpen: 5, Notice: "x"})
	if len(blocks) > cxslack.MaxBlocks {
		t.Fatalf("%d blocks", len(blocks))
	}
	shown := 0
	for _, b := range buttonsOf(t, blocks) {
		if strings.HasPrefix(b, "item.take=") {
			shown++
		}
	}
	js, _ = json.Marshal(blocks)
	if wantMore := fmt.Sprintf("…and %d more open items", 40-shown+5); !strings.Contains(string(js), wantMore) {
		t.Errorf("%d shown; no %q in %s", shown, wantMore, js)
	}
	for _, b := range blocks {
		if s, ok := b.(*slackgo.SectionBlock); ok && s.Text != nil && len([]rune(s.Text.Text)) > cxslack.MaxTextLen {
			t.Errorf("section of %d characters", len([]rune(s.Text.Text)))
		}
	}

	// Nothing open.
	blocks = cxslack.BacklogBlocks(nil, nil, cxslack.BacklogOptions{Manage: true})
	js, _ = json.Marshal(blocks)
	if !strings.Contains(string(js), "Nothing is open") || len(buttonsOf(t, blocks)) != 0 {
		t.Errorf("empty backlog %s", js)
	}
}

func TestItemModals(t *testing.T) {
	it := backlogItem(4, models.ImprovementProposed, "Call back <!here>", "", 3)
	v := cxslack.ItemStatusModal("en", it, `{"item":4}`)
	if v.CallbackID != cxslack.ModalItemStatus || inputs(t, v)[cxslack.BlockItemStatus] != "static_select" || v.PrivateMetadata != `{"item":4}` {
		t.Errorf("status modal %+v", v)
	}
	js, _ := json.Marshal(v)
	for _, want := range []string{`"value":"in_progress"`, `"value":"done"`, `"value":"dropped"`, "3 linked cases", "Call back \\u0026lt;!here\\u0026gt;"} {
		if !strings.Contains(string(js), want) {
			t.Errorf("status modal lacks %s: %s", want, js)
		}
	}
	if strings.Contains(string(js), `"value":"proposed"`) {
		t.Errorf("status modal offers the current status: %s", js)
	}
	v = cxslack.ItemRenameModal("en", it, `{"item":4}`)
	if v.CallbackID != cxslack.ModalItemRename || inputs(t, v)[cxslack.BlockItemTitle] != "plain_text_input" {
		t.Errorf("rename modal %+v", v)
	}
	in := v.Blocks.BlockSet[0].(*slackgo.InputBlock).Element.(*slackgo.PlainTextInputBlockElement)
	if in.InitialValue != "Call back <!here>" || in.MaxLength != cxslack.MaxItemTitle {
		t.Errorf("title input %+v", in)
	}
}
