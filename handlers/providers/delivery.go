package providers

import (
	"fmt"
	"time"

	"github.com/cxloop/cxloop/models"
)

// Mappings are the forms and surveys, from the sources section of the YAML,
// that Typeform and Formbricks deliveries are mapped with.
type Mappings struct {
	TypeformForms     map[string]models.FormMapping
	FormbricksSurveys map[string]models.FormMapping
}

// Delivery is a verified provider body, mapped.
type Delivery struct {
	Inputs  []models.ResponseInput // validated, ready to store
	Ignored bool                   // an event that carries no response
	// Reason, when set, says why the body cannot become a response: it goes
	// to the dead letters. Malformed: the body is not the provider's shape.
	Reason    string
	Malformed bool
}

// Map maps a verified body of provider with the current mappings and
// validates the result. received fills a missing submitted_at (the time the
// delivery arrived, also on replay); now bounds it.
func (m Mappings) Map(provider string, body []byte, received, now time.Time) Delivery {
	var (
		ins     []models.ResponseInput
		ignored bool
		err     error
	)
	switch provider {
	case SourceDelighted:
		ins, ignored, err = MapDelighted(body)
	case SourceTypeform:
		ins, err = MapTypeform(body, m.TypeformForms)
	case SourceFormbricks:
		ins, err = MapFormbricks(body, m.FormbricksSurveys)
	default:
		return Delivery{Reason: fmt.Sprintf("no webhook mapper for provider %q", provider), Malformed: true}
	}
	if err != nil {
		if u, ok := IsUnmappable(err); ok {
			return Delivery{Reason: u.Reason}
		}
		return Delivery{Reason: err.Error(), Malformed: true}
	}
	if ignored || len(ins) == 0 {
		return Delivery{Ignored: true}
	}
	seen := make(map[responseKey]bool, len(ins))
	for i := range ins {
		in := &ins[i]
		in.Normalize(received)
		// A survey tool passes on what the customer typed: an address that
		// is none only means no email can reach them, and must not keep the
		// score out of the loop (a replay would fail the same way forever).
		if e := in.Customer.Email; e != "" && !models.ValidEmail(e) {
			in.Customer.Email = ""
		}
		if fe := in.Validate(now); fe != nil {
			return Delivery{Reason: fmt.Sprintf("%s response %s: %s", provider, in.ExternalID, fe.Error())}
		}
		k := responseKey{in.Source, in.ExternalID}
		if seen[k] {
			return Delivery{Reason: fmt.Sprintf("%s response %s appears twice in one delivery", provider, in.ExternalID)}
		}
		seen[k] = true
	}
	return Delivery{Inputs: ins}
}

type responseKey struct{ source, externalID string }
