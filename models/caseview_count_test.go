package models_test

import (
	"context"
	"sync/atomic"
	"testing"

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
