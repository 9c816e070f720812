package providers

import (
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
)

func TestMapTypeform(t *testing.T) {
	const fixture = "typeform_form_response_nps.json"
	const formID = "Vb3kQx9T"
	// The mapping DESIGN.md's sources example gives for this form.
	npsForm := map[string]models.FormMapping{formID: {Metric: "nps", Score: "nps_recommend", Comment: "nps_reason", Touchpoint: "web"}}
	base := func() *models.ResponseInput {
		return &models.ResponseInput{
			Source:      "typeform",
			ExternalID:  "c4e81f0b9a2d47e6b3f5a7c9d1e3f5a7",
			Metric:      models.MetricNPS,
			Score:       8,
			Comment:     "Reports are great, but exporting to CSV is slow.",
			SubmittedAt: time.Date(2024, 6, 3, 9, 13, 27, 0, time.UTC),
			Touchpoint:  "web",
			Customer:    models.Customer{Email: "li.wen@example.org"},
			Attributes:  map[string]string{"user_id": "u_58213", "account_id": "acc_771"},
		}
	}
	with := func(change func(r *models.ResponseInput)) *models.ResponseInput {
		r := base()
		change(r)
		return r
	}
	resp := func(change func(fr map[string]any)) func(map[string]any) {
		return func(m map[string]any) { change(obj(m, "form_response")) }
	}
	answer := func(i int) func(fr map[string]any) map[string]any {
		return func(fr map[string]any) map[string]any { return fr["answers"].([]any)[i].(map[string]any) }
	}

	tests := []struct {
		name  string
		body  []byte
		forms map[string]models.FormMapping
		kind  errKind
		want  *models.ResponseInput
	}{
		{"fixture, mapped by field ref", loadFixture(t, fixture), npsForm, noErr, base()},
		{"language from the hidden field the mapping names", mutate(t, fixture, resp(func(fr map[string]any) {
			obj(fr, "hidden")["lang"] = "ET"
		})), map[string]models.FormMapping{formID: {Metric: "nps", Score: "nps_recommend", Comment: "nps_reason", Touchpoint: "web", Language: "lang"}}, noErr,
			with(func(r *models.ResponseInput) { r.Language = "et" })},
		{"hidden language field not named stays an attribute", mutate(t, fixture, resp(func(fr map[string]any) {
			obj(fr, "hidden")["lang"] = "et"
		})), npsForm, noErr, with(func(r *models.ResponseInput) { r.Attributes["lang"] = "et" })},
		{"mapped by field id", loadFixture(t, fixture),
			map[string]models.FormMapping{formID: {Metric: "nps", Score: "Nq8LmZ2pXc4R", Comment: "Rt5YwB7kHd1S", Touchpoint: "web"}}, noErr, base()},
		{"rating question as csat, no comment mapped", loadFixture(t, fixture),
			map[string]models.FormMapping{formID: {Metric: "csat", Score: "csat_support"}}, noErr,
			with(func(r *models.ResponseInput) {
				r.Metric, r.Score, r.Comment, r.Touchpoint = models.MetricCSAT, 4, "", ""
			})},
		{"metric left empty for Normalize", loadFixture(t, fixture),
			map[string]models.FormMapping{formID: {Score: "nps_recommend", Comment: "nps_reason", Touchpoint: "web"}}, noErr,
			with(func(r *models.ResponseInput) { r.Metric = "" })},
		{"field type nps accepted", mutate(t, fixture, resp(func(fr map[string]any) {
			obj(answer(0)(fr), "field")["type"] = "nps"
		})), npsForm, noErr, base()},
		{"field type from definition when answer omits it", mutate(t, fixture, resp(func(fr map[string]any) {
			delete(obj(answer(0)(fr), "field"), "type")
		})), npsForm, noErr, base()},
		{"number question accepted", mutate(t, fixture, resp(func(fr map[string]any) {
			obj(answer(0)(fr), "field")["type"] = "number"
		})), npsForm, noErr, base()},
		{"response_id when token absent", mutate(t, fixture, resp(func(fr map[string]any) {
			delete(fr, "token")
			fr["response_id"] = "r_alt"
		})), npsForm, noErr, with(func(r *models.ResponseInput) { r.ExternalID = "r_alt" })},
		{"token preferred over response_id", mutate(t, fixture, resp(func(fr map[string]any) {
			fr["response_id"] = "r_alt"
		})), npsForm, noErr, base()},
		{"comment not answered", mutate(t, fixture, resp(func(fr map[string]any) {
			fr["answers"] = fr["answers"].([]any)[:1]
		})), npsForm, noErr, with(func(r *models.ResponseInput) { r.Comment = "" })},
		{"no hidden fields", mutate(t, fixture, resp(func(fr map[string]any) { delete(fr, "hidden") })), npsForm, noErr,
			with(func(r *models.ResponseInput) { r.Customer.Email, r.Attributes = "", nil })},
		{"score out of range is kept for Validate", mutate(t, fixture, resp(func(fr map[string]any) {
			answer(0)(fr)["number"] = 11
		})), npsForm, noErr, with(func(r *models.ResponseInput) { r.Score = 11 })},
		{"other event type ignored", []byte(`{"event_id":"x","event_type":"form_response_partial","form_response":{}}`), npsForm, noErr, nil},
		{"unknown form", loadFixture(t, fixture), map[string]models.FormMapping{"other": npsForm[formID]}, unmappableErr, nil},
		{"no mappings at all", loadFixture(t, fixture), nil, unmappableErr, nil},
		{"score question not answered", mutate(t, fixture, resp(func(fr map[string]any) {
			fr["answers"] = fr["answers"].([]any)[1:]
		})), npsForm, unmappableErr, nil},
		{"score mapped to a text question", loadFixture(t, fixture),
			map[string]models.FormMapping{formID: {Metric: "nps", Score: "nps_reason"}}, unmappableErr, nil},
		{"score answer not a number", mutate(t, fixture, resp(func(fr map[string]any) {
			a := answer(0)(fr)
			delete(a, "number")
			a["type"], a["text"] = "text", "eight"
		})), npsForm, unmappableErr, nil},
		{"score not whole", mutate(t, fixture, resp(func(fr map[string]any) { answer(0)(fr)["number"] = 7.5 })), npsForm, unmappableErr, nil},
		{"mapping without score", loadFixture(t, fixture), map[string]models.FormMapping{formID: {Metric: "nps"}}, unmappableErr, nil},
		{"no token", mutate(t, fixture, resp(func(fr map[string]any) { delete(fr, "token") })), npsForm, unmappableErr, nil},
		{"not JSON", []byte(`<html>`), npsForm, malformedErr, nil},
		{"no form_response", []byte(`{"event_type":"form_response"}`), npsForm, malformedErr, nil},
		{"answers not a list", []byte(`{"event_type":"form_response","form_response":{"form_id":"Vb3kQx9T","answers":{}}}`), npsForm, malformedErr, nil},
		{"bad submitted_at", mutate(t, fixture, resp(func(fr map[string]any) { fr["submitted_at"] = "yesterday" })), npsForm, malformedErr, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MapTypeform(tt.body, tt.forms)
			checkMapped(t, got, err, tt.kind, tt.want)
		})
	}
}
