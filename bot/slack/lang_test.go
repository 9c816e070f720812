package slack_test

import (
	"encoding/json"
	"flag"
	"github.com/cxloop/cxloop/bot/internal/goldenfile"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cxloop/cxloop/bot"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/models"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
}

// One case, rendered in each language, is what a frontline agent reads.
func TestCardGoldenEveryLanguage(t *testing.T) {
	for _, lang := range models.Languages {
		t.Run(lang, func(t *testing.T) {
			c := sampleCard()
			c.Lang = lang
			c.Overdue = true
			blocks, err := json.MarshalIndent(cxslack.RenderCardWith(c, cxslack.RenderOptions{OwnerID: "U0LIIS"}), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "card."+lang+".json", append(blocks, '\n'))
		})
	}
}

// Slack's limits hold in every language: 3,000 characters a section, 75 a
// button, 24 a modal's title, submit and close.
func TestLimitsEveryLanguage(t *testing.T) {
	long := strings.Repeat("Ootasin järjekorras & keegi <ei> vastanud. ", 300)
	for _, lang := range models.Languages {
		t.Run(lang, func(t *testing.T) {
			for _, st := range []models.CaseState{models.StateOpen, models.StateAssigned, models.StateThanked, models.StateResolved} {
				c := sampleCard()
				c.Lang, c.State, c.Overdue, c.CaseID = lang, st, true, 9999999
				c.Comment, c.Resolution, c.RootCause = long, strings.Repeat("&", 9000), "price"
				c.Actions = bot.ActionsFor(st, false)
				r := render(t, c, cxslack.RenderOptions{})
				all, _ := r.texts()
				for _, s := range all {
					if n := utf8.RuneCountInString(s); n > cxslack.MaxTextLen {
						t.Errorf("%s: text of %d characters", st, n)
					}
				}
				for _, b := range r.blocks {
					if b["type"] != "actions" {
						continue
					}
					for _, e := range b["elements"].([]any) {
						text := e.(map[string]any)["text"].(map[string]any)["text"].(string)
						if n := utf8.RuneCountInString(text); n > 75 {
							t.Errorf("button %q has %d characters", text, n)
						}
					}
				}
			}
			const id = 9999999
			for _, v := range []any{
				cxslack.AssignModal(lang, id, "Contact Center", "", "m"),
				cxslack.ThankModal(lang, id, models.ThankMethods, "m", cxslack.EmailForm{Offer: models.EmailAllowed, Draft: &models.Draft{Subject: "s", Body: "b"}}),
				cxslack.ResolveModal(lang, id, []string{"price"}, nil, "m", cxslack.EmailForm{Offer: models.EmailAllowed}),
				cxslack.NoContactModal(lang, id, models.NoContactReasons, "m"),
				cxslack.ItemStatusModal(lang, models.ImprovementSummary{ImprovementItem: models.ImprovementItem{ID: id, Status: models.ImprovementProposed}}, "m",
					cxslack.FixDoneText{Lang: "ru", Customers: 3, Body: "b"}),
				cxslack.ItemRenameModal(lang, models.ImprovementSummary{ImprovementItem: models.ImprovementItem{ID: id}}, "m"),
			} {
				raw, _ := json.Marshal(v)
				var m struct {
					Title, Submit, Close struct{ Text string }
				}
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Fatal(err)
				}
				for _, s := range []string{m.Title.Text, m.Submit.Text, m.Close.Text} {
					if n := utf8.RuneCountInString(s); n > 24 {
						t.Errorf("modal text %q has %d characters, Slack allows 24", s, n)
					}
					if strings.HasSuffix(s, "…") && strings.Contains(m.Title.Text, "#") && s == m.Title.Text {
						t.Errorf("modal title %q was cut: the case number is lost", s)
					}
				}
			}
		})
	}
}
