package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

var t0 = time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)

func policy() *models.Policy {
	return &models.Policy{
		Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(),
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"a@example.com"}, Assign: models.AssignRoundRobin,
			Destinations: []models.Destination{{Transport: "log", Channel: "cc"}}}},
		SLA: models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour}, DMTransports: []string{"log"},
	}
}

// flaky is a Messenger that fails its first calls as told, then writes to the log transport.
type flaky struct {
	*bot.LogMessenger
	mu    sync.Mutex
	fails []error
	calls int
}

func (f *flaky) next() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if len(f.fails) == 0 {
		return nil
	}
	err := f.fails[0]
	f.fails = f.fails[1:]
	return err
}

func (f *flaky) PostCard(ctx context.Context, ch string, c bot.Card) (string, error) {
	if err := f.next(); err != nil {
		return "", err
	}
	return f.LogMessenger.PostCard(ctx, ch, c)
}

func (f *flaky) DirectMessage(ctx context.Context, to string, text bot.Text, c *bot.Card) error {
	if err := f.next(); err != nil {
		return err
	}
	return f.LogMessenger.DirectMessage(ctx, to, text, c)
}

func ingest(t *testing.T, s *models.Store, p *models.Policy, in models.ResponseInput) {
	t.Helper()
	in.Normalize(t0)
	if _, err := s.Ingest(context.Background(), p, t0, []models.ResponseInput{in}, models.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestDeliverCardDMAndUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		var out bytes.Buffer
		p := policy()
		clock := models.NewFixedClock(t0)
		d := &jobs.Deliverer{Store: s, Policy: p, Clock: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Messengers: map[string]bot.Messenger{"log": bot.NewLogMessenger(&out)}}
		in := models.ResponseInput{ExternalID: "r1", Score: 2, Comment: "Waited an hour", Customer: models.Customer{Email: "kadri@example.com"}}
		ingest(t, s, p, in)
		if n, err := d.RunOnce(context.Background()); err != nil || n != 2 {
			t.Fatalf("delivered %d, %v; want the card and the DM", n, err)
		}
		got := out.String()
		for _, want := range []string{"── card log-1 → #cc ──", "> Waited an hour", "k***@example.com", "── DM → a@example.com ──", "Case #1 is yours"} {
			if !strings.Contains(got, want) {
				t.Errorf("log lacks %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "kadri@example.com") {
			t.Error("the customer's email reached the channel unmasked")
		}
		in.Comment = "Waited an hour. Nobody called back."
		ingest(t, s, p, in)
		out.Reset()
		if n, _ := d.RunOnce(context.Background()); n != 1 {
			t.Fatalf("claimed %d, want the update first", n)
		}
		if n, _ := d.RunOnce(context.Background()); n != 1 {
			t.Fatalf("claimed %d, want the thread reply", n)
		}
		got = out.String()
		if !strings.Contains(got, "card log-1 updated in #cc") || !strings.Contains(got, "Nobody called back") || !strings.Contains(got, "thread log-1: survey response updated: comment changed") {
			t.Errorf("update not delivered in place:\n%s", got)
		}
		counts, _ := s.OutboxCounts(context.Background())
		if counts[models.OutboxPending] != 0 || counts[models.OutboxDelivered] != 4 {
			t.Errorf("outbox %v", counts)
		}
	})
}

func TestDeliveryRetriesAndFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		var out bytes.Buffer
		p := policy()
		p.DMTransports = nil
		clock := models.NewFixedClock(t0)
		f := &flaky{LogMessenger: bot.NewLogMessenger(&out), fails: []error{
			&bot.DeliveryError{Class: bot.RateLimited, RetryAfter: 30 * time.Second, Err: errors.New("ratelimited")},
			errors.New("connection reset"),
		}}
		d := &jobs.Deliverer{Store: s, Policy: p, Clock: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Messengers: map[string]bot.Messenger{"log": f}}
		ingest(t, s, p, models.ResponseInput{ExternalID: "r1", Score: 2})
		ctx := context.Background()
		d.RunOnce(ctx) // 429
		clock.Advance(29 * time.Second)
		if n, _ := d.RunOnce(ctx); n != 0 {
			t.Fatal("retried before Retry-After elapsed")
		}
		clock.Advance(time.Second)
		d.RunOnce(ctx) // connection reset: the first failure (a 429 is none), backoff about 2 s
		if n, _ := d.RunOnce(ctx); n != 0 {
			t.Fatal("retried a transient failure at once")
		}
		clock.Advance(10 * time.Second)
		if n, _ := d.RunOnce(ctx); n != 1 || !strings.Contains(out.String(), "card log-1") {
			t.Fatalf("third attempt did not deliver (%d): %s", n, out.String())
		}
		// a permanent failure is not retried
		f.fails = []error{bot.PermanentError(errors.New("channel_not_found"))}
		ingest(t, s, p, models.ResponseInput{ExternalID: "r2", Score: 1})
		d.RunOnce(ctx)
		clock.Advance(time.Hour)
		if n, _ := d.RunOnce(ctx); n != 0 {
			t.Fatal("a permanent failure was retried")
		}
		counts, _ := s.OutboxCounts(ctx)
		if counts[models.OutboxFailed] != 1 || counts[models.OutboxDelivered] != 1 {
			t.Errorf("outbox %v", counts)
		}
	})
}

// After a run of 429s the first real failure waits the first backoff step,
// not one raised by the rate-limited attempts.
func TestRateLimitsDoNotRaiseTheBackoff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		var out bytes.Buffer
		p := policy()
		p.DMTransports = nil
		clock := models.NewFixedClock(t0)
		var fails []error
		for i := 0; i < 6; i++ {
			fails = append(fails, &bot.DeliveryError{Class: bot.RateLimited, RetryAfter: 2 * time.Second, Err: errors.New("ratelimited")})
		}
		f := &flaky{LogMessenger: bot.NewLogMessenger(&out), fails: append(fails, errors.New("connection reset"))}
		d := &jobs.Deliverer{Store: s, Policy: p, Clock: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Messengers: map[string]bot.Messenger{"log": f}}
		ingest(t, s, p, models.ResponseInput{ExternalID: "r1", Score: 2})
		ctx := context.Background()
		for i := 0; i < 6; i++ {
			if n, _ := d.RunOnce(ctx); n != 1 {
				t.Fatalf("429 number %d: claimed %d, want the card again after Retry-After", i+1, n)
			}
			clock.Advance(2 * time.Second)
		}
		if n, _ := d.RunOnce(ctx); n != 1 {
			t.Fatal("the attempt after the 429s was not made")
		}
		// Backoff(1) is 2 s ± 20%; had the six 429s counted it would be 128 s.
		clock.Advance(2400 * time.Millisecond)
		if n, _ := d.RunOnce(ctx); n != 1 || !strings.Contains(out.String(), "card log-1") {
			t.Fatalf("not retried within the first backoff step after six 429s (%d): %q", n, out.String())
		}
	})
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	prev := time.Duration(0)
	for a := 1; a <= 12; a++ {
		b := jobs.Backoff(a)
		lo := time.Duration(float64(2*time.Second) * 0.8)
		if b < lo || b > 12*time.Minute {
			t.Errorf("Backoff(%d) = %s out of bounds", a, b)
		}
		if a <= 6 && b < prev/2 {
			t.Errorf("Backoff(%d) = %s shrank from %s", a, b, prev)
		}
		prev = b
	}
}
