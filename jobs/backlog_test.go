package jobs_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	slackbot "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A backlog of cards (5,000 with CXLOOP_TEST_BACKLOG=5000) for one paced channel drains without holding up
// ingestion: a single response stored during the drain takes about as long
// as one stored while the worker is idle, and every message still goes out
// once, each card's update after its post.
func TestBacklogDoesNotStallIngestion(t *testing.T) {
	if testing.Short() {
		t.Skip("drains 5,000 messages")
	}
	// 1,000 by default keeps go test quick; CXLOOP_TEST_BACKLOG=5000 is the
	// full size (a card a few ms on one paced channel: a minute or two).
	backlog, updated := 1000, 100
	if n, err := strconv.Atoi(os.Getenv("CXLOOP_TEST_BACKLOG")); err == nil && n > updated {
		backlog = n
	}
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		fake := slackfake.New(t, slackToken)
		p := slackPolicy("C0BACKLOG")
		now := time.Now()
		for from := 0; from < backlog; from += 1000 {
			var ins []models.ResponseInput
			for i := from; i < from+1000; i++ {
				ins = append(ins, models.ResponseInput{Source: "web", ExternalID: fmt.Sprintf("r-%d", i), Metric: "nps", Score: 3,
					Comment: fmt.Sprintf("slow %d", i), SubmittedAt: now, Attributes: map[string]string{"team": "t0"}})
			}
			if _, err := s.Ingest(ctx, p, now, ins, models.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		// Updates of the first cases queue a card update and a thread reply
		// behind each one's post.
		var ups []models.ResponseInput
		for i := 0; i < updated; i++ {
			ups = append(ups, models.ResponseInput{Source: "web", ExternalID: fmt.Sprintf("r-%d", i), Metric: "nps", Score: 3,
				Comment: "still slow", SubmittedAt: now, Attributes: map[string]string{"team": "t0"}})
		}
		if _, err := s.Ingest(ctx, p, now, ups, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		single := 0
		ingestOne := func() time.Duration {
			single++
			in := models.ResponseInput{Source: "web", ExternalID: fmt.Sprintf("single-%d", single), Metric: "nps", Score: 9,
				SubmittedAt: time.Now()}
			start := time.Now()
			if _, err := s.Ingest(ctx, p, time.Now(), []models.ResponseInput{in}, models.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			return time.Since(start)
		}
		median := func(n int) time.Duration {
			var ds []time.Duration
			for i := 0; i < n; i++ {
				ds = append(ds, ingestOne())
			}
			slices.Sort(ds)
			return ds[n/2]
		}
		idle := median(7)

		d := &jobs.Deliverer{Store: s, Policy: p, Clock: models.SystemClock{}, Log: quiet(),
			Pace:       models.Pacing{"slack": time.Millisecond}, // one paced channel, at test speed
			Messengers: map[string]bot.Messenger{"slack": slackbot.New(slackToken, fake.URL(), nil)}}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { d.Run(runCtx); close(done) }()
		defer func() { stop(); <-done }()
		if _, err := fake.WaitCalls(ctx, "chat.postMessage", 20); err != nil {
			t.Fatal(err)
		}
		during := median(7)
		if pending, _ := s.OutboxCounts(ctx); pending[models.OutboxPending] < int64(backlog/2) {
			t.Logf("the backlog was mostly drained (%d pending) before the ingests ended", pending[models.OutboxPending])
		}
		if during > 20*idle {
			t.Errorf("a single ingest took %s during the drain, %.1f× the %s it takes idle", during, float64(during)/float64(idle), idle)
		}
		t.Logf("single ingest: idle %s, during the drain %s (%.1f×)", idle, during, float64(during)/float64(idle))

		wait, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		if _, err := fake.WaitCalls(wait, "chat.update", updated); err != nil {
			t.Fatalf("updates: %v", err)
		}
		if _, err := fake.WaitCalls(wait, "chat.postMessage", backlog+updated); err != nil {
			t.Fatalf("posts: %v", err)
		}
		stop()
		<-done
		counts, _ := s.OutboxCounts(ctx)
		if counts[models.OutboxFailed] != 0 || counts[models.OutboxPending] != 0 {
			t.Errorf("outbox %v: an update overtook its post or a message was lost", counts)
		}
		posts := map[string]int{}
		for _, c := range fake.Calls("chat.postMessage") {
			if c.Failure == "" && c.Params.Get("thread_ts") == "" {
				posts[c.Params.Get("text")]++
			}
		}
		if len(posts) != backlog {
			t.Errorf("%d distinct cards posted, want %d", len(posts), backlog)
		}
		for text, n := range posts {
			if n != 1 {
				t.Errorf("card %q posted %d times", text, n)
			}
		}
	})
}
