package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	slackbot "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

const slackToken = "xoxb-test-token"

// attempt is one PostCard call as the worker made it.
type attempt struct {
	caseID int64
	at     time.Time
	class  bot.ErrorClass
	failed bool
	retry  time.Duration
}

// recording wraps the real Slack messenger and notes each post with the
// injected clock's time, so retry timing can be checked without sleeping.
type recording struct {
	bot.Messenger
	clock models.Clock
	mu    sync.Mutex
	posts []attempt
}

func (r *recording) PostCard(ctx context.Context, ch string, c bot.Card) (string, error) {
	ref, err := r.Messenger.PostCard(ctx, ch, c)
	a := attempt{caseID: c.CaseID, at: r.clock.Now(), failed: err != nil}
	if err != nil {
		a.class, a.retry = bot.ClassOf(err)
	}
	r.mu.Lock()
	r.posts = append(r.posts, a)
	r.mu.Unlock()
	return ref, err
}

func slackPolicy(channels ...string) *models.Policy {
	p := &models.Policy{
		Location: time.UTC, DefaultTeam: "t0", Segments: models.DefaultThresholds(), Admins: []string{"cx.lead@example.com"},
		SLA: models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour},
	}
	for i, ch := range channels {
		id := fmt.Sprintf("t%d", i)
		p.Teams = append(p.Teams, models.TeamPolicy{ID: id, Name: "Team " + id, Members: []string{"a@example.com"},
			Assign: models.AssignRoundRobin, Destinations: []models.Destination{{Transport: "slack", Channel: ch}}})
		p.Routes = append(p.Routes, models.Route{When: map[string][]string{"team": {id}}, Team: id})
	}
	return p
}

func ingestN(t *testing.T, s *models.Store, p *models.Policy, now time.Time, n int, teams int) {
	t.Helper()
	var ins []models.ResponseInput
	for i := 0; i < n; i++ {
		ins = append(ins, models.ResponseInput{Source: "web", ExternalID: fmt.Sprintf("r-%d", i), Metric: "nps", Score: 3,
			Comment: "slow", SubmittedAt: now, Attributes: map[string]string{"team": fmt.Sprintf("t%d", i%teams)}})
	}
	if _, err := s.Ingest(context.Background(), p, now, ins, models.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// drain runs the worker, stepping the injected clock, until nothing is pending.
func drain(t *testing.T, d *jobs.Deliverer, s *models.Store, clock *models.FixedClock, step time.Duration, maxSteps int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < maxSteps; i++ {
		for {
			n, err := d.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		counts, err := s.OutboxCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[models.OutboxPending] == 0 {
			return
		}
		clock.Advance(step)
	}
	t.Fatalf("messages still pending after %d steps", maxSteps)
}

func TestDeliveryThroughRateLimitsAndOutages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		fake := slackfake.New(t, slackToken)
		channels := make([]string, 10)
		for i := range channels {
			channels[i] = fmt.Sprintf("C%03d", i)
		}
		p := slackPolicy(channels...)
		clock := models.NewFixedClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC))
		ingestN(t, s, p, clock.Now(), 100, len(channels))
		fake.FailNext("chat.postMessage", 30, slackfake.RateLimited(5))
		fake.FailNext("chat.postMessage", 20, slackfake.ServerError())
		rec := &recording{Messenger: slackbot.New(slackToken, fake.URL(), nil), clock: clock}
		d := &jobs.Deliverer{Store: s, Policy: p, Clock: clock, Log: quiet(), Messengers: map[string]bot.Messenger{"slack": rec}}
		drain(t, d, s, clock, time.Second, 600)

		posted := map[string]int{}
		for _, c := range fake.Calls("chat.postMessage") {
			if c.Failure == "" {
				posted[c.Params.Get("text")]++
			}
		}
		if len(posted) != 100 {
			t.Fatalf("%d distinct cards posted, want 100", len(posted))
		}
		for text, n := range posted {
			if n != 1 {
				t.Errorf("card %q posted %d times", text, n)
			}
		}
		// No retry came before the platform's Retry-After (or before the backoff).
		last := map[int64]attempt{}
		var limited, transient int
		for _, a := range rec.posts {
			if prev, ok := last[a.caseID]; ok && prev.failed {
				wait := a.at.Sub(prev.at)
				if prev.class == bot.RateLimited && wait < prev.retry {
					t.Errorf("case %d retried %s after a 429 asking for %s", a.caseID, wait, prev.retry)
				}
				if prev.class == bot.Transient && wait < time.Second {
					t.Errorf("case %d retried %s after a 500", a.caseID, wait)
				}
			}
			if a.failed && a.class == bot.RateLimited {
				limited++
			}
			if a.failed && a.class == bot.Transient {
				transient++
			}
			last[a.caseID] = a
		}
		if limited != 30 || transient != 20 {
			t.Errorf("saw %d rate-limited and %d transient failures, want 30 and 20", limited, transient)
		}
		counts, _ := s.OutboxCounts(context.Background())
		if counts[models.OutboxDelivered] != 100 || counts[models.OutboxFailed] != 0 {
			t.Errorf("outbox %v", counts)
		}
	})
}

func TestPermanentFailureTellsAdmins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		fake := slackfake.New(t, slackToken)
		p := slackPolicy("C_GONE", "C_OK")
		p.DMTransports = []string{"log"}
		clock := models.NewFixedClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC))
		ingestN(t, s, p, clock.Now(), 2, 2)
		fake.FailNext("chat.postMessage", 1, slackfake.APIError("channel_not_found"))
		var logOut bytes.Buffer
		d := &jobs.Deliverer{Store: s, Policy: p, Clock: clock, Log: quiet(), Messengers: map[string]bot.Messenger{
			"slack": slackbot.New(slackToken, fake.URL(), nil), "log": bot.NewLogMessenger(&logOut)}}
		drain(t, d, s, clock, time.Second, 20)
		var gone models.OutboxMessage
		if err := s.DB().Where("channel = ?", "C_GONE").Take(&gone).Error; err != nil {
			t.Fatal(err)
		}
		if gone.State != models.OutboxFailed || gone.Attempts != 1 || !strings.Contains(gone.LastError, "channel_not_found") {
			t.Errorf("message to the missing channel: state %s after %d attempts (%s)", gone.State, gone.Attempts, gone.LastError)
		}
		if calls := fake.Calls("chat.postMessage"); len(calls) != 2 {
			t.Errorf("%d posts, want one failed and one to the other channel", len(calls))
		}
		okPosts := 0
		for _, c := range fake.Calls("chat.postMessage") {
			if c.Params.Get("channel") == "C_OK" && c.Failure == "" {
				okPosts++
			}
		}
		if okPosts != 1 {
			t.Errorf("the other channel got %d cards, want 1", okPosts)
		}
		if !strings.Contains(logOut.String(), "── DM → cx.lead@example.com ──") || !strings.Contains(logOut.String(), "channel C_GONE") {
			t.Errorf("admins were not told:\n%s", logOut.String())
		}
	})
}

// Three replicas on one PostgreSQL database (SQLite serves one replica).
func TestThreeWorkersDeliverEachOnce(t *testing.T) {
	pg := os.Getenv(storetest.EnvPostgres)
	if pg == "" {
		t.Skip("set " + storetest.EnvPostgres + ": replicas share a PostgreSQL database")
	}
	for _, db := range []storetest.DB{{Name: "postgres", URL: storetest.PostgresSchema(t, pg)}} {
		t.Run(db.Name, func(t *testing.T) {
			fake := slackfake.New(t, slackToken)
			channels := make([]string, 30)
			for i := range channels {
				channels[i] = fmt.Sprintf("C%03d", i)
			}
			p := slackPolicy(channels...)
			clock := models.NewFixedClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC))
			ingestN(t, storetest.Open(t, db), p, clock.Now(), 300, len(channels))
			var replicas []*models.Store
			for w := 0; w < 3; w++ {
				replicas = append(replicas, storetest.Open(t, db)) // a replica: its own connections
			}
			var wg sync.WaitGroup
			for w, s := range replicas {
				d := &jobs.Deliverer{Store: s, Policy: p, Clock: clock, Log: quiet(), WorkerID: fmt.Sprintf("replica-%d", w),
					Pace: models.Pacing{}, Messengers: map[string]bot.Messenger{"slack": slackbot.New(slackToken, fake.URL(), nil)}}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						n, err := d.RunOnce(context.Background())
						if err != nil {
							t.Error(err)
							return
						}
						if n == 0 {
							return
						}
					}
				}()
			}
			wg.Wait()
			seen := map[string]int{}
			for _, c := range fake.Calls("chat.postMessage") {
				seen[c.Params.Get("text")]++
			}
			if len(seen) != 300 {
				t.Errorf("%d distinct cards posted, want 300", len(seen))
			}
			for text, n := range seen {
				if n != 1 {
					t.Errorf("%q posted %d times", text, n)
				}
			}
		})
	}
}

func TestPacingPerChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		fake := slackfake.New(t, slackToken)
		clock := models.NewFixedClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC))
		// 20 messages for one channel
		one := slackPolicy("C_ONE")
		ingestN(t, s, one, clock.Now(), 20, 1)
		rec := &recording{Messenger: slackbot.New(slackToken, fake.URL(), nil), clock: clock}
		d := &jobs.Deliverer{Store: s, Policy: one, Clock: clock, Log: quiet(), Messengers: map[string]bot.Messenger{"slack": rec}}
		drain(t, d, s, clock, 250*time.Millisecond, 200)
		if len(rec.posts) != 20 {
			t.Fatalf("%d posts, want 20", len(rec.posts))
		}
		for i := 1; i < len(rec.posts); i++ {
			if gap := rec.posts[i].at.Sub(rec.posts[i-1].at); gap < time.Second {
				t.Errorf("posts %d and %d to one channel %s apart", i-1, i, gap)
			}
		}
		if span := rec.posts[19].at.Sub(rec.posts[0].at); span > 20*time.Second {
			t.Errorf("20 posts took %s of clock time, want about 19 s", span)
		}
	})
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		fake := slackfake.New(t, slackToken)
		clock := models.NewFixedClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC))
		channels := make([]string, 20)
		for i := range channels {
			channels[i] = fmt.Sprintf("C%02d", i)
		}
		p := slackPolicy(channels...)
		ingestN(t, s, p, clock.Now(), 20, 20)
		d := &jobs.Deliverer{Store: s, Policy: p, Clock: clock, Log: quiet(),
			Messengers: map[string]bot.Messenger{"slack": slackbot.New(slackToken, fake.URL(), nil)}}
		for {
			n, err := d.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		if n := len(fake.Calls("chat.postMessage")); n != 20 {
			t.Errorf("20 channels: %d posted at one instant, want all 20", n)
		}
	})
}
