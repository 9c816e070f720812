package jobs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	slackbot "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// paceCheckingSlack answers chat.postMessage after 30–80 ms, like Slack
// across the internet, and answers 429 when a channel gets two messages
// less than 900 ms apart (Slack allows about one per second per channel).
type paceCheckingSlack struct {
	mu        sync.Mutex
	last      map[string]time.Time
	posts     atomic.Int64
	limited   atomic.Int64
	first, at atomic.Int64 // unix nanos of the first and the latest post
}

func (f *paceCheckingSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now() // Slack's limiter counts a request when it arrives
	_ = r.ParseForm()
	if !strings.HasSuffix(r.URL.Path, "/chat.postMessage") {
		// The owner's lookup for the card's mention: nobody by that email.
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":false,"error":"users_not_found"}`))
		return
	}
	ch := r.Form.Get("channel")
	defer time.Sleep(time.Duration(30+rand.IntN(51)) * time.Millisecond) // then answers after a round trip's worth
	f.mu.Lock()
	prev, seen := f.last[ch]
	tooSoon := seen && now.Sub(prev) < 900*time.Millisecond
	if !tooSoon {
		f.last[ch] = now
	}

	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if tooSoon {
		f.limited.Add(1)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
		return
	}
	n := f.posts.Add(1)
	f.first.CompareAndSwap(0, now.UnixNano())
	f.at.Store(now.UnixNano())
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"%d.%06d"}`, ch, now.Unix(), n)
}

func benchWorkers() int {
	var n int
	fmt.Sscan(os.Getenv("CXLOOP_BENCH_WORKERS"), &n)
	return n
}

func benchDB(b *testing.B) storetest.DB {
	if pg := os.Getenv(storetest.EnvPostgres); pg != "" {
		return storetest.DB{Name: "postgres", URL: storetest.PostgresSchema(b, pg)}
	}
	return storetest.Databases(b)[0]
}

// BenchmarkDeliveryAcross50Channels reports how many cards per second
// cxloop delivers to 50 channels against a Slack that answers in 30–80 ms
// and rate-limits each channel at one message per second; the platform's
// ceiling for those channels is 50 per second.
func BenchmarkDeliveryAcross50Channels(b *testing.B) {
	const channels, perChannel = 50, 20
	for i := 0; i < b.N; i++ {
		s := storetest.Open(b, benchDB(b))
		names := make([]string, channels)
		for c := range names {
			names[c] = fmt.Sprintf("C%03d", c)
		}
		p := slackPolicy(names...)
		var ins []models.ResponseInput
		now := time.Now()
		for n := 0; n < channels*perChannel; n++ {
			ins = append(ins, models.ResponseInput{Source: "web", ExternalID: fmt.Sprintf("r-%d", n), Metric: "nps", Score: 3,
				SubmittedAt: now, Attributes: map[string]string{"team": fmt.Sprintf("t%d", n%channels)}})
		}
		if _, err := s.Ingest(context.Background(), p, now, ins, models.IngestOptions{}); err != nil {
			b.Fatal(err)
		}
		fake := &paceCheckingSlack{last: map[string]time.Time{}}
		srv := httptest.NewServer(fake)
		d := &jobs.Deliverer{Store: s, Policy: p, Clock: models.SystemClock{}, Log: quiet(), Workers: benchWorkers(),
			Messengers: map[string]bot.Messenger{"slack": slackbot.New(slackToken, srv.URL+"/api/", nil)}}
		ctx, cancel := context.WithCancel(context.Background())
		start := time.Now()
		done := make(chan struct{})
		go func() { d.Run(ctx); close(done) }()
		for fake.posts.Load() < channels*perChannel {
			time.Sleep(20 * time.Millisecond) // a benchmark's progress poll, not a test's timing
		}
		elapsed := time.Since(start)
		cancel()
		<-done
		srv.Close()
		total := float64(channels * perChannel)
		rate := total / elapsed.Seconds()
		// The ceiling: each channel's first message at once, then one a second.
		ideal := time.Duration(perChannel-1) * time.Second
		b.ReportMetric(rate, "msgs/s")
		b.ReportMetric(100*ideal.Seconds()/elapsed.Seconds(), "%ceiling")
		b.ReportMetric(float64(fake.limited.Load()), "429s")
		b.Logf("%d messages to %d channels in %s (%.1f/s; the one-per-second ceiling needs %s: %.0f%%); %d answered 429",
			int(total), channels, elapsed.Round(time.Millisecond), rate, ideal, 100*ideal.Seconds()/elapsed.Seconds(), fake.limited.Load())
	}
}

// BenchmarkOutboxClaimAndMark measures the database's share of delivering
// one message: claiming it and recording the delivery.
func BenchmarkOutboxClaimAndMark(b *testing.B) {
	s := storetest.Open(b, benchDB(b))
	names := make([]string, 100)
	for c := range names {
		names[c] = fmt.Sprintf("C%03d", c)
	}
	p := slackPolicy(names...)
	now := time.Now()
	var ins []models.ResponseInput
	for n := 0; n < b.N; n++ {
		ins = append(ins, models.ResponseInput{Source: "web", ExternalID: fmt.Sprintf("r-%d", n), Metric: "nps", Score: 3,
			SubmittedAt: now, Attributes: map[string]string{"team": fmt.Sprintf("t%d", n%100)}})
		if len(ins) == 1000 || n == b.N-1 {
			if _, err := s.Ingest(context.Background(), p, now, ins, models.IngestOptions{}); err != nil {
				b.Fatal(err)
			}
			ins = ins[:0]
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	done := 0
	for done < b.N {
		msgs, err := s.ClaimOutbox(ctx, "bench", now, time.Minute, 2, jobs.DefaultPacing())
		if err != nil {
			b.Fatal(err)
		}
		if len(msgs) == 0 {
			now = now.Add(time.Second) // the next pace slot of every channel
			continue
		}
		for i := range msgs {
			if err := s.MarkDelivered(ctx, &msgs[i], "ts", now); err != nil {
				b.Fatal(err)
			}
		}
		done += len(msgs)
	}
}
