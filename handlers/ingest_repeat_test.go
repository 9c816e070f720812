package handlers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A response sent without submitted_at is dated at its first receipt; the
// same response sent again later is an identical repeat, keeps that date
// and adds nothing to the case's trail or thread.
func TestIngestRepeatWithoutSubmittedAtIsUnchanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		clock := models.NewFixedClock(time.Date(2026, 10, 31, 23, 50, 0, 0, time.UTC))
		ts := newServerWithClock(t, s, clock)
		bearer := "Bearer " + token
		body := `{"external_id":"r-2001","score":2,"comment":"No answer for days."}`
		if code, out := post(t, ts.URL, bearer, "application/json", body); code != 201 {
			t.Fatalf("first post %d %v", code, out)
		}
		first := clock.Now()
		clock.Advance(20 * time.Minute) // a retry after midnight, in the next month
		code, out := post(t, ts.URL, bearer, "application/json", body)
		if st := out["results"].([]any)[0].(map[string]any)["status"]; code != 200 || st != "unchanged" {
			t.Fatalf("repeat %d %v, want 200 unchanged", code, out)
		}
		var r models.Response
		if err := s.DB().Where("external_id = ?", "r-2001").Take(&r).Error; err != nil {
			t.Fatal(err)
		}
		if !r.SubmittedAt.Equal(first) {
			t.Errorf("submitted_at %s, want the first receipt %s", r.SubmittedAt.UTC(), first)
		}
		var notes int64
		s.DB().Table("case_events").Where("kind = ?", "response_updated").Count(&notes)
		if notes != 0 {
			t.Errorf("%d response_updated events, want none", notes)
		}
		var replies int64
		s.DB().Table("outbox_messages").Where("kind = ?", models.KindThreadReply).Count(&replies)
		if replies != 0 {
			t.Errorf("%d thread replies queued, want none", replies)
		}

		// The same in a batch, and a repeat that omits a time the first
		// sent: both are unchanged.
		withTime := `{"external_id":"r-2002","score":9,"submitted_at":"2026-10-30T08:00:00Z"}`
		if code, out := post(t, ts.URL, bearer, "application/json", "["+withTime+"]"); code != 201 {
			t.Fatalf("post %d %v", code, out)
		}
		clock.Advance(time.Hour)
		code, out = post(t, ts.URL, bearer, "application/json", "["+body+`,{"external_id":"r-2002","score":9}]`)
		if code != 200 {
			t.Fatalf("batch of repeats %d %v, want 200", code, out)
		}
		for i, res := range out["results"].([]any) {
			if st := res.(map[string]any)["status"]; st != "unchanged" {
				t.Errorf("batch element %d %v, want unchanged", i, st)
			}
		}
		// A real change still counts, and still keeps the first date.
		code, out = post(t, ts.URL, bearer, "application/json", strings.Replace(body, `"score":2`, `"score":1`, 1))
		if st := out["results"].([]any)[0].(map[string]any)["status"]; code != 201 || st != "updated" {
			t.Fatalf("change %d %v, want 201 updated", code, out)
		}
		if err := s.DB().Where("external_id = ?", "r-2001").Take(&r).Error; err != nil {
			t.Fatal(err)
		}
		if !r.SubmittedAt.Equal(first) {
			t.Errorf("after an update submitted_at %s, want %s", r.SubmittedAt.UTC(), first)
		}
	})
}

// A submitted_at without an offset is in the configured zone.
func TestIngestSubmittedAtFormats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		riga, err := time.LoadLocation("Europe/Riga")
		if err != nil {
			t.Fatal(err)
		}
		ts := newServerWithClock(t, s, models.NewFixedClock(now), func(srv *handlers.Server) { srv.Policy.Location = riga })
		tests := []struct {
			sent string
			want time.Time
		}{
			{"2026-10-02T08:30:00+03:00", time.Date(2026, 10, 2, 5, 30, 0, 0, time.UTC)},
			{"2026-10-02 08:30", time.Date(2026, 10, 2, 5, 30, 0, 0, time.UTC)},
			{"2026-10-02", time.Date(2026, 10, 1, 21, 0, 0, 0, time.UTC)},
		}
		for i, tt := range tests {
			id := "fmt-" + string(rune('a'+i))
			code, out := post(t, ts.URL, "Bearer "+token, "application/json", `{"external_id":"`+id+`","score":9,"submitted_at":"`+tt.sent+`"}`)
			if code != 201 {
				t.Fatalf("%s: %d %v", tt.sent, code, out)
			}
			var r models.Response
			if err := s.DB().Where("external_id = ?", id).Take(&r).Error; err != nil {
				t.Fatal(err)
			}
			if !r.SubmittedAt.Equal(tt.want) {
				t.Errorf("%s stored as %s, want %s", tt.sent, r.SubmittedAt.UTC(), tt.want)
			}
		}
	})
}
