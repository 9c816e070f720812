package teamsapp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot/email/smtptest"
	"github.com/cxloop/cxloop/bot/teams/teamsfake"
	"github.com/cxloop/cxloop/handlers/internal/apptest"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// withEmail turns email on for the environment's policy and delivery worker.
func (e *teamsEnv) withEmail() *smtptest.Server {
	mailer, srv := apptest.WithEmail(e.t, e.p)
	e.d.Mailer, e.d.MailFrom, e.d.PublicURL = mailer, apptest.MailFrom, apptest.PublicURL
	return srv
}

func TestTeamsThankYouAndResolutionByEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		srv := e.withEmail()
		e.install()
		yes := true
		in := models.ResponseInput{Source: "web", ExternalID: "t1", Metric: "nps", Score: 1, Comment: "Очередь была огромной.", Language: "ru",
			Customer: models.Customer{Name: "Ольга", Email: "olga@example.com", ContactOK: &yes}}
		in.Normalize(e.clock.Now())
		res, err := s.Ingest(e.ctx, e.p, e.clock.Now(), []models.ResponseInput{in}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		id := res[0].CaseID
		e.deliver()
		var card map[string]any
		for _, c := range callsWhere(e.fake.Calls(), isChannelPost) {
			card = teamsfake.CardOf(c)
		}
		txt := cardText(card)
		if !strings.Contains(txt, `"emailBody"`) || !strings.Contains(txt, "Здравствуйте, Ольга!") || !strings.Contains(txt, `"tellByEmail"`) {
			t.Fatalf("the card's forms should hold the Russian thank-you and the resolution toggle:\n%s", txt)
		}
		body := "Здравствуйте, Ольга!\n\nСпасибо, что написали. Мне очень жаль, что Вам пришлось ждать.\n\nЯан"
		_, resp := e.execute(teamsfake.AliceID, "thank", id, map[string]any{"method": "email", "emailSubject": "Спасибо, Ольга", "emailBody": body})
		if resp.Type != "application/vnd.microsoft.card.adaptive" {
			t.Fatalf("thank answered %+v", resp)
		}
		// Resolve with "tell the customer by email": first the email, to check.
		note := "Мы добавили операторов в часы пик."
		_, resp = e.execute(teamsfake.AliceID, "resolve", id, map[string]any{"rootCause": "process", "resolution": note, "tellByEmail": "true", "systemic": "true"})
		form := anyText(resp.Value)
		if resp.Type != "application/vnd.microsoft.card.adaptive" || !strings.Contains(form, `"emailBody"`) ||
			!strings.Contains(form, "Вот что мы сделали:\\n\\n"+note) || !strings.Contains(form, `"emailReviewed":"true"`) {
			t.Fatalf("resolve answered %+v, want the resolution email to check:\n%s", resp.Type, form)
		}
		if c := e.caseOf(id); c.ResolvedAt != nil {
			t.Fatalf("resolved before the email was confirmed: %s", c.State)
		}
		_, resp = e.execute(teamsfake.AliceID, "resolve", id, map[string]any{"rootCause": "process", "resolution": note, "tellByEmail": "true",
			"systemic": "true", "emailReviewed": "true", "emailSubject": "Что мы сделали по Вашему отзыву",
			"emailBody": "Здравствуйте, Ольга!\n\nВот что мы сделали:\n\n" + note + "\n\nС уважением,\nJaan\nContact Center"})
		if resp.Type != "application/vnd.microsoft.card.adaptive" || strings.Contains(anyText(resp.Value), `"emailReviewed"`) {
			t.Fatalf("resolve answered %+v", resp)
		}
		e.deliver()
		ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
		defer cancel()
		msgs, err := srv.Wait(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		thank, _ := smtptest.Parse(msgs[0].Data)
		resolved, _ := smtptest.Parse(msgs[1].Data)
		if thank.Subject != "Спасибо, Ольга" || thank.Text != body {
			t.Errorf("thank-you %q:\n%q", thank.Subject, thank.Text)
		}
		if resolved.Subject != "Что мы сделали по Вашему отзыву" || !strings.Contains(resolved.Text, "Вот что мы сделали:\n\nМы добавили операторов в часы пик.\n\n") ||
			!strings.HasSuffix(resolved.Text, "С уважением,\nJaan\nContact Center") {
			t.Errorf("resolution %q:\n%s", resolved.Subject, resolved.Text)
		}
		if c := e.caseOf(id); c.State != models.StateResolved || c.ThankMethod != "email" || c.ImprovementID == nil {
			t.Errorf("case %s, thanked by %s, improvement %v", c.State, c.ThankMethod, c.ImprovementID)
		}
		replies := callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool {
			return c.Method == "POST" && strings.Contains(strings.ReplaceAll(teamsfake.TextOf(c), `\`, ""), "Thank-you emailed by Jaan.")
		})
		if len(replies) != 1 {
			t.Errorf("%d thread lines say the thank-you was emailed", len(replies))
		}
	})
}

func anyText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
