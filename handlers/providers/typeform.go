package providers

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/models"
)

type typeformEvent struct {
	EventID      string        `json:"event_id"`
	EventType    string        `json:"event_type"`
	FormResponse *typeformResp `json:"form_response"`
}

type typeformResp struct {
	FormID      string                     `json:"form_id"`
	Token       string                     `json:"token"`
	ResponseID  string                     `json:"response_id"`
	SubmittedAt string                     `json:"submitted_at"`
	Hidden      map[string]json.RawMessage `json:"hidden"`
	Definition  struct {
		Fields []typeformField `json:"fields"`
	} `json:"definition"`
	Answers []typeformAnswer `json:"answers"`
}

type typeformField struct {
	ID   string `json:"id"`
	Ref  string `json:"ref"`
	Type string `json:"type"`
}

type typeformAnswer struct {
	Type   string          `json:"type"`
	Number json.RawMessage `json:"number"`
	Text   *string         `json:"text"`
	Field  typeformField   `json:"field"`
}

// isTypeformScoreField reports whether a question type's number answer is a
// score. "nps" is not documented but accepted in case newer forms use it.
func isTypeformScoreField(fieldType string) bool {
	switch fieldType {
	case "opinion_scale", "nps", "rating", "number":
		return true
	}
	return false
}

// MapTypeform maps a Typeform form_response webhook body, using forms (keyed
// by form id) to find the score and comment answers by field ref or id.
// Hidden fields become Attributes, except a hidden "email", which becomes
// the customer's email (contact details belong in Customer, which is shown
// only to those allowed to see it). ExternalID is the response token, the
// id Typeform documents; response_id is the fallback when token is absent.
// Events other than form_response yield no responses and no error: Typeform
// asks receivers to tolerate event types they do not know.
func MapTypeform(body []byte, forms map[string]models.FormMapping) ([]models.ResponseInput, error) {
	var ev typeformEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("typeform: decoding body: %w", err)
	}
	if ev.EventType != "" && ev.EventType != "form_response" {
		return nil, nil
	}
	fr := ev.FormResponse
	if fr == nil {
		return nil, errors.New("typeform: body has no form_response")
	}
	m, ok := forms[fr.FormID]
	if fr.FormID == "" || !ok {
		return nil, unmappable("typeform form %q has no mapping under sources.typeform.forms", fr.FormID)
	}
	id := fr.Token
	if id == "" {
		id = fr.ResponseID
	}
	if id == "" {
		return nil, unmappable("typeform form %s: response has no token", fr.FormID)
	}
	what := fmt.Sprintf("typeform form %s response %s", fr.FormID, id)

	score, err := typeformScore(fr, m.Score, what)
	if err != nil {
		return nil, err
	}
	r := models.ResponseInput{
		Source:     SourceTypeform,
		ExternalID: id,
		Metric:     models.Metric(m.Metric),
		Score:      score,
		Touchpoint: m.Touchpoint,
	}
	if m.Comment != "" {
		if a := findTypeformAnswer(fr.Answers, m.Comment); a != nil && a.Text != nil {
			r.Comment = *a.Text
		}
	}
	if fr.SubmittedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, fr.SubmittedAt)
		if err != nil {
			return nil, fmt.Errorf("%s: submitted_at: %w", what, err)
		}
		r.SubmittedAt = t.UTC()
	}
	for k, v := range fr.Hidden {
		switch {
		case strings.EqualFold(k, "email"):
			if r.Customer.Email, _, err = stringify(v); err != nil {
				return nil, fmt.Errorf("%s: hidden %q: %w", what, k, err)
			}
		case m.Language != "" && strings.EqualFold(k, m.Language):
			lang, _, err := stringify(v)
			if err != nil {
				return nil, fmt.Errorf("%s: hidden %q: %w", what, k, err)
			}
			r.Language = language(lang)
		}
	}
	if r.Attributes, err = addAttributes(nil, fr.Hidden, "email", m.Language); err != nil {
		return nil, fmt.Errorf("%s: hidden: %w", what, err)
	}
	return []models.ResponseInput{r}, nil
}

// typeformScore finds the answer to the score question and reads its number.
func typeformScore(fr *typeformResp, ref, what string) (int, error) {
	if ref == "" {
		return 0, unmappable("%s: mapping names no score field", what)
	}
	a := findTypeformAnswer(fr.Answers, ref)
	if a == nil {
		// Typeform leaves unanswered questions out of answers.
		return 0, unmappable("%s: no answer to score field %q", what, ref)
	}
	fieldType := a.Field.Type
	if fieldType == "" {
		// Older payloads may omit the answer's field type; the form definition has it.
		for _, f := range fr.Definition.Fields {
			if f.ID == a.Field.ID || (f.Ref != "" && f.Ref == a.Field.Ref) {
				fieldType = f.Type
				break
			}
		}
	}
	if fieldType != "" && !isTypeformScoreField(fieldType) {
		return 0, unmappable("%s: score field %q is a %s question, not a scale", what, ref, fieldType)
	}
	if a.Type != "number" {
		return 0, unmappable("%s: answer to score field %q is a %s, not a number", what, ref, a.Type)
	}
	return parseScore(a.Number, what)
}

// findTypeformAnswer returns the answer whose field ref or id is key. Refs
// are tried first: they are user-set and survive form edits, ids are opaque.
func findTypeformAnswer(answers []typeformAnswer, key string) *typeformAnswer {
	for i := range answers {
		if answers[i].Field.Ref == key {
			return &answers[i]
		}
	}
	for i := range answers {
		if answers[i].Field.ID == key {
			return &answers[i]
		}
	}
	return nil
}
