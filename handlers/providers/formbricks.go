package providers

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/models"
)

type formbricksEvent struct {
	WebhookID string              `json:"webhookId"`
	Event     string              `json:"event"`
	Data      *formbricksResponse `json:"data"`
}

type formbricksResponse struct {
	ID                flexString                 `json:"id"`
	CreatedAt         string                     `json:"createdAt"`
	SurveyID          string                     `json:"surveyId"`
	Contact           *formbricksContact         `json:"contact"`
	ContactAttributes map[string]json.RawMessage `json:"contactAttributes"`
	// Person and PersonAttributes are the names before Formbricks renamed
	// people to contacts; read them when the new ones are absent.
	Person           *formbricksContact         `json:"person"`
	PersonAttributes map[string]json.RawMessage `json:"personAttributes"`
	Data             map[string]json.RawMessage `json:"data"`
	Meta             map[string]json.RawMessage `json:"meta"`
	// Language is the survey language shown, "default" for the survey's own.
	Language string `json:"language"`
}

type formbricksContact struct {
	ID     flexString `json:"id"`
	UserID flexString `json:"userId"`
}

// metaPrefix keeps Formbricks' collection metadata (url, country, browser)
// apart from the contact's own attributes, which keep their names.
const metaPrefix = "meta."

// MapFormbricks maps a Formbricks webhook body. responseCreated,
// responseUpdated and responseFinished all map to one response keyed by the
// response id (data.id): Formbricks creates the response at the first
// answer and updates it as the respondent goes on. Other events yield no
// responses and no error. surveys, keyed by survey id, names the question
// ids of score and comment. The customer id is the contact's userId (the
// application's own id) or else the Formbricks contact id; the contact
// attribute "email" becomes the customer's email, the other contact
// attributes Attributes, and meta fields Attributes named "meta.<path>"
// (meta.country, meta.userAgent.browser, ...). SubmittedAt is createdAt,
// which stays the same across the events of one response.
func MapFormbricks(body []byte, surveys map[string]models.FormMapping) ([]models.ResponseInput, error) {
	var ev formbricksEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("formbricks: decoding body: %w", err)
	}
	switch ev.Event {
	case "responseCreated", "responseUpdated", "responseFinished":
	case "":
		return nil, errors.New("formbricks: body has no event")
	default:
		return nil, nil
	}
	d := ev.Data
	if d == nil {
		return nil, fmt.Errorf("formbricks: %s without data", ev.Event)
	}
	m, ok := surveys[d.SurveyID]
	if d.SurveyID == "" || !ok {
		return nil, unmappable("formbricks survey %q has no mapping under sources.formbricks.surveys", d.SurveyID)
	}
	if d.ID == "" {
		return nil, unmappable("formbricks survey %s: response has no id", d.SurveyID)
	}
	what := fmt.Sprintf("formbricks survey %s response %s", d.SurveyID, d.ID)

	if m.Score == "" {
		return nil, unmappable("%s: mapping names no score question", what)
	}
	rawScore, ok := d.Data[m.Score]
	if !ok {
		return nil, unmappable("%s: no answer to score question %q", what, m.Score)
	}
	score, err := parseScore(rawScore, what)
	if err != nil {
		return nil, err
	}
	r := models.ResponseInput{
		Source:     SourceFormbricks,
		ExternalID: string(d.ID),
		Metric:     models.Metric(m.Metric),
		Score:      score,
		Touchpoint: m.Touchpoint,
		Language:   language(d.Language),
	}
	if m.Comment != "" {
		if raw, ok := d.Data[m.Comment]; ok {
			// Open-text answers are strings; a comment question of another
			// type (choices) is kept as its JSON text rather than dropped.
			if r.Comment, _, err = stringify(raw); err != nil {
				return nil, fmt.Errorf("%s: comment: %w", what, err)
			}
		}
	}
	if d.CreatedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, d.CreatedAt)
		if err != nil {
			return nil, fmt.Errorf("%s: createdAt: %w", what, err)
		}
		r.SubmittedAt = t.UTC()
	}

	contact, attrs := d.Contact, d.ContactAttributes
	if contact == nil {
		contact = d.Person
	}
	if attrs == nil {
		attrs = d.PersonAttributes
	}
	if contact != nil {
		r.Customer.ID = string(contact.UserID)
		if r.Customer.ID == "" {
			r.Customer.ID = string(contact.ID)
		}
	}
	if raw, ok := attrs["email"]; ok {
		if r.Customer.Email, _, err = stringify(raw); err != nil {
			return nil, fmt.Errorf("%s: contact email: %w", what, err)
		}
	}
	if r.Attributes, err = addAttributes(nil, attrs, "email"); err != nil {
		return nil, fmt.Errorf("%s: contactAttributes: %w", what, err)
	}
	if r.Attributes, err = flattenInto(r.Attributes, metaPrefix, d.Meta); err != nil {
		return nil, fmt.Errorf("%s: meta: %w", what, err)
	}
	return []models.ResponseInput{r}, nil
}

// flattenInto adds obj's members to attrs as prefix+key, descending into
// nested objects with dotted names so each value is routable on its own.
func flattenInto(attrs map[string]string, prefix string, obj map[string]json.RawMessage) (map[string]string, error) {
	for k, v := range obj {
		name := prefix + k
		if t := strings.TrimSpace(string(v)); strings.HasPrefix(t, "{") {
			var sub map[string]json.RawMessage
			if err := json.Unmarshal(v, &sub); err != nil {
				return attrs, fmt.Errorf("%s: %w", name, err)
			}
			var err error
			if attrs, err = flattenInto(attrs, name+".", sub); err != nil {
				return attrs, err
			}
			continue
		}
		s, ok, err := stringify(v)
		if err != nil {
			return attrs, fmt.Errorf("%s: %w", name, err)
		}
		if !ok {
			continue
		}
		if attrs == nil {
			attrs = make(map[string]string)
		}
		attrs[name] = s
	}
	return attrs, nil
}
