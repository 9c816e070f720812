package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what a response may hold.
const (
	MaxExternalIDLen = 200
	MaxCommentLen    = 10000
	MaxFieldLen      = 300
	MaxAttributes    = 100
)

// ResponseInput is a survey response as received, before it is stored.
type ResponseInput struct {
	Source      string
	ExternalID  string
	Metric      Metric
	Score       int
	Comment     string
	SubmittedAt time.Time
	Touchpoint  string
	Customer    Customer
	Attributes  map[string]string
	// Language is the customer's ISO 639-1 code ("et"), empty when unknown.
	// Left out of the content hash when empty, so responses stored before
	// it existed still count as identical repeats.
	Language string `json:",omitempty"`

	// SubmittedAtOmitted: the sender gave no submitted_at, so Normalize
	// filled in the time of receipt. A repeat then keeps the stored time
	// (the first receipt) and is compared as if it had sent it.
	SubmittedAtOmitted bool `json:"-"`
}

// FieldError names the field of bad input and what is wrong with it.
type FieldError struct {
	Field string
	Msg   string // English
	// ID and Args, when set, name the catalog message that says Msg in the
	// reader's language.
	ID   string
	Args []any
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Normalize fills defaults (source "api", metric "nps", submitted_at now:
// the first receipt, which a repeat keeps) and masks card numbers.
func (in *ResponseInput) Normalize(now time.Time) {
	in.Source = strings.TrimSpace(in.Source)
	if in.Source == "" {
		in.Source = "api"
	}
	in.ExternalID = strings.TrimSpace(in.ExternalID)
	in.Metric = Metric(strings.ToLower(strings.TrimSpace(string(in.Metric))))
	if in.Metric == "" {
		in.Metric = MetricNPS
	}
	if in.SubmittedAt.IsZero() {
		in.SubmittedAt, in.SubmittedAtOmitted = now, true
	}
	in.SubmittedAt = in.SubmittedAt.UTC().Truncate(time.Microsecond)
	in.Customer.Email = strings.TrimSpace(in.Customer.Email)
	if l, ok := NormalizeLanguage(in.Language); ok {
		in.Language = l
	}
	in.maskCards()
}

// maskCards replaces card numbers in the free text: a full card number is
// never stored, so it is masked before anything else sees it.
func (in *ResponseInput) maskCards() {
	in.Comment = MaskCardNumbers(in.Comment)
	in.Customer.Name = MaskCardNumbers(in.Customer.Name)
	in.Touchpoint = MaskCardNumbers(in.Touchpoint)
	for k, v := range in.Attributes {
		in.Attributes[k] = MaskCardNumbers(v)
	}
}

// Validate checks a normalised input; now bounds submitted_at.
func (in *ResponseInput) Validate(now time.Time) *FieldError {
	if in.ExternalID == "" {
		return &FieldError{Field: "external_id", Msg: "required"}
	}
	if utf8.RuneCountInString(in.ExternalID) > MaxExternalIDLen {
		return &FieldError{Field: "external_id", Msg: fmt.Sprintf("at most %d characters", MaxExternalIDLen)}
	}
	lo, hi, ok := in.Metric.ScoreRange()
	if !ok {
		return &FieldError{Field: "metric", Msg: fmt.Sprintf("must be nps, csat or ces, not %q", in.Metric)}
	}
	if in.Score < lo || in.Score > hi {
		return &FieldError{Field: "score", Msg: fmt.Sprintf("%s score must be an integer from %d to %d", in.Metric, lo, hi)}
	}
	if utf8.RuneCountInString(in.Comment) > MaxCommentLen {
		return &FieldError{Field: "comment", Msg: fmt.Sprintf("at most %d characters", MaxCommentLen)}
	}
	if in.Language != "" {
		if !IsLanguageCode(in.Language) {
			return &FieldError{Field: "language", Msg: fmt.Sprintf("must be an ISO 639-1 code such as \"et\" or \"pl-PL\", not %q", in.Language)}
		}
	}
	if e := in.Customer.Email; e != "" && !ValidEmail(e) {
		return &FieldError{Field: "customer.email", Msg: fmt.Sprintf("must be an email address such as kadri@example.com, not %q", truncate(e, 100))}
	}
	if !in.SubmittedAtOmitted {
		if fe := CheckSubmittedAt(in.SubmittedAt, now); fe != nil {
			return fe
		}
	}
	// The limits are the columns' sizes, so what validates always fits.
	texts := []struct {
		field, v string
		max      int
	}{
		{"external_id", in.ExternalID, MaxExternalIDLen}, {"source", in.Source, 100}, {"comment", in.Comment, MaxCommentLen},
		{"touchpoint", in.Touchpoint, 200}, {"customer.id", in.Customer.ID, 200}, {"customer.name", in.Customer.Name, MaxFieldLen},
		{"customer.email", in.Customer.Email, MaxFieldLen}, {"customer.phone", in.Customer.Phone, 100},
	}
	for _, t := range texts {
		if !utf8.ValidString(t.v) || strings.ContainsRune(t.v, 0) {
			return &FieldError{Field: t.field, Msg: "must be valid UTF-8 text"}
		}
		if utf8.RuneCountInString(t.v) > t.max {
			return &FieldError{Field: t.field, Msg: fmt.Sprintf("at most %d characters", t.max)}
		}
	}
	if len(in.Attributes) > MaxAttributes {
		return &FieldError{Field: "attributes", Msg: fmt.Sprintf("at most %d attributes", MaxAttributes)}
	}
	for k, v := range in.Attributes {
		if !utf8.ValidString(k) || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return &FieldError{Field: "attributes." + k, Msg: "must be valid UTF-8 text"}
		}
		if len(k) > 100 || utf8.RuneCountInString(v) > 1000 {
			return &FieldError{Field: "attributes." + k, Msg: "name at most 100 and value at most 1000 characters"}
		}
	}
	return nil
}

// contentHash identifies the content of a response as sent.
func (in *ResponseInput) contentHash() string {
	return in.contentHashAt(in.SubmittedAt)
}

// contentHashAt is the content hash had submitted_at been t: a repeat that
// omits it is compared at the stored time.
func (in *ResponseInput) contentHashAt(t time.Time) string {
	c := *in
	c.SubmittedAt = t.UTC().Truncate(time.Microsecond)
	b, _ := json.Marshal(&c) // a struct of strings, ints and a map: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
