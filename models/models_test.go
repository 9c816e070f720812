package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

func testPolicy() *models.Policy {
	tallinn, _ := time.LoadLocation("Europe/Tallinn")
	return &models.Policy{
		Location: tallinn,
		Teams: []models.TeamPolicy{
			{ID: "contact-center", Name: "Contact Center", Members: []string{"jaan@example.com", "liis@example.com", "mari@example.com"},
				Managers: []string{"boss@example.com"}, Assign: models.AssignRoundRobin,
				Destinations: []models.Destination{{Transport: "log", Channel: "contact-center"}}},
			{ID: "riga", Name: "Riga", Members: nil, Managers: []string{"riga.boss@example.com"},
				Destinations: []models.Destination{{Transport: "log", Channel: "riga"}}},
		},
		Routes:       []models.Route{{When: map[string][]string{"country": {"LV"}}, Team: "riga"}},
		DefaultTeam:  "contact-center",
		SLA:          models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour, RemindBefore: 4 * time.Hour},
		Segments:     models.DefaultThresholds(),
		Themes:       []models.Theme{{Name: "waiting", Keywords: []string{"wait", "järjekord"}}},
		DMTransports: []string{"log"},
	}
}

func detractor(id string) models.ResponseInput {
	return models.ResponseInput{Source: "web", ExternalID: id, Metric: models.MetricNPS, Score: 2, Comment: "Waited 40 minutes",
		SubmittedAt: time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)}
}

func count(t *testing.T, s *models.Store, table string) int64 {
	t.Helper()
	var n int64
	if err := s.DB().Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConcurrentDuplicatesStoreOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := testPolicy()
		now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Ingest(context.Background(), p, now, []models.ResponseInput{detractor("same")}, models.IngestOptions{})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := count(t, s, "responses"); got != 1 {
			t.Errorf("responses = %d, want 1", got)
		}
		if got := count(t, s, "cases"); got != 1 {
			t.Errorf("cases = %d, want 1", got)
		}
		var cards int64
		s.DB().Table("outbox_messages").Where("kind = ?", models.KindCardPost).Count(&cards)
		if cards != 1 {
			t.Errorf("card posts = %d, want 1", cards)
		}
	})
}

func TestConcurrentDistinctStoreAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := testPolicy()
		now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
		var wg sync.WaitGroup
		errs := make(chan error, 1000)
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < 1000; i += 16 {
					_, err := s.Ingest(context.Background(), p, now, []models.ResponseInput{detractor(fmt.Sprintf("r-%d", i))}, models.IngestOptions{})
					if err != nil {
						errs <- err
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var cards int64
		s.DB().Table("outbox_messages").Where("kind = ?", models.KindCardPost).Count(&cards)
		if r, c := count(t, s, "responses"), count(t, s, "cases"); r != 1000 || c != 1000 || cards != 1000 {
			t.Errorf("responses=%d cases=%d cards=%d, want 1000 each", r, c, cards)
		}
	})
}

func TestRoundRobinAcrossRestart(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			p := testPolicy()
			now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
			owners := map[string]int{}
			ingest := func(s *models.Store, from, to int) {
				for i := from; i < to; i++ {
					res, err := s.Ingest(context.Background(), p, now, []models.ResponseInput{detractor(fmt.Sprintf("rr-%d", i))}, models.IngestOptions{})
					if err != nil {
						t.Fatal(err)
					}
					v, err := s.CaseView(context.Background(), res[0].CaseID)
					if err != nil {
						t.Fatal(err)
					}
					owners[v.Case.Owner]++
				}
			}
			s1 := storetest.Open(t, db)
			ingest(s1, 0, 4)
			_ = s1.Close() // a restart: a new process with new connections
			s2 := storetest.Open(t, db)
			ingest(s2, 4, 9)
			for _, m := range p.Teams[0].Members {
				if owners[m] != 3 {
					t.Errorf("%s owns %d cases, want 3 (all: %v)", m, owners[m], owners)
				}
			}
		})
	}
}

func TestLeastLoadedAndChampion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := testPolicy()
		now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
		ctx := context.Background()
		p.Teams[0].Assign = models.AssignLeastLoaded
		// jaan already holds two open cases, liis one: mari is least loaded, then liis.
		for i, owner := range []string{"jaan@example.com", "jaan@example.com", "liis@example.com"} {
			res, err := s.Ingest(ctx, p, now, []models.ResponseInput{detractor(fmt.Sprintf("pre-%d", i))}, models.IngestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s.DB().Model(&models.Case{}).Where("id = ?", res[0].CaseID).Update("owner", owner)
		}
		want := []string{"mari@example.com", "liis@example.com", "mari@example.com"}
		for i, w := range want {
			res, err := s.Ingest(ctx, p, now, []models.ResponseInput{detractor(fmt.Sprintf("ll-%d", i))}, models.IngestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			v, _ := s.CaseView(ctx, res[0].CaseID)
			if v.Case.Owner != w {
				t.Errorf("case %d owner %s, want %s", i, v.Case.Owner, w)
			}
		}
		p.Teams[0].Assign = models.AssignChampion
		p.Teams[0].Champion = "liis@example.com"
		res, err := s.Ingest(ctx, p, now, []models.ResponseInput{detractor("champ")}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := s.CaseView(ctx, res[0].CaseID); v.Case.Owner != "liis@example.com" {
			t.Errorf("champion case owner %s", v.Case.Owner)
		}
	})
}

func TestUpdateFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := testPolicy()
		ctx := context.Background()
		now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
		first := detractor("d-1")
		first.Comment = ""
		res, err := s.Ingest(ctx, p, now, []models.ResponseInput{first}, models.IngestOptions{})
		if err != nil || res[0].Outcome != models.OutcomeCreated || !res[0].CaseOpened {
			t.Fatalf("first: %+v %v", res, err)
		}
		caseID := res[0].CaseID
		// identical repeat: nothing changes
		res, err = s.Ingest(ctx, p, now.Add(time.Minute), []models.ResponseInput{first}, models.IngestOptions{})
		if err != nil || res[0].Outcome != models.OutcomeUnchanged || res[0].CaseID != caseID {
			t.Fatalf("repeat: %+v %v", res, err)
		}
		before := count(t, s, "outbox_messages")
		// the comment arrives later
		second := first
		second.Comment = "Stood in the järjekorras for an hour"
		res, err = s.Ingest(ctx, p, now.Add(2*time.Minute), []models.ResponseInput{second}, models.IngestOptions{})
		if err != nil || res[0].Outcome != models.OutcomeUpdated || res[0].CaseID != caseID || res[0].CaseOpened {
			t.Fatalf("update: %+v %v", res, err)
		}
		if got := count(t, s, "cases"); got != 1 {
			t.Errorf("cases = %d after update, want 1", got)
		}
		v, _ := s.CaseView(ctx, caseID)
		if v.Response.Comment != second.Comment || len(v.Response.Themes) != 1 || v.Response.Themes[0] != "waiting" {
			t.Errorf("response after update: comment %q themes %v", v.Response.Comment, v.Response.Themes)
		}
		last := v.Events[len(v.Events)-1]
		if last.Kind != "response_updated" || last.Detail != "survey response updated: comment added" {
			t.Errorf("last event %+v", last)
		}
		var upd int64
		s.DB().Table("outbox_messages").Where("kind = ? AND case_id = ?", models.KindCardUpdate, caseID).Count(&upd)
		if upd != 1 || count(t, s, "outbox_messages") != before+2 {
			t.Errorf("card updates queued = %d (outbox %d → %d)", upd, before, count(t, s, "outbox_messages"))
		}
		// a passive that becomes a detractor opens its case on the update
		pas := detractor("p-1")
		pas.Score = 8
		res, _ = s.Ingest(ctx, p, now, []models.ResponseInput{pas}, models.IngestOptions{})
		if res[0].CaseID != 0 {
			t.Fatalf("passive opened case")
		}
		pas.Score = 4
		res, err = s.Ingest(ctx, p, now, []models.ResponseInput{pas}, models.IngestOptions{})
		if err != nil || !res[0].CaseOpened || res[0].Outcome != models.OutcomeUpdated {
			t.Fatalf("became detractor: %+v %v", res, err)
		}
	})
}

func TestRoutingAndUnownedCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := testPolicy()
		ctx := context.Background()
		in := detractor("lv-1")
		in.Attributes = map[string]string{"country": "LV"}
		res, err := s.Ingest(ctx, p, time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC), []models.ResponseInput{in}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := s.CaseView(ctx, res[0].CaseID)
		if v.Case.TeamID != "riga" || v.Case.State != models.StateOpen || v.Case.Owner != "" {
			t.Errorf("case %+v, want team riga, state open, no owner", v.Case)
		}
		var dms []models.OutboxMessage
		s.DB().Where("case_id = ? AND kind = ?", v.Case.ID, models.KindUnownedDM).Find(&dms)
		if len(dms) != 1 || dms[0].Recipient != "riga.boss@example.com" {
			t.Errorf("unowned DMs %+v, want one to the Riga manager", dms)
		}
	})
}

func TestBatchIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := testPolicy()
		bad := detractor("x-2")
		bad.Metric = "bogus"
		_, err := s.Ingest(context.Background(), p, time.Now(), []models.ResponseInput{detractor("x-1"), bad}, models.IngestOptions{})
		if err == nil {
			t.Fatal("batch with a bad element stored")
		}
		if n := count(t, s, "responses"); n != 0 {
			t.Errorf("responses = %d after a failed batch, want 0", n)
		}
	})
}

func TestOutboxClaimOrderAndLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := testPolicy()
		ctx := context.Background()
		now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
		first := detractor("o-1")
		if _, err := s.Ingest(ctx, p, now, []models.ResponseInput{first}, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		first.Comment = "changed"
		if _, err := s.Ingest(ctx, p, now, []models.ResponseInput{first}, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		// post + DM are due; the update and thread reply wait for the post.
		got, err := s.ClaimOutbox(ctx, "w1", now, time.Minute, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[models.OutboxKind]int{}
		for _, m := range got {
			kinds[m.Kind]++
		}
		if len(got) != 2 || kinds[models.KindCardPost] != 1 || kinds[models.KindCaseDM] != 1 {
			t.Fatalf("first claim %v, want one post and one DM", kinds)
		}
		// a second worker sees nothing while the lease lives
		if again, _ := s.ClaimOutbox(ctx, "w2", now.Add(30*time.Second), time.Minute, 10, nil); len(again) != 0 {
			t.Fatalf("claimed %d leased messages", len(again))
		}
		// the lease expires (worker crashed): another worker takes over
		again, _ := s.ClaimOutbox(ctx, "w2", now.Add(2*time.Minute), time.Minute, 10, nil)
		if len(again) != 2 {
			t.Fatalf("after lease expiry claimed %d, want 2", len(again))
		}
		var post models.OutboxMessage
		for i := range again {
			if again[i].Kind == models.KindCardPost {
				post = again[i]
			}
			if err := s.MarkDelivered(ctx, &again[i], "ts-1", now); err != nil {
				t.Fatal(err)
			}
		}
		if post.Attempts != 2 {
			t.Errorf("post attempts %d, want 2", post.Attempts)
		}
		rest, _ := s.ClaimOutbox(ctx, "w2", now.Add(3*time.Minute), time.Minute, 10, nil)
		if len(rest) != 1 || rest[0].Kind != models.KindCardUpdate {
			t.Fatalf("after the post: %+v, want the update first", rest)
		}
		ref, err := s.CardRef(ctx, post.CaseID, post.Transport, post.Channel)
		if err != nil || ref.Ref != "ts-1" {
			t.Fatalf("card ref %+v %v", ref, err)
		}
	})
}

func TestMigrateTwiceAndReady(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := s.Ready(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOutboxPacing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := testPolicy()
		p.DMTransports = nil
		p.Teams[0].Destinations = []models.Destination{{Transport: "slack", Channel: "C1"}}
		ctx := context.Background()
		now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
		var ins []models.ResponseInput
		for i := 0; i < 5; i++ {
			ins = append(ins, detractor(fmt.Sprintf("pace-%d", i)))
		}
		if _, err := s.Ingest(ctx, p, now, ins, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		pace := models.Pacing{"slack": time.Second}
		claim := func(at time.Time) int {
			got, err := s.ClaimOutbox(ctx, "w", at, time.Minute, 10, pace)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				next := at.Add(time.Second) // as the worker does: the gap counts from the answer
				got[i].PaceNext = &next
				if err := s.MarkDelivered(ctx, &got[i], "ts", at); err != nil {
					t.Fatal(err)
				}
			}
			return len(got)
		}
		if n := claim(now); n != 1 {
			t.Fatalf("first claim %d, want 1 for one channel", n)
		}
		if n := claim(now.Add(500 * time.Millisecond)); n != 0 {
			t.Fatalf("claimed %d within the channel's second", n)
		}
		// While a message is in flight its conversation is held: nothing else goes there.
		if got, _ := s.ClaimOutbox(ctx, "w", now.Add(time.Second), time.Minute, 10, pace); len(got) != 1 {
			t.Fatalf("claimed %d, want 1", len(got))
		} else if again, _ := s.ClaimOutbox(ctx, "w2", now.Add(5*time.Second), time.Minute, 10, pace); len(again) != 0 {
			t.Fatalf("a second message went to a conversation with one in flight")
		} else {
			next := now.Add(2 * time.Second)
			got[0].PaceNext = &next
			if err := s.MarkDelivered(ctx, &got[0], "ts", now.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		next, _ := s.NextDue(ctx, now.Add(1500*time.Millisecond))
		if !next.Equal(now.Add(2 * time.Second)) {
			t.Errorf("NextDue %s, want the next pace slot %s", next, now.Add(2*time.Second))
		}
		if n := claim(now.Add(2 * time.Second)); n != 1 {
			t.Fatalf("claimed %d after the gap, want 1", n)
		}
	})
}

func TestUpkeepRefreshesStatistics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p := testPolicy()
		now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
		var ins []models.ResponseInput
		for i := 0; i < 20; i++ {
			ins = append(ins, detractor(fmt.Sprintf("u-%d", i)))
		}
		if _, err := s.Ingest(ctx, p, now, ins, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := s.Optimize(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Analyze(ctx); err != nil {
			t.Fatal(err)
		}
		// The planner now knows the outbox's size.
		var n int64
		q := "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'outbox_messages'"
		if s.Postgres() {
			q = "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'outbox_messages' AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL AND schemaname = current_schema()"
		}
		if err := s.DB().Raw(q).Scan(&n).Error; err != nil || n == 0 {
			t.Fatalf("no statistics for the outbox after upkeep (%d, %v)", n, err)
		}
	})
}
