package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/email"
	"github.com/cxloop/cxloop/bot/email/smtptest"
	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/jobs/digest"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

const emailOrg = `
timezone: Europe/Tallinn
admins: [cx.lead@example.com]
teams:
  - id: cc
    name: Klienditugi
    members: [liis@example.com, jaan@example.com]
    managers: [mari.manager@example.com]
    assign: champion
    champion: liis@example.com
`

// emailWorld is a policy with email on, a worker whose chat goes to a log
// and whose email goes to a real SMTP server.
type emailWorld struct {
	s      *models.Store
	p      *models.Policy
	clock  *models.FixedClock
	srv    *smtptest.Server
	d      *jobs.Deliverer
	chat   *safeBuffer
	caseOf map[string]int64 // external id → case
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEmailWorld(t *testing.T, s *models.Store) *emailWorld {
	t.Helper()
	return newEmailWorldOf(t, s, emailOrg)
}

// newEmailWorldOf is an email world with the organisation of yaml.
func newEmailWorldOf(t *testing.T, s *models.Store, yaml string) *emailWorld {
	t.Helper()
	org, err := config.ParseOrg([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	srv := smtptest.Start(t, smtptest.Options{})
	cfg := &config.Config{Org: *org, Env: config.Env{SMTPURL: srv.URL(), SMTPFrom: "Klienditugi <cx@bank.example>"}}
	mailer, err := email.NewSMTP(srv.URL(), email.Options{TLS: srv.ClientTLS(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w := &emailWorld{s: s, p: cfg.Policy(), srv: srv, chat: &safeBuffer{}, caseOf: map[string]int64{},
		clock: models.NewFixedClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC))}
	w.d = &jobs.Deliverer{Store: s, Policy: w.p, Clock: w.clock, Log: quiet(),
		Messengers: map[string]bot.Messenger{"log": bot.NewLogMessenger(w.chat)},
		Mailer:     mailer, MailFrom: cfg.Env.SMTPFrom, PublicURL: "https://cx.bank.example"}
	return w
}

type customer struct {
	id, name, email, lang string
	consent               *bool
}

func (w *emailWorld) ingest(t *testing.T, cs ...customer) {
	t.Helper()
	var ins []models.ResponseInput
	for _, c := range cs {
		ins = append(ins, models.ResponseInput{Source: "web", ExternalID: c.id, Metric: "nps", Score: 2, Comment: "Ootasin liiga kaua.",
			SubmittedAt: w.clock.Now(), Customer: models.Customer{Name: c.name, Email: c.email, ContactOK: c.consent},
			Language: c.lang})
	}
	res, err := w.s.Ingest(context.Background(), w.p, w.clock.Now(), ins, models.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		w.caseOf[cs[i].id] = r.CaseID
	}
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func TestThankYouEmailSurvivesThree421s(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		w := newEmailWorld(t, s)
		ctx := context.Background()
		w.ingest(t, customer{"r-1", "Kadri", "kadri@example.com", "et", yes()})
		id := w.caseOf["r-1"]
		w.srv.Reject(421, 421, 421)
		if _, err := s.Act(ctx, w.p, w.clock.Now(), id, "liis@example.com", models.Op{Kind: models.OpThank, Method: "email"}); err != nil {
			t.Fatal(err)
		}
		drain(t, w.d, s, w.clock, time.Minute, 100)
		msgs := w.srv.Messages()
		if len(msgs) != 1 || w.srv.Attempts() != 4 {
			t.Fatalf("%d emails after %d attempts, want 1 after 4", len(msgs), w.srv.Attempts())
		}
		p, err := smtptest.Parse(msgs[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := w.p.CustomerMessages.Render(models.MessageThankYou, "et",
			models.MessageData{CustomerName: "Kadri", TeamName: "Klienditugi", OwnerName: "Liis", CaseID: id})
		if p.Subject != "Aitäh tagasiside eest" || p.Text != want.Body || !strings.HasPrefix(p.Text, "Tere, Kadri!") {
			t.Errorf("subject %q text\n%s\nwant\n%s", p.Subject, p.Text, want.Body)
		}
		if got := p.Header.Get("Reply-To"); got != `"Liis" <liis@example.com>` {
			t.Errorf("Reply-To %q", got)
		}
		if !strings.HasPrefix(p.Header.Get("List-Unsubscribe"), "<https://cx.bank.example/unsubscribe?token=") {
			t.Errorf("List-Unsubscribe %q", p.Header.Get("List-Unsubscribe"))
		}
		v, _ := s.CaseView(ctx, id)
		if v.Case.State != models.StateThanked || v.Case.ThankMethod != "email" {
			t.Errorf("case %s by %s", v.Case.State, v.Case.ThankMethod)
		}
		if !hasEvent(v, "email_sent") || !strings.Contains(w.chat.String(), "Thank-you emailed by Liis.") {
			t.Errorf("trail %v; thread:\n%s", v.Events, w.chat.String())
		}
	})
}

func TestRefusedEmailLeavesTheThankYouDue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		w := newEmailWorld(t, s)
		ctx := context.Background()
		w.ingest(t, customer{"r-1", "Kadri", "kadri@example.com", "et", yes()})
		id := w.caseOf["r-1"]
		w.srv.Reject(550)
		if _, err := s.Act(ctx, w.p, w.clock.Now(), id, "liis@example.com", models.Op{Kind: models.OpThank, Method: "email"}); err != nil {
			t.Fatal(err)
		}
		drain(t, w.d, s, w.clock, time.Minute, 100)
		if n := len(w.srv.Messages()); n != 0 || w.srv.Attempts() != 1 {
			t.Fatalf("%d emails, %d attempts: a 550 is not retried", n, w.srv.Attempts())
		}
		v, _ := s.CaseView(ctx, id)
		if v.Case.State != models.StateAssigned || v.Case.ThankedAt != nil {
			t.Errorf("case %s thanked %v: the thank-you must still be due", v.Case.State, v.Case.ThankedAt)
		}
		if !hasEvent(v, "email_failed") {
			t.Errorf("no email_failed in the trail: %v", v.Events)
		}
		chat := w.chat.String()
		if !strings.Contains(chat, "Email not delivered") || !strings.Contains(chat, "liis@example.com") ||
			!strings.Contains(chat, "could not be delivered") || !strings.Contains(chat, "550") {
			t.Errorf("the thread and the owner's DM should say so:\n%s", chat)
		}
		// The thank-you is chased again: overdue once its due time passes.
		res, err := s.SweepSLA(ctx, w.p, v.Case.ThankYouDueAt.Add(time.Minute))
		if err != nil || res.Escalations == 0 {
			t.Errorf("sweep after the due time: %+v %v", res, err)
		}
	})
}

func TestFixDoneEmailsEveryoneWhoMayBeEmailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		w := newEmailWorld(t, s)
		ctx := context.Background()
		var cs []customer
		langs := []string{"et", "pl", "ru", "en", "et"}
		for i := 0; i < 15; i++ {
			cs = append(cs, customer{fmt.Sprintf("m-%d", i), fmt.Sprintf("Klient %d", i), fmt.Sprintf("c%d@example.com", i), langs[i%5], yes()})
		}
		for i := 0; i < 3; i++ {
			cs = append(cs, customer{fmt.Sprintf("p-%d", i), fmt.Sprintf("Phone %d", i), "", "et", yes()})
		}
		for i := 0; i < 2; i++ {
			cs = append(cs, customer{fmt.Sprintf("n-%d", i), fmt.Sprintf("Private %d", i), fmt.Sprintf("n%d@example.com", i), "et", no()})
		}
		w.ingest(t, cs...)
		for _, c := range cs {
			op := models.Op{Kind: models.OpResolve, RootCause: "process", Note: "explained the queue", Systemic: true}
			if _, err := s.Act(ctx, w.p, w.clock.Now(), w.caseOf[c.id], "liis@example.com", op); err != nil {
				t.Fatal(err)
			}
		}
		items, err := s.Improvements(ctx, models.ImprovementFilter{})
		if err != nil || len(items) != 1 || items[0].Linked != 20 {
			t.Fatalf("backlog %+v %v", items, err)
		}
		drain(t, w.d, s, w.clock, time.Minute, 50)
		w.clock.Advance(time.Hour)
		edit := map[string]string{"et": "Tere, {{.CustomerName}}!\n\nNüüd helistame Teile ise tagasi.\n\n{{.OwnerName}}"}
		if _, err := s.ActOnImprovement(ctx, w.p, w.clock.Now(), items[0].ID, "mari.manager@example.com",
			models.ItemOp{Kind: models.ItemOpStatus, Status: models.ImprovementDone, FixDone: edit}); err != nil {
			t.Fatal(err)
		}
		before := w.chat.String()
		drain(t, w.d, s, w.clock, time.Minute, 50)
		msgs := w.srv.Messages()
		to := map[string]int{}
		for _, m := range msgs {
			to[m.To[0]]++
			p, err := smtptest.Parse(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			if m.To[0] == "c0@example.com" && p.Text != "Tere, Klient 0!\n\nNüüd helistame Teile ise tagasi.\n\nLiis" {
				t.Errorf("the manager's Estonian text, as edited:\n%q", p.Text)
			}
			if m.To[0] == "c1@example.com" && !strings.Contains(p.Text, "Jakiś czas temu zwrócili nam Państwo uwagę") {
				t.Errorf("Polish default:\n%s", p.Text)
			}
		}
		if len(msgs) != 15 || len(to) != 15 {
			t.Errorf("%d emails to %d addresses, want 15 to 15", len(msgs), len(to))
		}
		for k := range to {
			if strings.HasPrefix(k, "n") {
				t.Errorf("%s gave no consent and was emailed", k)
			}
		}
		dms := dmsIn(strings.TrimPrefix(w.chat.String(), before))
		for i := 0; i < 3; i++ {
			if !strings.Contains(dms, fmt.Sprintf("Phone %d", i)) {
				t.Errorf("the owner's DM should list Phone %d:\n%s", i, dms)
			}
		}
		for _, never := range []string{"Klient 3", "Private 0", "Private 1"} {
			if strings.Contains(dms, never) {
				t.Errorf("%s is in the owners' DMs:\n%s", never, dms)
			}
		}
		fus, _ := s.FixFollowUps(ctx, "")
		if len(fus) != 3 {
			t.Errorf("%d follow-ups still open, want the 3 to call", len(fus))
		}
		for _, c := range cs[18:] {
			v, _ := s.CaseView(ctx, w.caseOf[c.id])
			if v.Case.CustomerToldAt != nil || hasEvent(v, "fix_done") {
				t.Errorf("%s gave no consent and was touched: %v", c.name, v.Events)
			}
		}
		st, err := s.DigestStats(ctx, w.p, "2026-10", w.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if d := st.Improvements.DoneItems; len(d) != 1 || d[0].ToldByEmail != 15 || d[0].ToldByPhone != 0 || d[0].NotYetTold != 3 {
			t.Errorf("digest: %+v", d)
		}
		md := string(digest.Markdown(st))
		if !strings.Contains(md, "15 of 18 customers told: 15 by email, 0 by phone, 3 not yet") {
			t.Errorf("the digest does not show the customers told by email:\n%s", md)
		}
	})
}

// dmsIn keeps the direct messages of the log transport's output.
func dmsIn(chat string) string {
	var out []string
	for _, block := range strings.Split(chat, "── ") {
		if strings.HasPrefix(block, "DM → ") {
			out = append(out, block)
		}
	}
	return strings.Join(out, "\n")
}

func hasEvent(v models.CaseView, kind string) bool {
	for _, e := range v.Events {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// What chat says about emails reads in the team's language: the thread
// lines of a thank-you emailed, of an email refused, of a customer told by
// email; the owner's DMs; the channel's announcement of the fix.
func TestEmailLinesInTheTeamsLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		w := newEmailWorldOf(t, s, strings.Replace(emailOrg, "    name: Klienditugi\n", "    name: Klienditugi\n    language: et\n", 1))
		ctx := context.Background()
		w.ingest(t, customer{"r-1", "Kadri", "kadri@example.com", "et", yes()}, customer{"r-2", "Mart", "mart@example.com", "et", yes()},
			customer{"r-3", "Peeter", "", "et", yes()})
		if _, err := s.Act(ctx, w.p, w.clock.Now(), w.caseOf["r-1"], "liis@example.com", models.Op{Kind: models.OpThank, Method: "email"}); err != nil {
			t.Fatal(err)
		}
		drain(t, w.d, s, w.clock, time.Minute, 100)
		w.srv.Reject(550)
		if _, err := s.Act(ctx, w.p, w.clock.Now(), w.caseOf["r-2"], "liis@example.com", models.Op{Kind: models.OpThank, Method: "email"}); err != nil {
			t.Fatal(err)
		}
		drain(t, w.d, s, w.clock, time.Minute, 100)
		for _, id := range []string{"r-1", "r-3"} {
			op := models.Op{Kind: models.OpResolve, RootCause: "process", Note: "selgitasin", Systemic: true}
			if _, err := s.Act(ctx, w.p, w.clock.Now(), w.caseOf[id], "liis@example.com", op); err != nil {
				t.Fatal(err)
			}
		}
		items, err := s.Improvements(ctx, models.ImprovementFilter{})
		if err != nil || len(items) != 1 {
			t.Fatalf("backlog %+v %v", items, err)
		}
		if _, err := s.ActOnImprovement(ctx, w.p, w.clock.Now(), items[0].ID, "mari.manager@example.com",
			models.ItemOp{Kind: models.ItemOpStatus, Status: models.ImprovementDone}); err != nil {
			t.Fatal(err)
		}
		drain(t, w.d, s, w.clock, time.Minute, 100)
		chat := w.chat.String()
		c2, c3 := w.caseOf["r-2"], w.caseOf["r-3"]
		for _, want := range []string{
			"Liis saatis kliendile tänukirja.",
			"⚠ E-kiri jäi kohale jõudmata: tänukirja ei õnnestunud kliendile toimetada (",
			fmt.Sprintf("Juhtumi #%d kliendile saadetud tänukiri ei jõudnud kohale: ", c2),
			`550 "5.1.1 Mailbox unavailable"`,
			"Palun võta kliendiga muul viisil ühendust; klienti tuleb ikka veel tänada.",
			fmt.Sprintf("Parendus #%d „%s” on tehtud: kliendile saadetakse e-kiri, mis muutus.", items[0].ID, items[0].Title),
			fmt.Sprintf("Parendus #%d „%s” on tehtud: anna kliendile teada, mis muutus.", items[0].ID, items[0].Title),
			"Klient sai parandusest teada e-kirjaga.",
			fmt.Sprintf("Te ütlesite, me tegime: parendus #%d „%s” on tehtud.\nPalun anna 1 kliendile teada, mis muutus:\n• juhtum #%d — Peeter (NPS 2, 5. okt 2026)\n",
				items[0].ID, items[0].Title, c3),
			"selle tiimi 2 klienti saavad nüüd meilt vastuse (1 e-kirjaga)",
		} {
			if !strings.Contains(chat, want) {
				t.Errorf("chat lacks %q:\n%s", want, chat)
			}
		}
		for _, english := range []string{"emailed by", "not delivered", "could not be delivered", "You said, we did", "Improvement done", "Customer told"} {
			if strings.Contains(chat, english) {
				t.Errorf("chat in English: %q\n%s", english, chat)
			}
		}
	})
}
