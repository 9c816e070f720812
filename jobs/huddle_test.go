package jobs_test

import (
	"bytes"
	"context"
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

// huddlePolicy is one Estonian-speaking team in Tallinn with a 09:00 huddle.
func huddlePolicy(t *testing.T, transport, channel string) *models.Policy {
	t.Helper()
	tallinn, err := time.LoadLocation("Europe/Tallinn")
	if err != nil {
		t.Fatal(err)
	}
	p := policy()
	p.Teams[0].Location, p.Teams[0].Language, p.Teams[0].Huddle = tallinn, "et", "0 9 * * *"
	p.Teams[0].Name = "Klienditugi"
	p.Teams[0].Destinations = []models.Destination{{Transport: transport, Channel: channel}}
	p.DMTransports = []string{transport}
	return p
}

// huddleResponses are feedback around Monday 5 October 2026 in Tallinn
// (UTC+3): two responses on the Monday there, one of them on the Sunday in
// UTC, and one each just before and just after it.
func huddleResponses(t *testing.T, s *models.Store, p *models.Policy) {
	t.Helper()
	utc := func(d, h, m int) time.Time { return time.Date(2026, 10, d, h, m, 0, 0, time.UTC) }
	ins := []models.ResponseInput{
		{ExternalID: "mon-early", Score: 2, Comment: "Ootasin telefonil 40 minutit", SubmittedAt: utc(4, 22, 30)}, // Mon 01:30
		{ExternalID: "mon-late", Score: 10, Comment: "Liis aitas kiiresti!", SubmittedAt: utc(5, 20, 30), // Mon 23:30
			Attributes: map[string]string{"employee_email": "liis@example.com"}},
		{ExternalID: "tue", Score: 8, Comment: "Okei", SubmittedAt: utc(5, 21, 30)},             // Tue 00:30
		{ExternalID: "sun", Score: 1, Comment: "Pühapäeval kinni", SubmittedAt: utc(4, 20, 30)}, // Sun 23:30
	}
	now := time.Date(2026, 10, 6, 5, 0, 0, 0, time.UTC)
	for i := range ins {
		ins[i].Normalize(now)
	}
	if _, err := s.Ingest(context.Background(), p, now, ins, models.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
}

// The huddle at 09:00 on Tuesday in Tallinn tells of Monday there — not
// of Monday in UTC — in Estonian; it is queued once however often its job
// runs; a day without feedback posts nothing.
func TestHuddleTellsOfYesterdayInTeamZoneAndLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var out bytes.Buffer
		p := huddlePolicy(t, "log", "cc")
		huddleResponses(t, s, p)
		tuesday := time.Date(2026, 10, 6, 6, 0, 0, 0, time.UTC) // 09:00 in Tallinn
		clock := models.NewFixedClock(tuesday)
		d := &jobs.Deliverer{Store: s, Policy: p, Clock: clock, Log: quiet(), Messengers: map[string]bot.Messenger{"log": bot.NewLogMessenger(&out)}}
		drainNow(t, d) // the cards and DMs of the cases
		out.Reset()

		hj := jobs.HuddleJobs(s, p, quiet(), nil)
		if len(hj) != 1 || hj[0].Location.String() != "Europe/Tallinn" {
			t.Fatalf("huddle jobs %+v; want one, read in Europe/Tallinn", hj)
		}
		sched := &jobs.Scheduler{Store: s, Clock: clock, Log: quiet()}
		for range 2 { // the schedule fires twice (a second replica, a restart)
			if ran, err := sched.RunJob(ctx, hj[0]); !ran || err != nil {
				t.Fatalf("huddle job: ran %v, %v", ran, err)
			}
		}
		drainNow(t, d)
		got := out.String()
		if n := strings.Count(got, "Eilne tagasiside"); n != 1 {
			t.Fatalf("%d huddle posts; want 1:\n%s", n, got)
		}
		for _, want := range []string{
			"→ #cc ──\nEilne", "Eilne tagasiside: Klienditugi · 5. okt 2026", "2 vastust", "Päeva NPS: 0 (2 vastuse põhjal)",
			"1 kriitik:", "#1 · NPS 2 · „Ootasin telefonil 40 minutit“ · a@example.com · Määratud",
			"Mida ütles 1 soovitaja:", "> Liis aitas kiiresti!", "Aitäh, liis@example.com!",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("huddle lacks %q:\n%s", want, got)
			}
		}
		for _, not := range []string{"Okei", "Pühapäeval", "#2 "} {
			if strings.Contains(got, not) {
				t.Errorf("huddle tells of another day (%q):\n%s", not, got)
			}
		}

		// Thursday's huddle: Wednesday had no feedback.
		clock.Set(time.Date(2026, 10, 8, 6, 0, 0, 0, time.UTC))
		if queued, err := jobs.QueueHuddle(ctx, s, p, "cc", clock.Now()); err != nil || queued {
			t.Fatalf("empty day: queued %v, %v; want nothing", queued, err)
		}
		out.Reset()
		drainNow(t, d)
		if out.Len() != 0 {
			t.Errorf("an empty day posted:\n%s", out.String())
		}
	})
}

// In Slack the huddle is one message in the team's channel that mentions
// the praised employee.
func TestHuddleInSlack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		fake := slackfake.New(t, slackToken)
		fake.AddUser("liis@example.com", "U0LIIS")
		fake.AddUser("a@example.com", "U0AAA")
		p := huddlePolicy(t, "slack", "C0CC")
		huddleResponses(t, s, p)
		clock := models.NewFixedClock(time.Date(2026, 10, 6, 6, 0, 0, 0, time.UTC))
		d := &jobs.Deliverer{Store: s, Policy: p, Clock: clock, Log: quiet(), Pace: models.Pacing{},
			Messengers: map[string]bot.Messenger{"slack": slackbot.New(slackToken, fake.URL(), nil)}}
		drainNow(t, d)
		before := len(fake.Calls("chat.postMessage"))
		if queued, err := jobs.QueueHuddle(context.Background(), s, p, "cc", clock.Now()); err != nil || !queued {
			t.Fatalf("queued %v, %v", queued, err)
		}
		drainNow(t, d)
		calls := fake.Calls("chat.postMessage")
		if len(calls) != before+1 {
			t.Fatalf("%d posts for the huddle; want 1", len(calls)-before)
		}
		c := calls[len(calls)-1]
		blocks := string(c.Blocks)
		if c.Params.Get("channel") != "C0CC" || !strings.Contains(blocks, "Aitäh, \\u003c@U0LIIS\\u003e!") && !strings.Contains(blocks, "Aitäh, <@U0LIIS>!") {
			t.Errorf("huddle post to %s:\n%s", c.Params.Get("channel"), blocks)
		}
		if !strings.Contains(blocks, "2 vastust") {
			t.Errorf("huddle blocks lack the count:\n%s", blocks)
		}
	})
}

// Three replicas run the same huddle job at the same moment: one post.
func TestHuddleOnceAcrossReplicas(t *testing.T) {
	pg := os.Getenv(storetest.EnvPostgres)
	if pg == "" {
		t.Skip("set " + storetest.EnvPostgres + ": replicas share a PostgreSQL database")
	}
	db := storetest.DB{Name: "postgres", URL: storetest.PostgresSchema(t, pg)}
	p := huddlePolicy(t, "log", "cc")
	first := storetest.Open(t, db)
	huddleResponses(t, first, p)
	clock := models.NewFixedClock(time.Date(2026, 10, 6, 6, 0, 0, 0, time.UTC))
	var wg sync.WaitGroup
	for range 3 {
		s := storetest.Open(t, db)
		wg.Go(func() {
			for range 5 {
				sched := &jobs.Scheduler{Store: s, Clock: clock, Log: quiet()}
				if _, err := sched.RunJob(context.Background(), jobs.HuddleJobs(s, p, quiet(), nil)[0]); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	var n int64
	if err := first.DB().Model(&models.OutboxMessage{}).Where("kind = ?", models.KindHuddle).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d huddle posts queued; want 1", n)
	}
}

// drainNow delivers everything due at the clock's time.
func drainNow(t *testing.T, d *jobs.Deliverer) {
	t.Helper()
	for {
		n, err := d.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}
