package providers

import (
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
)

func TestMapFormbricks(t *testing.T) {
	const created = "formbricks_response_created.json"
	const finished = "formbricks_response_finished.json"
	const surveyID = "cm1x6q3tp0001l708k9m0n1p2"
	// The mapping DESIGN.md's sources example gives for this survey.
	npsSurvey := map[string]models.FormMapping{surveyID: {Metric: "nps", Score: "q_nps_recommend", Comment: "q_nps_reason"}}
	base := func() *models.ResponseInput {
		return &models.ResponseInput{
			Source:      "formbricks",
			ExternalID:  "cm1x8a9rz000bl708f5g6h7j8",
			Metric:      models.MetricNPS,
			Score:       6,
			SubmittedAt: time.Date(2024, 6, 4, 14, 2, 11, 482_000_000, time.UTC),
			Customer:    models.Customer{ID: "user_4471", Email: "noor.haddad@example.net"},
			Attributes: map[string]string{
				"plan":                   "pro",
				"meta.source":            "app",
				"meta.url":               "https://app.example.com/dashboard",
				"meta.userAgent.browser": "Firefox",
				"meta.userAgent.os":      "Windows",
				"meta.userAgent.device":  "desktop",
				"meta.country":           "NL",
			},
		}
	}
	with := func(change func(r *models.ResponseInput)) *models.ResponseInput {
		r := base()
		change(r)
		return r
	}
	data := func(change func(d map[string]any)) func(map[string]any) {
		return func(m map[string]any) { change(obj(m, "data")) }
	}
	const comment = "Search misses results I know exist."

	tests := []struct {
		name    string
		body    []byte
		surveys map[string]models.FormMapping
		kind    errKind
		want    *models.ResponseInput
	}{
		{"created fixture: score only", loadFixture(t, created), npsSurvey, noErr, base()},
		{"survey shown in Polish", mutate(t, created, data(func(d map[string]any) { d["language"] = "pl" })), npsSurvey, noErr,
			with(func(r *models.ResponseInput) { r.Language = "pl" })},
		{"language not a tag is dropped, the response kept", mutate(t, created, data(func(d map[string]any) { d["language"] = "polski" })), npsSurvey, noErr, base()},
		{"finished fixture: same response with comment", loadFixture(t, finished), npsSurvey, noErr,
			with(func(r *models.ResponseInput) { r.Comment = comment })},
		{"second question as ces with touchpoint", loadFixture(t, finished),
			map[string]models.FormMapping{surveyID: {Metric: "ces", Score: "q_ces_effort", Touchpoint: "in-app"}}, noErr,
			with(func(r *models.ResponseInput) { r.Metric, r.Score, r.Touchpoint = models.MetricCES, 3, "in-app" })},
		{"responseUpdated maps", mutate(t, finished, func(m map[string]any) { m["event"] = "responseUpdated" }), npsSurvey, noErr,
			with(func(r *models.ResponseInput) { r.Comment = comment })},
		{"score sent as a string", mutate(t, created, data(func(d map[string]any) { obj(d, "data")["q_nps_recommend"] = "6" })), npsSurvey, noErr, base()},
		{"contact without userId", mutate(t, created, data(func(d map[string]any) { delete(obj(d, "contact"), "userId") })), npsSurvey, noErr,
			with(func(r *models.ResponseInput) { r.Customer.ID = "cm1w2e8uj0004l608v7w8x9y0" })},
		{"anonymous response", mutate(t, created, data(func(d map[string]any) {
			d["contact"], d["contactAttributes"], d["meta"] = nil, map[string]any{}, map[string]any{}
		})), npsSurvey, noErr, with(func(r *models.ResponseInput) { r.Customer, r.Attributes = models.Customer{}, nil })},
		{"older person/personAttributes names", mutate(t, created, data(func(d map[string]any) {
			d["person"], d["personAttributes"] = d["contact"], d["contactAttributes"]
			delete(d, "contact")
			delete(d, "contactAttributes")
		})), npsSurvey, noErr, base()},
		{"score out of range is kept for Validate", mutate(t, created, data(func(d map[string]any) { obj(d, "data")["q_nps_recommend"] = 12 })), npsSurvey, noErr,
			with(func(r *models.ResponseInput) { r.Score = 12 })},
		{"other event ignored", []byte(`{"webhookId":"w","event":"testEndpoint"}`), npsSurvey, noErr, nil},
		{"unknown survey", loadFixture(t, created), map[string]models.FormMapping{"other": npsSurvey[surveyID]}, unmappableErr, nil},
		{"score question not answered yet", loadFixture(t, created),
			map[string]models.FormMapping{surveyID: {Metric: "ces", Score: "q_ces_effort"}}, unmappableErr, nil},
		{"score not a number", mutate(t, created, data(func(d map[string]any) { obj(d, "data")["q_nps_recommend"] = "Very likely" })), npsSurvey, unmappableErr, nil},
		{"score is a choice list", mutate(t, created, data(func(d map[string]any) { obj(d, "data")["q_nps_recommend"] = []any{"6"} })), npsSurvey, unmappableErr, nil},
		{"no response id", mutate(t, created, data(func(d map[string]any) { delete(d, "id") })), npsSurvey, unmappableErr, nil},
		{"not JSON", []byte(`event=responseCreated`), npsSurvey, malformedErr, nil},
		{"no event", []byte(`{"data":{"id":"r1","surveyId":"cm1x6q3tp0001l708k9m0n1p2"}}`), npsSurvey, malformedErr, nil},
		{"response event without data", []byte(`{"event":"responseCreated"}`), npsSurvey, malformedErr, nil},
		{"answers not an object", []byte(`{"event":"responseCreated","data":{"id":"r1","surveyId":"cm1x6q3tp0001l708k9m0n1p2","data":[6]}}`), npsSurvey, malformedErr, nil},
		{"bad createdAt", mutate(t, created, data(func(d map[string]any) { d["createdAt"] = "04/06/2024" })), npsSurvey, malformedErr, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MapFormbricks(tt.body, tt.surveys)
			checkMapped(t, got, err, tt.kind, tt.want)
		})
	}
}
