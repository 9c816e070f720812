package handlers_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/handlers/internal/apptest"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A dead letter is kept with its card numbers masked, still as JSON.
func TestDeadLetterMasksCardNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		_, ts := hookServer(t, s, models.NewFixedClock(now), nil)
		body := hookFixture(t, "delighted_survey_response_created.json", func(m map[string]any) {
			jsonObj(m, "event_data")["score"] = 12
			jsonObj(m, "event_data")["comment"] = "my card " + apptest.FullCard + " was charged"
		})
		if code, res := hook(t, ts.URL, "delighted", signedAs("delighted", body), body); code != 202 {
			t.Fatalf("status %d %v, want a dead letter", code, res)
		}
		kept := apptest.ColumnTexts(t, s, "dead_letters", "body", "reason")
		if strings.Contains(kept, apptest.FullCard) || !strings.Contains(kept, "my card •••• 1111 was charged") {
			t.Errorf("dead letter holds %s", kept)
		}
		dls, err := s.DeadLetters(t.Context(), models.DeadLetterQuery{})
		if err != nil || len(dls) != 1 || !json.Valid(dls[0].Body) {
			t.Fatalf("dead letters %v, %v", dls, err)
		}
		// The sender's retry is the same dead letter.
		hook(t, ts.URL, "delighted", signedAs("delighted", body), body)
		if n := rows(t, s, "dead_letters"); n != 1 {
			t.Errorf("%d dead letters after a retry", n)
		}
	})
}
