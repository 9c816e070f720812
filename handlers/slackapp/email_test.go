package slackapp_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/bot/email/smtptest"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/handlers/internal/apptest"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// withEmail turns email on for the harness's policy and delivery worker.
func (h *slackHarness) withEmail() *smtptest.Server {
	mailer, srv := apptest.WithEmail(h.t, h.pol)
	h.deliv.Mailer, h.deliv.MailFrom, h.deliv.PublicURL = mailer, apptest.MailFrom, apptest.PublicURL
	return srv
}

// blockIDs lists a modal's block ids with their element's action id.
func blockIDs(view map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	blocks, _ := view["blocks"].([]any)
	for _, b := range blocks {
		bm := b.(map[string]any)
		id, _ := bm["block_id"].(string)
		el, _ := bm["element"].(map[string]any)
		out[id] = el
	}
	return out
}

func optionValues(el map[string]any) []string {
	var out []string
	opts, _ := el["options"].([]any)
	for _, o := range opts {
		out = append(out, o.(map[string]any)["value"].(string))
	}
	return out
}

func TestSlackThankYouByEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		srv := h.withEmail()
		yes, no := true, false
		res := h.ingest(
			models.ResponseInput{ExternalID: "e1", Score: 2, Comment: "Ootasin 40 minutit.", Language: "et",
				Customer: models.Customer{Name: "Õie", Email: "oie@example.com", ContactOK: &yes}},
			models.ResponseInput{ExternalID: "e2", Score: 2, Comment: "Nie dzwońcie.", Language: "pl",
				Customer: models.Customer{Name: "Zofia", Email: "zofia@example.com", ContactOK: &no}},
			models.ResponseInput{ExternalID: "e3", Score: 2, Comment: "Unsubscribed.", Language: "ru",
				Customer: models.Customer{Name: "Ольга", Email: "olga@example.com", ContactOK: &yes}},
		)
		if err := s.Suppress(h.ctx, "olga@example.com", "unsubscribe", h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		h.deliver()
		id := res[0].CaseID // round robin: jaan
		ts := h.cardTS(id, "C0CONTACT")
		h.serve(h.press("U0JAAN", "case.thank", id, "C0CONTACT", ts))
		_, view := h.openedView()
		blocks := blockIDs(view)
		if got := optionValues(blocks[cxslack.BlockMethod]); !strings.Contains(strings.Join(got, ","), "email") {
			t.Fatalf("methods %v: email is offered to a customer who agreed", got)
		}
		prefilled, _ := blocks[cxslack.BlockEmailBody]["initial_value"].(string)
		if !strings.HasPrefix(prefilled, "Tere, Õie!") || !strings.HasSuffix(prefilled, "Jaan\nContact Center") {
			t.Fatalf("the thank-you is prefilled in Estonian, signed by the owner:\n%s", prefilled)
		}
		edited := "Tere, Õie!\n\nAitäh, et kirjutasite. Järjekord oli tõesti liiga pikk – vabandan.\n\nJaan"
		meta := view["private_metadata"].(string)
		rec := h.serve(h.submitView("U0JAAN", cxslack.ModalThank, meta, map[string]map[string]any{
			cxslack.BlockMethod:       {"how_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "email"}}},
			cxslack.BlockEmailSubject: {"email_subject_input": map[string]any{"type": "plain_text_input", "value": "Aitäh, Õie"}},
			cxslack.BlockEmailBody:    {"email_body_input": map[string]any{"type": "plain_text_input", "value": edited}},
		}))
		if rec.Body.Len() != 0 {
			t.Fatalf("submission answered %s", rec.Body)
		}
		h.deliver()
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d emails, want 1", len(msgs))
		}
		p, err := smtptest.Parse(msgs[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		if p.Subject != "Aitäh, Õie" || p.Text != edited || msgs[0].To[0] != "oie@example.com" {
			t.Errorf("email to %v %q:\n%q", msgs[0].To, p.Subject, p.Text)
		}
		if got := p.Header.Get("Reply-To"); got != `"Jaan" <jaan@example.com>` {
			t.Errorf("Reply-To %q", got)
		}
		if c := h.caseOf(id); c.State != models.StateThanked || c.ThankMethod != "email" {
			t.Errorf("case %s by %s", c.State, c.ThankMethod)
		}
		h.expectCardUpdated("C0CONTACT", ts, 1, "Thank-you emailed by Jaan.")

		// No consent, or unsubscribed: no email option, and a forged
		// submission is refused.
		for i, want := range []string{"", "unsubscribed"} {
			id := res[i+1].CaseID
			owner := map[string]string{"liis@example.com": "U0LIIS", "jaan@example.com": "U0JAAN"}[h.caseOf(id).Owner]
			h.serve(h.press(owner, "case.thank", id, "C0CONTACT", h.cardTS(id, "C0CONTACT")))
			_, view := h.openedView()
			blocks := blockIDs(view)
			if got := optionValues(blocks[cxslack.BlockMethod]); strings.Contains(strings.Join(got, ","), "email") {
				t.Errorf("case %d: email offered (%v)", id, got)
			}
			if _, ok := blocks[cxslack.BlockEmailBody]; ok {
				t.Errorf("case %d: the email form is shown", id)
			}
			if b, _ := json.Marshal(view); want != "" && !strings.Contains(string(b), want) {
				t.Errorf("case %d: the modal should say the customer %s: %s", id, want, b)
			}
			before := len(h.ephemerals(owner))
			h.serve(h.submitView(owner, cxslack.ModalThank, view["private_metadata"].(string), map[string]map[string]any{
				cxslack.BlockMethod: {"how_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "email"}}},
			}))
			if c := h.caseOf(id); c.State != models.StateAssigned {
				t.Errorf("case %d: a forged email thank-you changed it to %s", id, c.State)
			}
			if e := h.ephemerals(owner); len(e) != before+1 || !strings.Contains(e[len(e)-1], "no email can go to this customer") {
				t.Errorf("case %d: refusal %q", id, e)
			}
		}
		h.deliver()
		if n := len(srv.Messages()); n != 1 || srv.Attempts() != 1 {
			t.Errorf("%d emails, %d attempts: only the consenting customer is emailed", n, srv.Attempts())
		}
		// The unsubscribed customer's card says so.
		posts := h.fake.Calls("chat.postMessage")
		found := false
		for _, c := range posts {
			if strings.Contains(callText(c), "Ольга") && strings.Contains(callText(c), "unsubscribed from email") {
				found = true
			}
		}
		if !found {
			t.Error("the card of the unsubscribed customer does not say so")
		}
	})
}

func TestSlackFixDoneConfirmedInTheModal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		srv := h.withEmail()
		yes := true
		res := h.ingest(
			models.ResponseInput{ExternalID: "f1", Score: 2, Language: "et", Customer: models.Customer{Name: "Õie", Email: "oie@example.com", ContactOK: &yes}},
			models.ResponseInput{ExternalID: "f2", Score: 2, Language: "pl", Customer: models.Customer{Name: "Zofia", Email: "zofia@example.com", ContactOK: &yes}},
			models.ResponseInput{ExternalID: "f3", Score: 2, Language: "et", Customer: models.Customer{Name: "Mati Telefon", ContactOK: &yes}},
		)
		for _, r := range res {
			c := h.caseOf(r.CaseID)
			op := models.Op{Kind: models.OpResolve, RootCause: "process", Note: "explained", Systemic: true}
			if _, err := s.Act(h.ctx, h.pol, h.clock.Now(), r.CaseID, c.Owner, op); err != nil {
				t.Fatal(err)
			}
		}
		h.deliver()
		items, _ := s.Improvements(h.ctx, models.ImprovementFilter{})
		item := items[0].ID
		h.serve(h.press("U0MARI", cxslack.ActionItemStatus, item, "C0CONTACT", "1790000000.000100"))
		_, view := h.openedView()
		blocks := blockIDs(view)
		et, pl := blocks["fix_done_et"], blocks["fix_done_pl"]
		if et == nil || pl == nil || len(blocks) > 0 && blocks["fix_done_en"] != nil {
			t.Fatalf("one message per language of the customers to email: %v", blocks)
		}
		if v, _ := pl["initial_value"].(string); !strings.Contains(v, "Potraktowaliśmy to poważnie") {
			t.Errorf("the Polish message is prefilled: %q", v)
		}
		submit := func(etText string) string {
			rec := h.serve(h.submitView("U0MARI", cxslack.ModalItemStatus, view["private_metadata"].(string), map[string]map[string]any{
				"item_status": {"item_status_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "done"}}},
				"fix_done_et": {"fix_done_input": map[string]any{"type": "plain_text_input", "value": etText}},
				"fix_done_pl": {"fix_done_input": map[string]any{"type": "plain_text_input", "value": pl["initial_value"]}},
			}))
			return rec.Body.String()
		}
		if body := submit("Tere, {{.Klient}}!"); !strings.Contains(body, "fix_done_et") {
			t.Fatalf("a broken template is shown on its field: %s", body)
		}
		if it, _ := s.Improvement(h.ctx, item); it.Status == models.ImprovementDone {
			t.Fatal("a broken message marked the item done")
		}
		if body := submit("Tere, {{.CustomerName}}!\n\nJärjekorda enam pole: helistame ise tagasi.\n\n{{.OwnerName}}"); body != "" {
			t.Fatalf("done answered %s", body)
		}
		dmsBefore := len(h.fake.Calls("chat.postMessage"))
		h.deliver()
		msgs := srv.Messages()
		if len(msgs) != 2 {
			t.Fatalf("%d emails, want 2", len(msgs))
		}
		for _, m := range msgs {
			p, _ := smtptest.Parse(m.Data)
			owner := models.PersonName(h.caseOf(res[0].CaseID).Owner)
			if m.To[0] == "oie@example.com" && p.Text != "Tere, Õie!\n\nJärjekorda enam pole: helistame ise tagasi.\n\n"+owner {
				t.Errorf("the edited Estonian message:\n%q", p.Text)
			}
		}
		var dms []string
		for _, c := range h.fake.Calls("chat.postMessage")[dmsBefore:] {
			if strings.HasPrefix(c.Params.Get("channel"), "D") {
				dms = append(dms, callText(c))
			}
		}
		joined := strings.Join(dms, "\n")
		if !strings.Contains(joined, "Mati Telefon") || strings.Contains(joined, "Zofia") || strings.Contains(joined, "Õie") {
			t.Errorf("owners are asked to call only the customer without email:\n%s", joined)
		}
		if fus, _ := s.FixFollowUps(h.ctx, ""); len(fus) != 1 {
			t.Errorf("%d follow-ups open, want only the call", len(fus))
		}
	})
}

// "Resolve…" with "tell the customer by email": the modal turns into the
// resolution email, prefilled with the note as what was done; what the
// person sends is what the customer gets, and the case is resolved with the
// first step's root cause and systemic choice.
func TestSlackResolutionEmailShownBeforeItGoes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		srv := h.withEmail()
		yes := true
		res := h.ingest(models.ResponseInput{ExternalID: "r1", Score: 2, Comment: "Kolejka była ogromna.", Language: "pl",
			Customer: models.Customer{Name: "Zofia", Email: "zofia@example.com", ContactOK: &yes}})
		h.deliver()
		id := res[0].CaseID // round robin: jaan
		h.serve(h.press("U0JAAN", "case.resolve", id, "C0CONTACT", h.cardTS(id, "C0CONTACT")))
		_, view := h.openedView()
		if _, ok := blockIDs(view)[cxslack.BlockTellByEmail]; !ok {
			t.Fatalf("the resolve modal does not offer to tell the customer by email: %v", view)
		}
		note := "Dodaliśmy konsultantów w godzinach szczytu."
		rec := h.serve(h.submitView("U0JAAN", cxslack.ModalResolve, view["private_metadata"].(string), map[string]map[string]any{
			cxslack.BlockRootCause:   {"root_cause_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "process"}}},
			cxslack.BlockNote:        {"note_input": map[string]any{"type": "plain_text_input", "value": note}},
			cxslack.BlockSystemic:    {"systemic_check": map[string]any{"type": "checkboxes", "selected_options": []any{map[string]any{"value": "systemic"}}}},
			cxslack.BlockTellByEmail: {"tell_by_email_check": map[string]any{"type": "checkboxes", "selected_options": []any{map[string]any{"value": "email"}}}},
		}))
		var answer struct {
			Action string         `json:"response_action"`
			View   map[string]any `json:"view"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Action != "update" {
			t.Fatalf("the resolve submission answered %s, want the email step", rec.Body)
		}
		if c := h.caseOf(id); c.State.Closed() || c.ResolvedAt != nil {
			t.Fatalf("case %s before the email was confirmed", c.State)
		}
		step := blockIDs(answer.View)
		prefilled, _ := step[cxslack.BlockEmailBody]["initial_value"].(string)
		if !strings.HasPrefix(prefilled, "Dzień dobry, Zofia!") || !strings.Contains(prefilled, note) || !strings.Contains(prefilled, "Jaan") {
			t.Fatalf("the resolution email is prefilled in Polish with the note, signed by the owner:\n%s", prefilled)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Fatalf("%d emails before the person sent one", n)
		}
		edited := prefilled + "\n\nPS. Dziękuję za cierpliwość."
		rec = h.serve(h.submitView("U0JAAN", cxslack.ModalResolveEmail, answer.View["private_metadata"].(string), map[string]map[string]any{
			cxslack.BlockNote:         {"note_input": map[string]any{"type": "plain_text_input", "value": note}},
			cxslack.BlockEmailSubject: {"email_subject_input": map[string]any{"type": "plain_text_input", "value": "Co zrobiliśmy, Zofio"}},
			cxslack.BlockEmailBody:    {"email_body_input": map[string]any{"type": "plain_text_input", "value": edited}},
		}))
		if rec.Body.Len() != 0 {
			t.Fatalf("the email step answered %s", rec.Body)
		}
		h.deliver()
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d emails, want 1", len(msgs))
		}
		p, err := smtptest.Parse(msgs[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		if p.Subject != "Co zrobiliśmy, Zofio" || p.Text != edited {
			t.Errorf("email %q:\n%q", p.Subject, p.Text)
		}
		c := h.caseOf(id)
		if c.State != models.StateResolved || c.RootCause != "process" || c.Resolution != note || c.ImprovementID == nil {
			t.Errorf("case %s, root cause %q, resolution %q, improvement %v", c.State, c.RootCause, c.Resolution, c.ImprovementID)
		}
	})
}
