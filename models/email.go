package models

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CustomerEmail is an outbox message's payload for KindCustomerEmail: what
// the delivery worker needs to write the email.
type CustomerEmail struct {
	Purpose  string `json:"purpose"`
	To       string `json:"to"`
	ToName   string `json:"to_name,omitempty"`
	ReplyTo  string `json:"reply_to,omitempty"` // the owner, who answers the customer
	Language string `json:"language"`
	Subject  string `json:"subject"`
	Body     string `json:"body"`
	// ImprovementID is set for fix_done: the follow-up closed on delivery.
	ImprovementID int64 `json:"improvement_id,omitempty"`
}

// ParseCustomerEmail reads an email message's payload.
func ParseCustomerEmail(m *OutboxMessage) (CustomerEmail, error) {
	var e CustomerEmail
	if err := json.Unmarshal([]byte(m.Text), &e); err != nil {
		return e, fmt.Errorf("email message %d: %w", m.ID, err)
	}
	return e, nil
}

func emailMessage(c *Case, r *Response, e CustomerEmail) (OutboxMessage, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return OutboxMessage{}, fmt.Errorf("encode email: %w", err)
	}
	return OutboxMessage{Kind: KindCustomerEmail, Transport: TransportEmail, Recipient: e.To, CaseID: c.ID, ResponseID: r.ID,
		Text: string(b), OrderKey: fmt.Sprintf("email:%d:%s", c.ID, e.Purpose)}, nil
}

// EmailOffer says whether a customer may be emailed, and if not, why. The
// zero value offers nothing.
type EmailOffer string

const (
	EmailAllowed    EmailOffer = "allowed"
	EmailOff        EmailOffer = "off"        // no SMTP server configured
	EmailNoAddress  EmailOffer = "no_address" // the response carries no email
	EmailNoConsent  EmailOffer = "no_consent" // contact_ok is not true
	EmailSuppressed EmailOffer = "suppressed" // the address unsubscribed
)

// Allowed reports whether email may be sent.
func (o EmailOffer) Allowed() bool { return o == EmailAllowed }

// Reason is the refusal's sentence.
func (o EmailOffer) Reason() string {
	switch o {
	case EmailOff:
		return "email to customers is not set up (CXLOOP_SMTP_URL)"
	case EmailNoAddress:
		return "the customer left no email address"
	case EmailNoConsent:
		return "the customer did not agree to be contacted"
	case EmailSuppressed:
		return "the customer unsubscribed from our emails"
	}
	return ""
}

// EmailOfferFor decides whether the customer of r may be emailed: never
// without an SMTP server, an address, explicit consent, or when the address
// unsubscribed.
func (p *Policy) EmailOfferFor(r *Response, suppressed bool) EmailOffer {
	switch {
	case !p.EmailEnabled:
		return EmailOff
	case !strings.Contains(r.CustomerEmail, "@"):
		return EmailNoAddress
	case r.ContactOK == nil || !*r.ContactOK:
		return EmailNoConsent
	case suppressed:
		return EmailSuppressed
	}
	return EmailAllowed
}

// ThankMethodsFor lists the thank-you methods to offer: "email" only when
// the customer may be emailed, since choosing it sends the email.
func (p *Policy) ThankMethodsFor(o EmailOffer) []string {
	var out []string
	for _, m := range ThankMethods {
		if m != ThankByEmail || o.Allowed() {
			out = append(out, m)
		}
	}
	return out
}

// EmailOffer decides for a loaded case.
func (p *Policy) EmailOffer(v CaseView) EmailOffer { return p.EmailOfferFor(&v.Response, v.Suppressed) }

// Suppression is an address that must never be emailed again.
type Suppression struct {
	Email  string    `gorm:"primaryKey;size:300"` // lower case
	At     time.Time `gorm:"not null"`
	Source string    `gorm:"size:30;not null"` // unsubscribe, cli
}

// ServerKey is a secret of this installation, made once and shared by every
// replica through the database; it signs links such as unsubscribe tokens.
type ServerKey struct {
	Name string `gorm:"primaryKey;size:40"`
	Key  []byte `gorm:"not null"`
}

// UnsubscribeKeyName names the key that signs unsubscribe links.
const UnsubscribeKeyName = "unsubscribe"

// UnsubscribeToken signs an address for the one-click unsubscribe link.
func UnsubscribeToken(key []byte, address string) string {
	address = strings.ToLower(strings.TrimSpace(address))
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(address)) + "." + enc.EncodeToString(unsubscribeMAC(key, address))
}

// ErrBadToken is an unsubscribe token that was not made by this installation.
var ErrBadToken = errors.New("the link is not valid")

// ParseUnsubscribeToken returns the address a token was made for.
func ParseUnsubscribeToken(key []byte, token string) (string, error) {
	enc := base64.RawURLEncoding
	a, m, ok := strings.Cut(token, ".")
	if !ok {
		return "", ErrBadToken
	}
	addr, err1 := enc.DecodeString(a)
	mac, err2 := enc.DecodeString(m)
	if err1 != nil || err2 != nil || len(key) == 0 {
		return "", ErrBadToken
	}
	if subtle.ConstantTimeCompare(mac, unsubscribeMAC(key, string(addr))) != 1 {
		return "", ErrBadToken
	}
	return string(addr), nil
}

func unsubscribeMAC(key []byte, address string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("unsubscribe\x00" + address))
	return h.Sum(nil)
}

func purposeLabel(purpose string) string {
	switch purpose {
	case MessageThankYou:
		return "thank-you"
	case MessageResolution:
		return "resolution"
	case MessageFixDone:
		return "\"you said, we did\""
	}
	return purpose
}

func clipReason(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}
