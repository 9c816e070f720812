package teams_test

import (
	"bytes"
	"github.com/cxloop/cxloop/bot/internal/goldenfile"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/models"
)

// goldenCardFile compares a card with testdata/golden/NAME.json, the file
// the card check of .ci/run passes through Microsoft's Adaptive Cards
// library.
func goldenCardFile(t *testing.T, name string, card map[string]any) {
	t.Helper()
	goldenfile.JSON(t, filepath.Join("testdata", "golden", name+".json"), card, *update)
}

var (
	goldenAt      = time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
	goldenHostile = "<at>General</at> **bold** [click](https://evil.example) {{DATE(2026-01-01T00:00:00Z, SHORT)}} & 😡"
	goldenOptions = teams.RenderOptions{Assignees: []string{"jaan@example.com", "liis@example.com", "mari@example.com"},
		RootCauses: []string{"process", "product", "pricing"}, ThankMethods: models.ThankMethods, NoContactReasons: models.NoContactReasons}
)

func goldenCard(state models.CaseState, comment string) bot.Card {
	thanked, resolved := goldenAt.Add(3*time.Hour), goldenAt.Add(30*time.Hour)
	c := bot.Card{CaseID: 42, Segment: "detractor", Metric: "nps", Score: 2, TeamID: "cc", TeamName: "Contact Center",
		Touchpoint: "phone", Source: "delighted", Comment: comment, CustomerName: "Kadri K.", MaskedEmail: "k***@example.com",
		MaskedPhone: "+372 ***0101", State: state, ThankYouDue: goldenAt.Add(24 * time.Hour), ResolutionDue: goldenAt.Add(72 * time.Hour),
		Themes: []string{"waiting", "fees"}, SubmittedAt: goldenAt, Now: goldenAt.Add(21 * time.Hour),
		Names:      map[string]string{"jaan@example.com": "Jaan Tamm", "mari@example.com": "Mari"},
		Attributes: []bot.Attribute{{Name: "branch", Value: "Tallinn"}, {Name: "plan", Value: "Gold"}}}
	switch state {
	case models.StateAssigned:
		// Thank-you 5 h overdue, escalated to Mari 2 h ago.
		c.Owner, c.Overdue, c.Now = "jaan@example.com", true, goldenAt.Add(29*time.Hour)
		c.Escalations = []bot.Escalation{{Followup: models.FollowupThankYou, Due: c.ThankYouDue, At: goldenAt.Add(27 * time.Hour),
			To: []string{"mari@example.com"}}}
	case models.StateThanked:
		c.Owner, c.ThankedAt = "jaan@example.com", &thanked
	case models.StateResolved:
		c.Owner, c.ThankedAt, c.ResolvedAt = "jaan@example.com", &thanked, &resolved
		c.RootCause, c.Resolution = "process", "Refunded the fee and fixed the callback queue."
	case models.StateNoContact:
		c.Owner = "jaan@example.com"
	}
	c.Actions = bot.ActionsFor(state, c.Owner != "")
	return c
}

func goldenChart(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 60, 30))
	for x := 0; x < 60; x++ {
		img.Set(x, 15+x%10-5, color.RGBA{R: 30, G: 90, B: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Every card in every language: translations are longer than English.
func TestGoldenTeamsCards(t *testing.T) {
	for _, lang := range models.Languages {
		t.Run(lang, func(t *testing.T) { goldenTeamsCards(t, lang) })
	}
}

func goldenTeamsCards(t *testing.T, lang string) {
	gp := func(t *testing.T, name string, card map[string]any) { goldenCardFile(t, name+"."+lang, card) }
	cards := map[string]bot.Card{
		"open":       goldenCard(models.StateOpen, "Waited 40 minutes on the phone."),
		"assigned":   goldenCard(models.StateAssigned, goldenHostile),
		"thanked":    goldenCard(models.StateThanked, "Nobody called back.\nSecond line."),
		"resolved":   goldenCard(models.StateResolved, "The fee was wrong."),
		"no-contact": goldenCard(models.StateNoContact, ""),
		"long":       goldenCard(models.StateAssigned, strings.Repeat("Ootasin kolm nädalat 😡 ", 200)),
	}
	unowned := goldenCard(models.StateAssigned, "The owner left the team.")
	unowned.Owner, unowned.Actions = "", bot.ActionsFor(models.StateAssigned, false)
	cards["assigned-unowned"] = unowned
	for name, c := range cards {
		c.Lang = lang
		cards[name] = c
	}
	for name, c := range cards {
		gp(t, "card-"+name, teams.RenderCard(c, goldenOptions))
	}
	gp(t, "card-dm", teams.DMCard("Case #42 is yours: thank the customer by 6 Oct 10:00.", teams.RenderCard(cards["assigned"], goldenOptions)))

	summary := "NPS digest — October 2026\nNPS 12 (±8), up 4 on September\nInner loop: 40 of 42 thanked on time; median 3 h\n" +
		"You said, we did: Fix the fee issues customers report (done; 30 of 34 customers told)\nThemes: fees 12, waiting 9 & " + goldenHostile
	gp(t, "card-digest", teams.DigestCard(bot.DigestPost{Title: "NPS digest — October 2026", Summary: summary, ChartPNG: goldenChart(t), ReportURL: "https://cx.example.com/digests/2026-10.html?token=1800000000.abc"}))
	gp(t, "card-digest-no-chart", teams.DigestCard(bot.DigestPost{Title: "NPS digest — October 2026", Summary: summary, ChartPNG: []byte("not a png")}))
}

// walkCard calls fn on every object of a rendered card.
func walkCard(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(x)
		for _, e := range x {
			walkCard(e, fn)
		}
	case []any:
		for _, e := range x {
			walkCard(e, fn)
		}
	}
}

func TestRenderCardForms(t *testing.T) {
	for _, state := range []models.CaseState{models.StateOpen, models.StateAssigned, models.StateThanked, models.StateResolved} {
		t.Run(string(state), func(t *testing.T) {
			c := goldenCard(state, "{{DATE(2026-01-01T00:00:00Z, SHORT)}} {{TIME(2026-01-01T00:00:00Z)}}")
			c.Owner, c.Actions = "", bot.ActionsFor(state, false) // every button
			card := teams.RenderCard(c, goldenOptions)
			ids := map[string]int{}
			var raw bytes.Buffer
			walkCard(card, func(o map[string]any) {
				if id, ok := o["id"].(string); ok {
					ids[id]++
				}
				if o["type"] == "Input.ChoiceSet" && o["isRequired"] == true {
					if _, preset := o["value"]; preset {
						t.Errorf("required choice %v starts with a value", o["id"])
					}
				}
				if o["type"] == "TextRun" {
					raw.WriteString(o["text"].(string))
				}
				if o["type"] == "ActionSet" && len(o["actions"].([]any)) > 5 {
					t.Errorf("an ActionSet of %d buttons: hosts drop those past 5", len(o["actions"].([]any)))
				}
			})
			for id, n := range ids {
				if n > 1 {
					t.Errorf("id %q used %d times in one card", id, n)
				}
			}
			if strings.Contains(raw.String(), "{{DATE(") || strings.Contains(raw.String(), "{{TIME(") {
				t.Errorf("customer text would be read as a date function: %q", raw.String())
			}
		})
	}
}

// The card per role, as the refresh answers it: the owner (a member), a
// manager, someone outside the team; and the channel's card, refreshable
// for the team's people.
func TestGoldenTeamsRoleViews(t *testing.T) {
	p := &models.Policy{Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center",
		Members: []string{"jaan@example.com", "liis@example.com"}, Managers: []string{"mari@example.com"}}}}
	c := goldenCard(models.StateAssigned, strings.Repeat("Waited three weeks for a callback. ", 100))
	c.Lang = "en"
	o := goldenOptions
	o.Refresh, o.RefreshUsers = true, []string{"29:mari", "29:jaan", "29:liis"}
	for _, tt := range []struct {
		name string
		card bot.Card
	}{
		{"member", c.ForViewer(p, "jaan@example.com")},
		{"manager", c.ForViewer(p, "mari@example.com")},
		{"readonly", c.ForViewer(p, "eve@example.com")},
		{"channel", c.ForChannel(p)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			card := teams.RenderCard(tt.card, o)
			goldenCardFile(t, "card-view-"+tt.name+".en", card)
			var verbs []string
			walkCard(card["body"], func(m map[string]any) {
				if m["type"] == "Action.Execute" {
					verbs = append(verbs, m["verb"].(string))
				}
			})
			assign := strings.Contains(strings.Join(verbs, " "), "assign")
			if assign != (tt.name == "manager") || (tt.name == "readonly") != (len(verbs) == 0) {
				t.Errorf("%s view has buttons %v", tt.name, verbs)
			}
		})
	}
}

// The assign form names people as the roster does; two of one name are
// told apart by their emails, and nobody outside the list is offered.
func TestGoldenTeamsAssigneeNames(t *testing.T) {
	c := goldenCard(models.StateOpen, "Waited 40 minutes on the phone.")
	c.Lang = "en"
	c.Names["mari.kask@example.com"] = "Mari"
	o := goldenOptions
	o.Assignees = []string{"jaan@example.com", "liis@example.com", "mari@example.com", "mari.kask@example.com"}
	card := teams.RenderCard(c, o)
	goldenCardFile(t, "card-assign-names.en", card)
	var titles []string
	walkCard(card, func(m map[string]any) {
		if m["id"] == teams.InputAssignee {
			if m["style"] != "filtered" {
				t.Errorf("the person list is not filtered: %v", m["style"])
			}
			for _, ch := range m["choices"].([]any) {
				titles = append(titles, ch.(map[string]any)["title"].(string))
			}
		}
	})
	want := []string{"Jaan Tamm", "Liis", "Mari (mari@example.com)", "Mari (mari.kask@example.com)"}
	if strings.Join(titles, "|") != strings.Join(want, "|") {
		t.Errorf("assignees %q, want %q", titles, want)
	}
}

// Kudos: the employee mentioned by their roster name, or named as their
// email reads when Teams does not know them; the customer's words inert.
func TestGoldenTeamsKudos(t *testing.T) {
	r := models.Response{Metric: "nps", Score: 10, Touchpoint: "branch", Comment: "Jaan was wonderful!\n> " + goldenHostile,
		Attributes: map[string]string{"employee_email": "jaan.tamm@example.com"}}
	for _, lang := range models.Languages {
		t.Run(lang, func(t *testing.T) {
			card := teams.KudosCard(lang, r, teams.KudosMention{UserID: "29:jaan", Name: "Jaan <b>Tamm</b>"})
			goldenCardFile(t, "card-kudos."+lang, card)
			ms := card["msteams"].(map[string]any)
			ents, _ := ms["entities"].([]any)
			if len(ents) != 1 {
				t.Fatalf("want one mention entity, got %v", ms)
			}
			at := ents[0].(map[string]any)["text"].(string)
			// TextBlocks are read as markdown; the customer's words are in a
			// TextRun, shown as written.
			var blocks, runs []string
			walkCard(card["body"], func(m map[string]any) {
				switch m["type"] {
				case "TextBlock":
					blocks = append(blocks, m["text"].(string))
				case "TextRun":
					runs = append(runs, m["text"].(string))
				}
			})
			all := strings.Join(blocks, "\n")
			if at != "<at>Jaan bTamm/b</at>" || strings.Count(all, at) != 1 {
				t.Errorf("mention %q not once in the card: %s", at, all)
			}
			if strings.Contains(all, "> ") || strings.Contains(all, "\\") || strings.Contains(all, "&#") || strings.Contains(all, "@example.com") {
				t.Errorf("a quote marker, an escape or an email in the card: %s", all)
			}
			if len(runs) != 1 || !strings.HasPrefix(runs[0], "Jaan was wonderful!\n> <at>General</at> **bold**") {
				t.Errorf("the customer's words are not one TextRun as written: %q", runs)
			}
		})
	}
	card := teams.KudosCard("en", r, teams.KudosMention{Name: "Jaan Tamm"})
	goldenCardFile(t, "card-kudos-unknown.en", card)
	if ms := card["msteams"].(map[string]any); ms["entities"] != nil {
		t.Errorf("a mention of nobody: %v", ms)
	}
}
