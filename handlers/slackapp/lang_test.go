package slackapp_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A team reads its channel in its own language; a DM is in the reader's
// Slack locale when cxloop speaks it, else in the team's.
func TestSlackLanguages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		h.pol.Teams[0].Language = models.LangEstonian // Contact Center reads Estonian
		h.pol.Teams[0].Managers = []string{"mari@example.com"}
		h.fake.SetLocale("U0JAAN", "pl-PL") // jaan's Slack is in Polish
		h.fake.SetLocale("U0LIIS", "de-DE") // liis's in a language cxloop does not speak

		// Round robin gives the first case to jaan, the second to liis.
		res := h.ingest(models.ResponseInput{ExternalID: "a", Score: 2, Comment: "Ootasin kaua."},
			models.ResponseInput{ExternalID: "b", Score: 3, Comment: "Liiga kallis."})
		h.deliver()

		posts := h.fake.Calls("chat.postMessage")
		var card, jaanDM, liisDM string
		for _, c := range posts {
			text := callText(c)
			switch {
			case c.Params.Get("channel") == "C0CONTACT" && card == "":
				card = text
			case strings.HasPrefix(c.Params.Get("channel"), "D") && strings.Contains(text, fmt.Sprintf("#%d", res[0].CaseID)):
				jaanDM = text
			case strings.HasPrefix(c.Params.Get("channel"), "D") && strings.Contains(text, fmt.Sprintf("#%d", res[1].CaseID)):
				liisDM = text
			}
		}
		if !strings.Contains(card, "Vastutaja") || !strings.Contains(card, "Lahenda…") || strings.Contains(card, "Owner") {
			t.Errorf("the Estonian team's card is not Estonian:\n%s", card)
		}
		if !strings.Contains(jaanDM, "jest teraz Twój") || !strings.Contains(jaanDM, "Otwarty") && !strings.Contains(jaanDM, "Przypisany") {
			t.Errorf("the DM to a pl-PL user in an et team is not Polish:\n%s", jaanDM)
		}
		if !strings.Contains(liisDM, "on nüüd sinu") {
			t.Errorf("the DM to a de-DE user is not in the team's Estonian:\n%s", liisDM)
		}
		// The locale is asked of users.info with include_locale and cached:
		// a second round of DMs asks Slack no more.
		infos := len(h.fake.Calls("users.info"))
		for _, c := range h.fake.Calls("users.info") {
			if c.Params.Get("include_locale") != "true" {
				t.Errorf("users.info without include_locale: %v", c.Params)
			}
		}
		h.ingest(models.ResponseInput{ExternalID: "c", Score: 1}, models.ResponseInput{ExternalID: "d", Score: 1})
		h.deliver()
		if n := len(h.fake.Calls("users.info")); n != infos {
			t.Errorf("users.info called %d more times; the locale should come from the cache", n-infos)
		}

		// Commands answer in the asker's language: help in Polish for jaan,
		// his cases counted with Polish plurals, the cards in Polish too.
		if help := callText(h.slash("U0JAAN", "help")); !strings.Contains(help, "Polecenia:") || !strings.Contains(help, "lista usprawnień") {
			t.Errorf("help for a pl-PL user:\n%s", help)
		}
		if mine := callText(h.slash("U0JAAN", "mine")); !strings.Contains(mine, "Masz 2 otwarte przypadki") || !strings.Contains(mine, "Opiekun") {
			t.Errorf("mine for a pl-PL user:\n%s", mine)
		}
		if help := callText(h.slash("U0MARI", "help")); !strings.Contains(help, "Käsud:") {
			t.Errorf("help for a manager of an et team without a locale:\n%s", help)
		}

		// A case action's thread line reads in the channel's Estonian, the
		// answer to the manager in Estonian too.
		if out := callText(h.slash("U0MARI", fmt.Sprintf("assign %d <@U0LIIS>", res[0].CaseID))); !strings.Contains(out, "on nüüd määratud") {
			t.Errorf("assign answer:\n%s", out)
		}
		mark := len(h.fake.Calls("chat.postMessage"))
		h.deliver()
		line := false
		for _, c := range h.fake.Calls("chat.postMessage")[mark:] {
			if c.Params.Get("thread_ts") != "" && strings.Contains(callText(c), "mari määras juhtumi: Liis") {
				line = true
			}
		}
		if !line {
			t.Error("no Estonian thread line for the assignment")
		}

		// Past the thank-you deadline: the thread says so in Estonian and the
		// manager, whose Slack gives no locale, is told in Estonian.
		h.clock.Advance(30 * time.Hour)
		if _, err := h.store.SweepSLA(h.ctx, h.pol, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		before := len(h.fake.Calls("chat.postMessage"))
		h.deliver()
		// Each says which follow-up, by how much, and who was told, by name.
		var thread, escalation, onCard bool
		for _, c := range h.fake.Calls("chat.postMessage")[before:] {
			text := callText(c)
			if c.Params.Get("thread_ts") != "" && strings.Contains(text, "Tänamine on 6 h hilinenud (tähtaeg") &&
				strings.Contains(text, "— teavitati: Mari") {
				thread = true
			}
			if strings.Contains(text, fmt.Sprintf("Juhtum #%d: tänamine on 6 h hilinenud", res[0].CaseID)) &&
				strings.Contains(text, "vastutaja Liis) — teavitati: Mari.") {
				escalation = true
			}
		}
		for _, c := range h.fake.Calls("chat.update") {
			if strings.Contains(callText(c), "Tänamine on 6 h hilinenud — 1 min tagasi teavitati: Mari") {
				onCard = true
			}
		}
		if !thread || !escalation || !onCard {
			for _, c := range h.fake.Calls("chat.postMessage")[before:] {
				t.Log(callText(c))
			}
			t.Errorf("overdue thread line in Estonian %v, escalation DM in Estonian %v, card %v", thread, escalation, onCard)
		}
	})
}
