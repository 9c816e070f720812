package providers

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/models"
)

// delightedEvent is a Delighted webhook body. Optional parts stay raw so that
// older payloads (no survey_type) and API variants (person as an id string)
// decode.
type delightedEvent struct {
	EventType string             `json:"event_type"`
	EventID   string             `json:"event_id"`
	EventData *delightedResponse `json:"event_data"`
}

type delightedResponse struct {
	ID               flexString                 `json:"id"`
	Person           json.RawMessage            `json:"person"`
	SurveyType       *string                    `json:"survey_type"`
	Score            json.RawMessage            `json:"score"`
	Comment          *string                    `json:"comment"`
	CreatedAt        *int64                     `json:"created_at"`
	PersonProperties map[string]json.RawMessage `json:"person_properties"`
}

type delightedPerson struct {
	ID          flexString `json:"id"`
	Name        string     `json:"name"`
	Email       string     `json:"email"`
	Phone       string     `json:"phone"`
	PhoneNumber string     `json:"phone_number"` // the name Delighted's people API uses
}

// MapDelighted maps a Delighted webhook body. survey_response.created and
// survey_response.updated become one response keyed by the response id
// (event_data.id), so the later event with the comment updates the first;
// any other event (unsubscribe.created, ...) returns ignored=true and no
// error. SubmittedAt is event_data.created_at, the time the score was given,
// which stays the same across updates.
func MapDelighted(body []byte) (in []models.ResponseInput, ignored bool, err error) {
	var ev delightedEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, false, fmt.Errorf("delighted: decoding body: %w", err)
	}
	switch ev.EventType {
	case "survey_response.created", "survey_response.updated":
	case "":
		return nil, false, errors.New("delighted: body has no event_type")
	default:
		return nil, true, nil
	}
	d := ev.EventData
	if d == nil {
		return nil, false, fmt.Errorf("delighted: %s without event_data", ev.EventType)
	}
	if d.ID == "" {
		return nil, false, unmappable("delighted %s: event_data has no response id", ev.EventType)
	}
	what := fmt.Sprintf("delighted response %s", d.ID)

	metric, err := delightedMetric(d.SurveyType, what)
	if err != nil {
		return nil, false, err
	}
	score, err := parseScore(d.Score, what)
	if err != nil {
		return nil, false, err
	}
	r := models.ResponseInput{
		Source:     SourceDelighted,
		ExternalID: string(d.ID),
		Metric:     metric,
		Score:      score,
	}
	if d.Comment != nil {
		r.Comment = *d.Comment
	}
	if d.CreatedAt != nil {
		r.SubmittedAt = time.Unix(*d.CreatedAt, 0).UTC()
	}
	if r.Customer, err = delightedCustomer(d.Person); err != nil {
		return nil, false, fmt.Errorf("%s: person: %w", what, err)
	}
	if r.Attributes, err = addAttributes(nil, d.PersonProperties); err != nil {
		return nil, false, fmt.Errorf("%s: person_properties: %w", what, err)
	}
	return []models.ResponseInput{r}, false, nil
}

// delightedMetric maps survey_type. Absent means NPS: payloads from before
// Delighted offered other survey types carry no survey_type. Types the
// models cannot score (eNPS, smileys, thumbs, ...) are unmappable rather
// than guessed.
func delightedMetric(surveyType *string, what string) (models.Metric, error) {
	if surveyType == nil {
		return models.MetricNPS, nil
	}
	switch t := strings.ToLower(strings.TrimSpace(*surveyType)); t {
	case "", "nps":
		return models.MetricNPS, nil
	case "csat":
		return models.MetricCSAT, nil
	case "ces", "customer_effort":
		return models.MetricCES, nil
	default:
		return "", unmappable("%s: survey_type %q is not nps, csat or ces", what, *surveyType)
	}
}

// delightedCustomer reads person, which webhooks send as an object and the
// REST API as a bare id.
func delightedCustomer(raw json.RawMessage) (models.Customer, error) {
	var c models.Customer
	if len(raw) == 0 || string(raw) == "null" {
		return c, nil
	}
	var id flexString
	if err := json.Unmarshal(raw, &id); err == nil {
		c.ID = string(id)
		return c, nil
	}
	var p delightedPerson
	if err := json.Unmarshal(raw, &p); err != nil {
		return c, err
	}
	c.ID, c.Name, c.Email, c.Phone = string(p.ID), p.Name, p.Email, p.Phone
	if c.Phone == "" {
		c.Phone = p.PhoneNumber
	}
	return c, nil
}
