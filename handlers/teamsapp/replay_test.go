package teamsapp_test

import (
	"testing"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A card button pressed once and its activity replayed (same id) runs
// once; an activity without an id, which cannot be recorded, is refused.
func TestTeamsReplayedInvokeRunsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.install()
		id := e.detractor("tr-1", "Waited.")
		e.deliver()
		act := e.fake.Fixture("invoke-adaptive-card-action-execute")
		act["id"] = "replayed-note-1"
		act["from"] = map[string]any{"id": "29:alice"}
		act["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": "note",
			"data": map[string]any{"caseId": id, "verb": "note", "note": "called"}}, "trigger": "manual"}
		for i := 0; i < 2; i++ {
			if rec := e.post(act); rec.Code != 200 {
				t.Fatalf("post %d: %d %s", i, rec.Code, rec.Body)
			}
		}
		var events int64
		s.DB().Model(&models.CaseEvent{}).Where("case_id = ? AND kind NOT IN ?", id, []string{"opened", "assigned"}).Count(&events)
		if events > 1 {
			t.Errorf("%d case events after an invoke and its replay, want at most 1", events)
		}
		delete(act, "id")
		if rec := e.post(act); rec.Code != 400 {
			t.Errorf("activity without an id: %d, want 400", rec.Code)
		}
	})
}
