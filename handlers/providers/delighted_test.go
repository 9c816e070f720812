package providers

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
)

func TestMapDelighted(t *testing.T) {
	const created = "delighted_survey_response_created.json"
	const updated = "delighted_survey_response_updated.json"
	// What both fixtures describe: response 88412, an NPS 9 given at
	// 1717405200 (2024-06-03T09:00:00Z).
	base := func() *models.ResponseInput {
		return &models.ResponseInput{
			Source:      "delighted",
			ExternalID:  "88412",
			Metric:      models.MetricNPS,
			Score:       9,
			SubmittedAt: time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC),
			Customer:    models.Customer{ID: "104233", Name: "Mara Ostrowski", Email: "mara.ostrowski@example.com"},
			Attributes:  map[string]string{"customer_id": "cus_20931", "plan": "team", "locale": "en"},
		}
	}
	with := func(change func(r *models.ResponseInput)) *models.ResponseInput {
		r := base()
		change(r)
		return r
	}
	eventData := func(change func(d map[string]any)) func(map[string]any) {
		return func(m map[string]any) { change(obj(m, "event_data")) }
	}

	tests := []struct {
		name        string
		body        []byte
		wantIgnored bool
		kind        errKind
		want        *models.ResponseInput
	}{
		{"created fixture: score, no comment yet", loadFixture(t, created), false, noErr, base()},
		{"updated fixture: same response with comment", loadFixture(t, updated), false, noErr,
			with(func(r *models.ResponseInput) { r.Comment = "Setup took ten minutes and support answered the same day." })},
		{"unsubscribe ignored", []byte(`{"event_type":"unsubscribe.created","event_id":"x","event_data":{"person":{"id":"1","email":"a@example.com"}}}`), true, noErr, nil},
		{"unknown event ignored", []byte(`{"event_type":"survey_response.unsubscribed","event_data":{}}`), true, noErr, nil},
		{"survey_type csat", mutate(t, created, eventData(func(d map[string]any) { d["survey_type"], d["score"] = "csat", 2 })), false, noErr,
			with(func(r *models.ResponseInput) { r.Metric, r.Score = models.MetricCSAT, 2 })},
		{"survey_type ces", mutate(t, created, eventData(func(d map[string]any) { d["survey_type"], d["score"] = "ces", 3 })), false, noErr,
			with(func(r *models.ResponseInput) { r.Metric, r.Score = models.MetricCES, 3 })},
		{"survey_type customer_effort", mutate(t, created, eventData(func(d map[string]any) { d["survey_type"] = "customer_effort" })), false, noErr,
			with(func(r *models.ResponseInput) { r.Metric = models.MetricCES })},
		{"survey_type absent (older payloads) is nps", mutate(t, created, eventData(func(d map[string]any) { delete(d, "survey_type") })), false, noErr, base()},
		{"survey_type not scorable", mutate(t, created, eventData(func(d map[string]any) { d["survey_type"] = "smileys" })), false, unmappableErr, nil},
		{"score out of range is kept for Validate", mutate(t, created, eventData(func(d map[string]any) { d["score"] = 42 })), false, noErr,
			with(func(r *models.ResponseInput) { r.Score = 42 })},
		{"score null", mutate(t, created, eventData(func(d map[string]any) { d["score"] = nil })), false, unmappableErr, nil},
		{"score missing", mutate(t, created, eventData(func(d map[string]any) { delete(d, "score") })), false, unmappableErr, nil},
		{"score not a number", mutate(t, created, eventData(func(d map[string]any) { d["score"] = "nine" })), false, unmappableErr, nil},
		{"score not whole", mutate(t, created, eventData(func(d map[string]any) { d["score"] = 8.5 })), false, unmappableErr, nil},
		{"no response id", mutate(t, created, eventData(func(d map[string]any) { delete(d, "id") })), false, unmappableErr, nil},
		{"numeric ids", mutate(t, created, eventData(func(d map[string]any) {
			d["id"] = json.Number("88412")
			obj(d, "person")["id"] = json.Number("104233")
		})), false, noErr, base()},
		{"person as bare id (REST API form)", mutate(t, created, eventData(func(d map[string]any) { d["person"] = "104233" })), false, noErr,
			with(func(r *models.ResponseInput) { r.Customer = models.Customer{ID: "104233"} })},
		{"person phone_number", mutate(t, created, eventData(func(d map[string]any) { obj(d, "person")["phone_number"] = "+15555550100" })), false, noErr,
			with(func(r *models.ResponseInput) { r.Customer.Phone = "+15555550100" })},
		{"no person", mutate(t, created, eventData(func(d map[string]any) { d["person"] = nil })), false, noErr,
			with(func(r *models.ResponseInput) { r.Customer = models.Customer{} })},
		{"non-string properties stringified, null dropped", mutate(t, created, eventData(func(d map[string]any) {
			d["person_properties"] = map[string]any{
				"seats": json.Number("12"), "mrr": json.Number("99.5"), "trial": true, "owner": nil,
				"tags": []any{"a", "b"}, "address": map[string]any{"country": "EE"},
			}
		})), false, noErr, with(func(r *models.ResponseInput) {
			r.Attributes = map[string]string{"seats": "12", "mrr": "99.5", "trial": "true", "tags": `["a","b"]`, "address": `{"country":"EE"}`}
		})},
		{"no properties", mutate(t, created, eventData(func(d map[string]any) { d["person_properties"] = nil })), false, noErr,
			with(func(r *models.ResponseInput) { r.Attributes = nil })},
		{"no created_at", mutate(t, created, eventData(func(d map[string]any) { delete(d, "created_at") })), false, noErr,
			with(func(r *models.ResponseInput) { r.SubmittedAt = time.Time{}.UTC() })},
		{"not JSON", []byte(`{"event_type":`), false, malformedErr, nil},
		{"array body", []byte(`[]`), false, malformedErr, nil},
		{"no event_type", []byte(`{"event_data":{"id":"1","score":3}}`), false, malformedErr, nil},
		{"response event without event_data", []byte(`{"event_type":"survey_response.created"}`), false, malformedErr, nil},
		{"created_at not a number", mutate(t, created, eventData(func(d map[string]any) { d["created_at"] = "2024-06-03" })), false, malformedErr, nil},
		{"comment not a string", mutate(t, created, eventData(func(d map[string]any) { d["comment"] = 5 })), false, malformedErr, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ignored, err := MapDelighted(tt.body)
			if ignored != tt.wantIgnored {
				t.Fatalf("ignored = %v, want %v (err %v)", ignored, tt.wantIgnored, err)
			}
			checkMapped(t, got, err, tt.kind, tt.want)
		})
	}
}
