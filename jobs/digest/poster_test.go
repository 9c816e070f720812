package digest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/jobs/digest"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

var tallinn, _ = time.LoadLocation("Europe/Tallinn")

func posterPolicy() *models.Policy {
	return &models.Policy{
		Location: tallinn, DefaultTeam: "cc", Segments: models.DefaultThresholds(),
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"a@example.com"}, Assign: models.AssignRoundRobin,
			Destinations: []models.Destination{{Transport: "log", Channel: "cc"}}}},
		SLA:          models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour},
		DMTransports: []string{"log"},
	}
}

func newPoster(s *models.Store) *digest.Poster {
	return &digest.Poster{Store: s, Policy: posterPolicy(), Schedule: "0 9 1 * *",
		Destinations: []models.Destination{{Transport: "slack", Channel: "C0LEADERS"}, {Transport: "teams", Channel: "19:lead"}},
		Log:          slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func seedMonth(t *testing.T, s *models.Store, p *models.Policy, at time.Time) {
	t.Helper()
	var in []models.ResponseInput
	for i := 0; i < 40; i++ {
		in = append(in, models.ResponseInput{Source: "t", ExternalID: fmt.Sprintf("%s-%d", at.Format("200601"), i), Score: i % 11,
			Comment: "the queue was long", SubmittedAt: at.Add(time.Duration(i) * time.Hour)})
		in[i].Normalize(at)
	}
	if _, err := s.Ingest(context.Background(), p, at, in, models.IngestOptions{CasesSince: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
}

func digestPosts(t *testing.T, s *models.Store) []models.OutboxMessage {
	t.Helper()
	var msgs []models.OutboxMessage
	if err := s.DB().Where("kind = ?", models.KindDigest).Order("id").Find(&msgs).Error; err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestDue(t *testing.T) {
	p := &digest.Poster{Policy: posterPolicy()}
	tests := []struct {
		now   time.Time
		month string
	}{
		{time.Date(2026, 11, 1, 8, 59, 0, 0, tallinn), ""},
		{time.Date(2026, 11, 1, 9, 0, 0, 0, tallinn), "2026-10"},
		{time.Date(2026, 11, 1, 6, 59, 0, 0, time.UTC), ""}, // 08:59 in Tallinn
		{time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC), "2026-10"},
		{time.Date(2026, 11, 17, 12, 0, 0, 0, tallinn), "2026-10"}, // catching up after an outage
		{time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC), ""},      // 01:30 on 1 November in Tallinn
		{time.Date(2027, 1, 1, 9, 0, 0, 0, tallinn), "2026-12"},
	}
	for _, tt := range tests {
		month, due, err := p.Due(tt.now)
		if err != nil || month != tt.month || due != (tt.month != "") {
			t.Errorf("Due(%v) = %q %v %v, want %q", tt.now, month, due, err, tt.month)
		}
	}
	if _, _, err := (&digest.Poster{Policy: posterPolicy(), Schedule: "every full moon"}).Due(time.Now()); err == nil {
		t.Error("a bad schedule was accepted")
	}
}

func TestRunDueConcurrentPostsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		seedMonth(t, s, posterPolicy(), time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC))
		now := time.Date(2026, 11, 1, 9, 0, 0, 0, tallinn)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Separate posters, as on separate replicas.
				errs[i] = newPoster(s).RunDue(context.Background(), now)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		msgs := digestPosts(t, s)
		if len(msgs) != 2 || msgs[0].Channel != "C0LEADERS" || msgs[1].Channel != "19:lead" {
			t.Fatalf("posts %+v, want one per leadership channel", msgs)
		}
		if !strings.HasPrefix(msgs[0].Text, "Customer experience digest — October 2026") {
			t.Errorf("post text %q", msgs[0].Text)
		}
		run, err := s.DigestRunFor(context.Background(), "2026-10")
		if err != nil || run.Posts != 1 || run.Via != "schedule" || len(run.ChartPNG) == 0 || !strings.Contains(run.HTML, "data:image/png;base64,") {
			t.Errorf("run %+v %v", run.Month, err)
		}
		// Every later minute of the month finds nothing to do.
		for _, later := range []time.Time{now.Add(time.Minute), now.Add(24 * time.Hour), time.Date(2026, 11, 30, 23, 59, 0, 0, tallinn)} {
			if err := newPoster(s).RunDue(context.Background(), later); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(digestPosts(t, s)); n != 2 {
			t.Errorf("%d posts after later runs, want 2", n)
		}
	})
}

func TestRunDueCatchesUpAfterOutage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := newPoster(s)
		ctx := context.Background()
		seedMonth(t, s, posterPolicy(), time.Date(2026, 9, 3, 9, 0, 0, 0, time.UTC))
		seedMonth(t, s, posterPolicy(), time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC))
		// September's digest went out on 1 October.
		if err := p.RunDue(ctx, time.Date(2026, 10, 1, 9, 0, 0, 0, tallinn)); err != nil {
			t.Fatal(err)
		}
		// Running through October: nothing new.
		for _, at := range []time.Time{time.Date(2026, 10, 15, 0, 0, 0, 0, tallinn), time.Date(2026, 10, 31, 23, 59, 0, 0, tallinn)} {
			if err := p.RunDue(ctx, at); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(digestPosts(t, s)); n != 2 {
			t.Fatalf("%d posts in October, want September's 2", n)
		}
		// Down from 31 October 23:59 to 3 November 14:00: the start catches up.
		if err := p.RunDue(ctx, time.Date(2026, 11, 3, 14, 0, 0, 0, tallinn)); err != nil {
			t.Fatal(err)
		}
		msgs := digestPosts(t, s)
		if len(msgs) != 4 || !strings.Contains(msgs[2].Text, "October 2026") || !strings.Contains(msgs[0].Text, "September 2026") {
			t.Fatalf("posts after the outage: %d", len(msgs))
		}
		if err := p.RunDue(ctx, time.Date(2026, 11, 3, 14, 1, 0, 0, tallinn)); err != nil {
			t.Fatal(err)
		}
		if n := len(digestPosts(t, s)); n != 4 {
			t.Errorf("%d posts, want 4", n)
		}
	})
}

func TestRunDueSkipsAMonthWithoutResponses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := newPoster(s)
		ctx := context.Background()
		// A fresh installation on 25 November: October has no responses.
		seedMonth(t, s, posterPolicy(), time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
		if err := p.RunDue(ctx, time.Date(2026, 11, 25, 14, 0, 0, 0, tallinn)); err != nil {
			t.Fatal(err)
		}
		if n := len(digestPosts(t, s)); n != 0 {
			t.Errorf("%d digest posts for a month without responses, want none", n)
		}
	})
}

func TestPostByHandRefusesASecondPost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := newPoster(s)
		ctx := context.Background()
		now := time.Date(2026, 11, 5, 10, 0, 0, 0, tallinn)
		seedMonth(t, s, posterPolicy(), time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC))
		if _, _, err := p.Post(ctx, "2026-10", now, "cli", "cx.lead@example.com", false); err != nil {
			t.Fatal(err)
		}
		_, _, err := p.Post(ctx, "2026-10", now, "cli", "cx.lead@example.com", false)
		if !errors.Is(err, models.ErrDigestPosted) || !strings.Contains(err.Error(), "cx.lead@example.com") {
			t.Fatalf("second post: %v", err)
		}
		// The schedule does not post it again either.
		if err := p.RunDue(ctx, now); err != nil {
			t.Fatal(err)
		}
		if n := len(digestPosts(t, s)); n != 2 {
			t.Fatalf("%d posts, want 2", n)
		}
		run, _, err := p.Post(ctx, "2026-10", now, "cli", "cx.lead@example.com", true)
		if err != nil || run.Posts != 2 {
			t.Fatalf("forced post: %+v %v", run.Posts, err)
		}
		if n := len(digestPosts(t, s)); n != 4 {
			t.Errorf("%d posts after --force, want 4", n)
		}
		none := &digest.Poster{Store: s, Policy: posterPolicy()}
		if _, _, err := none.Post(ctx, "2026-09", now, "cli", "", false); err == nil {
			t.Error("posted without a leadership channel")
		}
	})
}

// richMessenger records PostDigest calls and prints the rest.
type richMessenger struct {
	*bot.LogMessenger
	channel, title, summary, link string
	png, html                     []byte
}

func (r *richMessenger) PostDigest(_ context.Context, channel string, p bot.DigestPost) (string, error) {
	r.channel, r.title, r.summary, r.png, r.html, r.link = channel, p.Title, p.Summary, p.ChartPNG, p.ReportHTML, p.ReportURL
	return "F123", nil
}

func TestDeliver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := newPoster(s)
		ctx := context.Background()
		now := time.Date(2026, 11, 1, 9, 0, 0, 0, tallinn)
		seedMonth(t, s, posterPolicy(), time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC))
		if err := p.RunDue(ctx, now); err != nil {
			t.Fatal(err)
		}
		msgs := digestPosts(t, s)
		var out bytes.Buffer
		rich := &richMessenger{LogMessenger: bot.NewLogMessenger(&out)}
		ref, err := digest.Deliver(ctx, s, rich, &msgs[0], "https://cx.example.com/")
		if err != nil || ref != "F123" || rich.channel != "C0LEADERS" || rich.title != "Customer experience digest — October 2026" ||
			len(rich.png) == 0 || !bytes.Contains(rich.html, []byte("<html")) || rich.summary != msgs[0].Text {
			t.Fatalf("rich delivery: %q %v %+v", ref, err, rich.channel)
		}
		// The post links to the full report, signed for its month.
		link, token, _ := strings.Cut(rich.link, "?token=")
		key, err := s.Key(ctx, models.DigestLinkKeyName)
		if err != nil {
			t.Fatal(err)
		}
		if link != "https://cx.example.com/digests/2026-10.html" || models.CheckDigestLinkToken(key, "2026-10", token, now.Add(89*24*time.Hour)) != nil {
			t.Errorf("the post links to %q", rich.link)
		}
		if _, err := digest.Deliver(ctx, s, bot.NewLogMessenger(&out), &msgs[1], ""); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "#19:lead") || !strings.Contains(out.String(), "October 2026") {
			t.Errorf("text delivery printed %q", out.String())
		}
	})
}

// The delivery worker delivers a queued digest (and the outer loop's
// messages) with the messengers it has: the log transport prints them.
func TestDigestDeliveredByTheWorker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p := newPoster(s)
		p.Destinations = []models.Destination{{Transport: "log", Channel: "leadership"}}
		seedMonth(t, s, posterPolicy(), time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC))
		now := time.Date(2026, 11, 1, 9, 0, 0, 0, tallinn)
		if err := p.RunDue(ctx, now); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		d := &jobs.Deliverer{Store: s, Policy: posterPolicy(), Clock: models.NewFixedClock(now),
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Messengers: map[string]bot.Messenger{"log": bot.NewLogMessenger(&out)}}
		for i := 0; i < 5; i++ {
			if _, err := d.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if !strings.Contains(out.String(), "→ #leadership") || !strings.Contains(out.String(), "Customer experience digest — October 2026") {
			t.Fatalf("log transport printed:\n%s", out.String())
		}
		var pending int64
		s.DB().Model(&models.OutboxMessage{}).Where("kind = ? AND state <> ?", models.KindDigest, models.OutboxDelivered).Count(&pending)
		if pending != 0 {
			t.Errorf("%d digest posts undelivered", pending)
		}
	})
}

func TestPreviousMonth(t *testing.T) {
	p := &digest.Poster{Policy: posterPolicy()}
	for _, tt := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 12, 2, 12, 0, 0, 0, tallinn), "2026-11"},
		{time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC), "2026-11"}, // 00:30 on 1 December in Tallinn
		{time.Date(2026, 11, 30, 21, 30, 0, 0, time.UTC), "2026-10"}, // still 30 November in Tallinn
		{time.Date(2027, 1, 1, 0, 0, 0, 0, tallinn), "2026-12"},
	} {
		if got := p.PreviousMonth(tt.now); got != tt.want {
			t.Errorf("PreviousMonth(%v) = %s, want %s", tt.now, got, tt.want)
		}
	}
}

// The digest preview a manager asks for: headed in the asker's language,
// the summary of the previous month as management will read it.
func TestPreview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seedMonth(t, s, posterPolicy(), time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC))
		p := newPoster(s)
		now := time.Date(2026, 11, 4, 12, 0, 0, 0, tallinn)
		for lang, head := range map[string]string{"en": "Preview — only you can see this:", "et": "Eelvaade, mida näed ainult sina:"} {
			got, err := p.Preview(ctx, lang, "", now)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, head+"\n") || !strings.Contains(got, "October 2026") || !strings.Contains(got, "Responses: 40") {
				t.Errorf("%s preview:\n%s", lang, got)
			}
		}
		if got, err := p.Preview(ctx, "en", "2026-09", now); err != nil || !strings.Contains(got, "September 2026") {
			t.Errorf("the preview of a named month: %v\n%s", err, got)
		}
	})
}
