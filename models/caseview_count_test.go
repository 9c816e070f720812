package models_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// countStatements counts every statement run through db from now on.
func countStatements(t *testing.T, dbs ...*gorm.DB) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	count := func(*gorm.DB) { n.Add(1) }
	for i, db := range dbs {
		name := "test:count" + string(rune('a'+i))
		cb := db.Callback()
		for _, err := range []error{
			cb.Query().After("gorm:query").Register(name, count),
			cb.Raw().After("gorm:raw").Register(name, count),
			cb.Row().After("gorm:row").Register(name, count),
			cb.Create().After("gorm:create").Register(name, count),
			cb.Update().After("gorm:update").Register(name, count),
			cb.Delete().After("gorm:delete").Register(name, count),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return &n
}

// Delivery loads a case view for every card it posts; the view costs two
// statements (case, response and suppression together, then the trail),
// and a third only when other responses joined the case. It used to be five.
func TestCaseViewStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := opsPolicy()
		id := openCase(t, s, p, "count-1")
		dbs := []*gorm.DB{s.DB()}
		// The read pool may share the writer's callbacks; count each once.
		if r := models.ReaderOf(s); r.Callback() != s.DB().Callback() {
			dbs = append(dbs, r)
		}
		n := countStatements(t, dbs...)
		v, err := s.CaseView(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Case.ID != id || v.Response.ID != v.Case.ResponseID || v.Response.ExternalID != "count-1" || len(v.Events) == 0 {
			t.Fatalf("case view of %d: %+v", id, v)
		}
		if got := n.Load(); got != 2 {
			t.Fatalf("case view took %d statements, want 2", got)
		}
	})
}

// Recording a delivery competes with ingestion for the one writer, so it is
// one statement on PostgreSQL; on SQLite, which cannot change several tables
// in one statement, a card post costs one commit of two statements (message
// and card reference), and a third for a paced conversation's slot.
func TestDeliveryStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := testPolicy()
		p.DMTransports = nil
		p.Teams[0].Destinations = []models.Destination{{Transport: "slack", Channel: "C1"}, {Transport: "log", Channel: "L1"}}
		ctx := context.Background()
		now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
		if _, err := s.Ingest(ctx, p, now, []models.ResponseInput{detractor("count-delivery")}, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ClaimOutbox(ctx, "w", now, time.Minute, 10, models.Pacing{"slack": time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("claimed %d cards, want one per destination", len(got))
		}
		n := countStatements(t, s.DB())
		for i, m := range got {
			n.Store(0)
			want := int64(2) // on SQLite: the message and the card reference
			if m.Transport == "slack" {
				next := now.Add(time.Second)
				got[i].PaceNext = &next
				want = 3 // and the pace slot
			}
			if s.Postgres() {
				want = 1
			}
			if err := s.MarkDelivered(ctx, &got[i], "ts-"+m.Transport, now); err != nil {
				t.Fatal(err)
			}
			if c := n.Load(); c != want {
				t.Errorf("%s card delivery took %d statements, want %d", m.Transport, c, want)
			}
			ref, err := s.CardRef(ctx, m.CaseID, m.Transport, m.Channel)
			if err != nil || ref.Ref != "ts-"+m.Transport || !ref.PostedAt.Equal(now) {
				t.Errorf("%s card reference %+v %v", m.Transport, ref, err)
			}
		}
		if again, err := s.ClaimOutbox(ctx, "w", now.Add(time.Hour), time.Minute, 10, nil); err != nil || len(again) != 0 {
			t.Fatalf("claimed %d delivered messages again (%v)", len(again), err)
		}
	})
}
