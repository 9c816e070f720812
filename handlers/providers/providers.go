// Package providers verifies and translates the webhooks of survey tools
// (Delighted, Typeform, Formbricks, and Standard Webhooks senders) into
// models.ResponseInput values.
//
// Its verifying and mapping are pure: they see raw header and body bytes and
// return values or errors, so the HTTP handlers decide status codes,
// dead-lettering and storage. Replay alone uses the store: it maps the kept
// dead letters again and stores those that now map.
// Errors fall into three kinds the caller tells apart:
//   - the signature errors of Verify* (answer 401);
//   - *UnmappableError: the payload is well-formed but cannot become a
//     response (unknown form, no score); store it in the dead letters with
//     its Reason and answer 2xx so the sender does not retry forever;
//   - any other error: the body is not JSON or not the provider's shape
//     (answer 400).
package providers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cxloop/cxloop/models"
)

// Source names stored in models.ResponseInput.Source by the mappers.
const (
	SourceDelighted  = "delighted"
	SourceTypeform   = "typeform"
	SourceFormbricks = "formbricks"
)

// UnmappableError reports a well-formed payload that cannot be turned into a
// response, such as a form without a configured mapping or a missing score.
type UnmappableError struct {
	Reason string
}

func (e *UnmappableError) Error() string { return "unmappable payload: " + e.Reason }

// unmappable builds an *UnmappableError from a format string.
func unmappable(format string, args ...any) error {
	return &UnmappableError{Reason: fmt.Sprintf(format, args...)}
}

// IsUnmappable reports whether err is or wraps an *UnmappableError, and
// returns it.
func IsUnmappable(err error) (*UnmappableError, bool) {
	var u *UnmappableError
	ok := errors.As(err, &u)
	return u, ok
}

// language is a provider's language value as a response's, or "" when it
// names none ("default", empty, not a language tag): a missing language
// never costs the response.
func language(v string) string {
	l, ok := models.NormalizeLanguage(v)
	if !ok {
		return ""
	}
	return l
}

// parseScore reads an integer score from a JSON value. Numbers written as
// strings ("9") are accepted because some question types (choice lists)
// deliver them that way; anything else is unmappable, not malformed, since
// the payload itself is valid.
func parseScore(raw json.RawMessage, what string) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, unmappable("%s: no score", what)
	}
	text := string(raw)
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("%s: score: %w", what, err)
		}
		text = strings.TrimSpace(s)
	} else if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, unmappable("%s: score %s is not a number", what, raw)
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		if n < math.MinInt32 || n > math.MaxInt32 {
			return 0, unmappable("%s: score %s is out of range", what, text)
		}
		return int(n), nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, unmappable("%s: score %q is not a number", what, text)
	}
	// 8.0 is a whole score; 7.5 is not one any metric allows.
	if f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, unmappable("%s: score %s is not a whole number", what, text)
	}
	return int(f), nil
}

// stringify renders a JSON value as attribute text: strings as they are,
// numbers and booleans as written, objects and arrays as compact JSON.
// ok is false for null, which is left out rather than stored as "null".
func stringify(raw json.RawMessage) (s string, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, err
		}
		return s, true, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", false, err
	}
	return b.String(), true, nil
}

// addAttributes copies a JSON object's members into attrs (allocating it on
// first use), skipping nulls and the keys in skip.
func addAttributes(attrs map[string]string, obj map[string]json.RawMessage, skip ...string) (map[string]string, error) {
	for k, v := range obj {
		if containsFold(skip, k) {
			continue
		}
		s, ok, err := stringify(v)
		if err != nil {
			return attrs, fmt.Errorf("attribute %q: %w", k, err)
		}
		if !ok {
			continue
		}
		if attrs == nil {
			attrs = make(map[string]string, len(obj))
		}
		attrs[k] = s
	}
	return attrs, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// flexString accepts a JSON string or number, because ids that the docs show
// as strings ("88412") are numbers in some API versions and senders.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string or number, got %s", b)
		}
		*f = flexString(n.String())
	}
	return nil
}
