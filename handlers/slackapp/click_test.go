package slackapp_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
)

// slackCard is a case card as it stands in the fake Slack's channel: the
// blocks of the last post or update, so a test clicks what a person sees.
type slackCard struct {
	h           *slackHarness
	caseID      int64
	channel, ts string
}

// card is the case's card in channel.
func (h *slackHarness) card(caseID int64, channel string) slackCard {
	h.t.Helper()
	return slackCard{h: h, caseID: caseID, channel: channel, ts: h.cardTS(caseID, channel)}
}

// slackButton is one button of a card, as Slack would send it back.
type slackButton struct {
	card                           slackCard
	blockID, actionID, value, text string
}

// buttons are the card's buttons in the order shown.
func (c slackCard) buttons() []slackButton {
	c.h.t.Helper()
	m, ok := c.h.fake.Message(c.channel, c.ts)
	if !ok {
		c.h.t.Fatalf("no message %s/%s for case %d", c.channel, c.ts, c.caseID)
	}
	var blocks []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Elements []struct {
			Type     string          `json:"type"`
			ActionID string          `json:"action_id"`
			Value    string          `json:"value"`
			Text     json.RawMessage `json:"text"` // a string in context elements

		} `json:"elements"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		c.h.t.Fatalf("blocks of case %d: %v", c.caseID, err)
	}
	var out []slackButton
	for _, b := range blocks {
		for _, e := range b.Elements {
			if b.Type != "actions" || e.Type != "button" {
				continue
			}
			var label struct {
				Text string `json:"text"`
			}
			if err := json.Unmarshal(e.Text, &label); err != nil {
				c.h.t.Fatalf("button %s of case %d: %v", e.ActionID, c.caseID, err)
			}
			out = append(out, slackButton{card: c, blockID: b.BlockID, actionID: e.ActionID, value: e.Value, text: label.Text})
		}
	}
	return out
}

// labels are the card's button labels in order.
func (c slackCard) labels() []string {
	var out []string
	for _, b := range c.buttons() {
		out = append(out, b.text)
	}
	return out
}

// button is the card's button labelled label; the test fails when the card
// shows none.
func (c slackCard) button(label string) slackButton {
	c.h.t.Helper()
	for _, b := range c.buttons() {
		if b.text == label {
			return b
		}
	}
	c.h.t.Fatalf("case %d's card has no button %q; it has %s", c.caseID, label, strings.Join(c.labels(), ", "))
	return slackButton{}
}

// clickAs presses the button as the Slack user, signed as Slack signs it.
func (b slackButton) clickAs(userID string) *httptest.ResponseRecorder {
	h := b.card.h
	p := h.pressPayload(userID, b.actionID, b.card.caseID, b.card.channel, b.card.ts)
	a := p["actions"].([]any)[0].(map[string]any)
	a["block_id"], a["value"] = b.blockID, b.value
	a["text"] = map[string]any{"type": "plain_text", "text": b.text}
	return h.serve(h.interaction(p))
}
