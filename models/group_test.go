package models_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// groupRequests is 64 single responses: 40 new ones (detractors and
// promoters), 12 exact repeats, 11 updates of earlier ones and one the
// store refuses (an unknown metric).
func groupRequests() []models.ResponseInput {
	var reqs []models.ResponseInput
	for i := 0; i < 40; i++ {
		in := detractor(fmt.Sprintf("g-%d", i))
		if i%4 == 3 {
			in.Score = 10
		}
		reqs = append(reqs, in)
	}
	for i := 0; i < 12; i++ {
		reqs = append(reqs, reqs[i])
	}
	for i := 12; i < 23; i++ {
		up := reqs[i]
		up.Comment = "Called back, still not fixed"
		reqs = append(reqs, up)
	}
	bad := detractor("g-bad")
	bad.Metric = "bogus"
	return append(reqs, bad)
}

func TestGroupCommitGivesSequentialResults(t *testing.T) {
	dbs := storetest.Databases(t)
	for _, db := range dbs {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			p := testPolicy()
			now := time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
			reqs := groupRequests()

			// The reference: the same requests one after another.
			seq := storetest.Open(t, storetest.Databases(t)[0])
			want := map[string][]models.Outcome{}
			for _, in := range reqs {
				res, err := seq.Ingest(ctx, p, now, []models.ResponseInput{in}, models.IngestOptions{})
				if err == nil {
					want[in.ExternalID] = append(want[in.ExternalID], res[0].Outcome)
				}
			}

			s := storetest.Open(t, db)
			g := &models.Grouper{Store: s, Wait: 20 * time.Millisecond}
			type answer struct {
				res models.IngestResult
				err error
			}
			answers := make([]answer, len(reqs))
			var wg sync.WaitGroup
			for i, in := range reqs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := g.Ingest(ctx, p, now, in)
					answers[i] = answer{res, err}
				}()
			}
			wg.Wait()
			if g.Groups() >= int64(len(reqs)) {
				t.Errorf("%d groups for %d requests: nothing was gathered", g.Groups(), len(reqs))
			}
			got := map[string][]models.Outcome{}
			ids := map[string]int64{}
			for i, a := range answers {
				key := reqs[i].ExternalID
				if key == "g-bad" {
					if a.err == nil {
						t.Errorf("the unknown metric was stored: %+v", a.res)
					}
					continue
				}
				if a.err != nil {
					t.Errorf("request %d (%s) failed beside the bad one: %v", i, key, a.err)
					continue
				}
				if id, ok := ids[key]; ok && id != a.res.ResponseID {
					t.Errorf("%s answered with ids %d and %d", key, id, a.res.ResponseID)
				}
				ids[key] = a.res.ResponseID
				got[key] = append(got[key], a.res.Outcome)
			}
			// Whichever of two concurrent requests came first, the outcomes
			// are those of some sequential order: one created, then
			// unchanged for a repeat or updated for a change.
			for key, w := range want {
				if fmt.Sprint(sorted(got[key])) != fmt.Sprint(sorted(w)) {
					t.Errorf("%s: outcomes %v, sequentially %v", key, got[key], w)
				}
			}
			for _, table := range []string{"responses", "cases", "case_events", "outbox_messages"} {
				if a, b := count(t, s, table), count(t, seq, table); a != b {
					t.Errorf("%s: %d rows, sequentially %d", table, a, b)
				}
			}
			var versions int64
			if err := s.DB().Raw("SELECT coalesce(sum(version), 0) FROM responses").Scan(&versions).Error; err != nil || versions != 51 {
				t.Errorf("stored versions sum to %d (%v), want 40 + 11 updates", versions, err)
			}
		})
	}
}

func sorted(o []models.Outcome) []models.Outcome {
	out := slices.Clone(o)
	slices.Sort(out)
	return out
}
