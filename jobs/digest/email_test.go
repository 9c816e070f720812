package digest_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/email"
	"github.com/cxloop/cxloop/bot/email/smtptest"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/jobs/digest"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// digest.email: four replicas find the month due at once; each address
// gets the digest exactly once, through the outbox and a real SMTP server,
// as an HTML email whose chart is an inline image referenced by its
// Content-ID, with a plain-text part, alongside the channel post.
func TestDigestEmailOncePerMonth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		srv := smtptest.Start(t, smtptest.Options{})
		mailer, err := email.NewSMTP(srv.URL(), email.Options{TLS: srv.ClientTLS()})
		if err != nil {
			t.Fatal(err)
		}
		seedMonth(t, s, posterPolicy(), time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC))
		now := time.Date(2026, 11, 1, 9, 5, 0, 0, tallinn)
		recipients := []string{"ceo@example.com", "cfo@example.com"}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := newPoster(s)
				p.Destinations = []models.Destination{{Transport: "log", Channel: "leadership"}}
				p.Emails = recipients
				errs <- p.RunDue(ctx, now)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		d := &jobs.Deliverer{Store: s, Policy: posterPolicy(), Clock: models.NewFixedClock(now), Mailer: mailer,
			MailFrom: "CX Team <cx@example.com>", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Messengers: map[string]bot.Messenger{"log": bot.NewLogMessenger(&out)}}
		for i := 0; i < 6; i++ {
			if _, err := d.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// A later pass of the schedule in the same month sends nothing more.
		if err := newPoster(s).RunDue(ctx, now.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := d.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		msgs := srv.Messages()
		if len(msgs) != len(recipients) {
			t.Fatalf("the SMTP server got %d emails, want one per address (%d)", len(msgs), len(recipients))
		}
		if strings.Count(out.String(), "→ #leadership") != 1 {
			t.Errorf("the channel post went out %d times", strings.Count(out.String(), "→ #leadership"))
		}
		got := map[string]bool{}
		for _, m := range msgs {
			got[strings.Join(m.To, ",")] = true
			p, err := smtptest.Parse(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			if p.Subject != "Customer experience digest — October 2026" {
				t.Errorf("subject %q", p.Subject)
			}
			if !strings.Contains(p.Text, "## Inner loop") || !strings.Contains(p.Text, "October 2026") {
				t.Errorf("plain-text part:\n%.400s", p.Text)
			}
			if !strings.Contains(p.HTML, `src="cid:`+digest.ChartCID+`"`) || strings.Contains(p.HTML, "data:image/png") {
				t.Errorf("the HTML part does not show the chart by its Content-ID:\n%.600s", p.HTML)
			}
			chart := p.Inline[digest.ChartCID]
			if !bytes.HasPrefix(chart, []byte("\x89PNG")) {
				t.Errorf("no inline PNG with Content-ID %s (inline parts: %d)", digest.ChartCID, len(p.Inline))
			}
		}
		for _, r := range recipients {
			if !got[r] {
				t.Errorf("%s got no digest (got %v)", r, got)
			}
		}
	})
}
