package models

import (
	"html"
	"strings"
	"time"
	"unicode/utf8"
)

// Case event kinds written by the privacy operations.
const (
	EventErased        = "erased"         // a customer's data was removed from the case
	EventContactViewed = "contact_viewed" // someone opened "Show contact"
)

// Erasure reasons.
const (
	ErasureRequest          = "request"           // cxloop erase: the customer asked
	ErasureContactRetention = "contact_retention" // privacy.contact_retention passed
	ErasureCommentRetention = "comment_retention" // privacy.comment_retention passed
)

// Erasure records one erasure: who, when, why and how much, never what.
type Erasure struct {
	ID        int64     `gorm:"primaryKey"`
	At        time.Time `gorm:"not null;index"`
	Actor     string    `gorm:"size:300;not null"`
	Reason    string    `gorm:"size:40;not null"`
	Responses int       `gorm:"not null"`
	Cases     int       `gorm:"not null"`
}

// erasedHash replaces the content hash of an erased response: the hash of
// personal data is itself personal data.
const erasedHash = "erased"

// ErasureReport says what an erasure removed (or, dry, would remove).
type ErasureReport struct {
	Responses, Cases, Events, Messages, DeadLetters, Digests int
	ResponseIDs, CaseIDs                                     []int64
	// DigestMonths are the months whose stored digest quoted the customer
	// and was dropped: cxloop digest --month renders them again.
	DigestMonths []string
}

// customerKey is a customer as a person names them: an id, an email or a
// phone number, normalised.
type customerKey struct {
	id, email, phone string
}

func newCustomerKey(s string) customerKey {
	s = strings.TrimSpace(s)
	k := customerKey{id: s}
	if strings.Contains(s, "@") {
		k.email = strings.ToLower(s)
	}
	if d := onlyDigits(s); len(d) >= 7 && strings.Trim(s, "+0123456789 ()-./") == "" {
		k.phone = d
	}
	return k
}

// samePhone compares digits, allowing one side to carry a country prefix
// the other leaves out (+372 5555 0000 and 5555 0000).
func samePhone(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	return a == b || len(b) >= 7 && strings.HasSuffix(a, b)
}

type contactRow struct {
	ID            int64
	CustomerID    string
	CustomerEmail string
	CustomerPhone string
}

func matchesAny(r contactRow, keys []customerKey) bool {
	email := strings.ToLower(strings.TrimSpace(r.CustomerEmail))
	phone := onlyDigits(r.CustomerPhone)
	for _, k := range keys {
		if k.id != "" && r.CustomerID == k.id || k.email != "" && email == k.email || samePhone(k.phone, phone) {
			return true
		}
	}
	return false
}

// erasure selects what an erasure removes.
type erasure struct {
	contact bool // customer id, name, email, phone, consent
	comment bool // the comment
	trail   bool // case notes and resolutions, outbox texts, stored digests quoting the customer
	reason  string
	actor   string
}

// erasedLine is the thread line of a refreshed card, without the data.
var erasedLine = map[string]string{
	ErasureRequest:          "erased the customer's personal data on request",
	ErasureContactRetention: "removed the customer's contact details after the retention period",
	ErasureCommentRetention: "removed the comment after the retention period",
}

// holds reports whether r still has something this erasure removes.
func (e erasure) holds(r *Response) bool {
	contact := r.CustomerID != "" || r.CustomerName != "" || r.CustomerEmail != "" || r.CustomerPhone != ""
	return e.contact && contact || e.comment && r.Comment != "" || e.trail && r.ContentHash != erasedHash
}

// scrubAttributes keeps the attributes that segment (country, product…),
// dropping any that identify the customer.
func scrubAttributes(attrs map[string]string, r *Response) map[string]string {
	out := map[string]string{}
	for k, v := range attrs {
		lk := strings.ToLower(k)
		identifying := strings.Contains(lk, "email") && lk != "employee_email" || strings.Contains(lk, "phone") ||
			strings.Contains(lk, "name") || lk == "id" || strings.HasSuffix(lk, "_id") || strings.HasSuffix(lk, ".id") ||
			len(FindPersonalData(v)) > 0 || v == r.CustomerID || strings.EqualFold(v, r.CustomerEmail)
		if !identifying {
			out[k] = v
		}
	}
	return out
}

// fingerprints are the strings by which a copy of the customer's data is
// recognised in free text: stored digests, raw dead-letter bodies.
type fingerprints struct{ needles []string }

func (f *fingerprints) add(r *Response, e erasure) {
	if e.contact {
		for _, v := range []string{r.CustomerEmail, r.CustomerPhone, r.CustomerName} {
			if v = strings.TrimSpace(v); utf8.RuneCountInString(v) >= 3 {
				f.needles = append(f.needles, strings.ToLower(v))
			}
		}
		if r.CustomerID != "" {
			f.needles = append(f.needles, strings.ToLower(`"`+r.CustomerID+`"`))
		}
	}
	if e.comment {
		// A digest quotes the start of a comment, redacted and on one line.
		c := []rune(RedactPersonalData(strings.Join(strings.Fields(r.Comment), " ")))
		if len(c) >= 12 {
			if len(c) > 40 {
				c = c[:40]
			}
			f.needles = append(f.needles, strings.ToLower(string(c)))
		}
	}
}

func (f *fingerprints) in(text string) bool {
	if len(f.needles) == 0 || text == "" {
		return false
	}
	lt := strings.ToLower(text)
	for _, n := range f.needles {
		if strings.Contains(lt, n) || strings.Contains(lt, strings.ToLower(html.EscapeString(n))) {
			return true
		}
	}
	return false
}

// RetentionReport says what one retention pass removed.
type RetentionReport struct {
	Contact, Comment ErasureReport
}

// retentionBatch bounds one transaction of a retention pass.
const retentionBatch = 500

func (r *ErasureReport) add(o ErasureReport) {
	r.Responses += o.Responses
	r.Cases += o.Cases
	r.Events += o.Events
	r.Messages += o.Messages
	r.DeadLetters += o.DeadLetters
	r.Digests += o.Digests
	r.ResponseIDs = append(r.ResponseIDs, o.ResponseIDs...)
	r.CaseIDs = append(r.CaseIDs, o.CaseIDs...)
	r.DigestMonths = append(r.DigestMonths, o.DigestMonths...)
}

// CustomerExport is everything stored about one customer, for a
// subject-access request.
type CustomerExport struct {
	Query       string          `json:"query"`
	Responses   []Response      `json:"responses"`
	Cases       []Case          `json:"cases"`
	Events      []CaseEvent     `json:"events"`
	Messages    []OutboxMessage `json:"messages"`
	DeadLetters []ExportedBody  `json:"dead_letters"`
}

// ExportedBody is a dead letter as received.
type ExportedBody struct {
	ID         int64     `json:"id"`
	Provider   string    `json:"provider"`
	ReceivedAt time.Time `json:"received_at"`
	Body       string    `json:"body"`
}

// AuditEntry is one line of the audit: a case event or an erasure.
type AuditEntry struct {
	At        time.Time `json:"at"`
	CaseID    int64     `json:"case_id,omitempty"`
	Actor     string    `json:"actor"`
	Kind      string    `json:"kind"`
	FromState string    `json:"from_state,omitempty"`
	ToState   string    `json:"to_state,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

// AuditQuery selects audit entries.
type AuditQuery struct {
	CaseID int64     // only this case's events (erasures name no case)
	Since  time.Time // only from then on
}
