package models

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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

// Suppress records that email must never go to address; suppressing twice
// changes nothing.
func (s *Store) Suppress(ctx context.Context, address, source string, now time.Time) error {
	address = strings.ToLower(strings.TrimSpace(address))
	if !strings.Contains(address, "@") {
		return &FieldError{Field: "email", Msg: fmt.Sprintf("%q is not an email address", address)}
	}
	sup := Suppression{Email: address, At: now.UTC(), Source: source}
	if err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&sup).Error; err != nil {
		return fmt.Errorf("suppress %s: %w", address, err)
	}
	return nil
}

// Suppressed reports whether address unsubscribed.
func (s *Store) Suppressed(ctx context.Context, address string) (bool, error) {
	return suppressed(s.db.WithContext(ctx), address)
}

func suppressed(db *gorm.DB, address string) (bool, error) {
	address = strings.ToLower(strings.TrimSpace(address))
	if address == "" {
		return false, nil
	}
	var n int64
	if err := db.Model(&Suppression{}).Where("email = ?", address).Count(&n).Error; err != nil {
		return false, fmt.Errorf("suppression of an address: %w", err)
	}
	return n > 0, nil
}

// ServerKey is a secret of this installation, made once and shared by every
// replica through the database; it signs links such as unsubscribe tokens.
type ServerKey struct {
	Name string `gorm:"primaryKey;size:40"`
	Key  []byte `gorm:"not null"`
}

// Key returns the installation's key called name, making it on first use.
func (s *Store) Key(ctx context.Context, name string) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("make key %s: %w", name, err)
	}
	db := s.db.WithContext(ctx)
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&ServerKey{Name: name, Key: fresh}).Error; err != nil {
		return nil, fmt.Errorf("store key %s: %w", name, err)
	}
	var k ServerKey
	if err := db.Take(&k, "name = ?", name).Error; err != nil {
		return nil, fmt.Errorf("read key %s: %w", name, err)
	}
	return k.Key, nil
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

// queueCaseEmail checks that the customer of c may be emailed and queues the
// message in tx; the refusal names why not.
func (s *Store) queueCaseEmail(tx *gorm.DB, p *Policy, now time.Time, c *Case, purpose string, d *Draft) error {
	var r Response
	if err := tx.Take(&r, c.ResponseID).Error; err != nil {
		return notFound(err, fmt.Sprintf("response of case %d", c.ID))
	}
	sup, err := suppressed(tx, r.CustomerEmail)
	if err != nil {
		return err
	}
	if offer := p.EmailOfferFor(&r, sup); !offer.Allowed() {
		return refuseAs("refusal.email_"+string(offer),
			fmt.Sprintf("case #%d: no email can go to this customer: %s", c.ID, offer.Reason()), "CaseID", c.ID)
	}
	lang := p.CustomerLanguage(&r)
	if strings.TrimSpace(d.Subject) == "" || strings.TrimSpace(d.Body) == "" {
		def, err := p.CaseDraft(CaseView{Case: *c, Response: r}, purpose, c.Owner, c.Resolution)
		if err != nil {
			return fmt.Errorf("customer message: %w", err)
		}
		if strings.TrimSpace(d.Subject) == "" {
			d.Subject = def.Subject
		}
		if strings.TrimSpace(d.Body) == "" {
			d.Body = def.Body
		}
		lang = def.Language
	}
	if d.Language != "" {
		lang = d.Language
	}
	if len(d.Subject) > 300 {
		return &FieldError{Field: "email_subject", Msg: "keep the subject under 300 characters"}
	}
	if len(d.Body) > 10000 {
		return &FieldError{Field: "email_body", Msg: "keep the email under 10,000 characters"}
	}
	m, err := emailMessage(c, &r, CustomerEmail{Purpose: purpose, To: strings.TrimSpace(r.CustomerEmail), ToName: customerFirstName(r.CustomerName),
		ReplyTo: c.Owner, Language: lang, Subject: strings.Join(strings.Fields(d.Subject), " "), Body: strings.TrimSpace(d.Body)})
	if err != nil {
		return err
	}
	return enqueue(tx, now, m)
}

// emailDelivered runs in the transaction that records an email's delivery:
// the trail says it went out, and a fix_done email closes the customer's
// "customer told" follow-up.
func (s *Store) emailDelivered(tx *gorm.DB, m *OutboxMessage, now time.Time) error {
	e, err := ParseCustomerEmail(m)
	if err != nil {
		return err
	}
	var c Case
	if err := tx.Take(&c, m.CaseID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		return fmt.Errorf("case of email %d: %w", m.ID, err)
	}
	ev := CaseEvent{CaseID: c.ID, At: now, Actor: "cxloop", Kind: "email_sent", FromState: c.State, ToState: c.State,
		Detail: fmt.Sprintf("the %s email reached the customer's mail server", purposeLabel(e.Purpose))}
	if e.Purpose != MessageFixDone {
		if err := tx.Create(&ev).Error; err != nil {
			return fmt.Errorf("record email sent: %w", err)
		}
		return nil
	}
	res := tx.Model(&FixFollowUp{}).Where("case_id = ? AND improvement_id = ? AND told_at IS NULL", c.ID, e.ImprovementID).
		Updates(map[string]any{"told_at": now, "told_by": "cxloop", "told_via": ToldByEmail})
	if res.Error != nil {
		return fmt.Errorf("close follow-up of case %d: %w", c.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil // told meanwhile by other means
	}
	if err := tx.Model(&Case{}).Where("id = ?", c.ID).Updates(map[string]any{"customer_told_at": now, "updated_at": now}).Error; err != nil {
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	ev.Kind, ev.Detail = string(OpCustomerTold), fmt.Sprintf("told the customer of the fix by email (improvement #%d)", e.ImprovementID)
	if err := tx.Create(&ev).Error; err != nil {
		return fmt.Errorf("record customer told: %w", err)
	}
	return s.queueCardRefreshMessage(tx, now, c.ID, "Customer told of the fix by email.", &Message{ID: MsgToldByEmail})
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

// EmailFailed records that an email to a customer was refused for good
// (a 5xx answer, or the address unsubscribed meanwhile): the case's trail
// and thread say so, a thank-you it carried is due again, and the owner is
// told to reach the customer another way.
func (s *Store) EmailFailed(ctx context.Context, p *Policy, now time.Time, m *OutboxMessage, reason string) error {
	now = now.UTC()
	e, err := ParseCustomerEmail(m)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Case
		q := tx
		if s.postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Take(&c, m.CaseID).Error; err != nil {
			return notFound(err, fmt.Sprintf("case %d", m.CaseID))
		}
		from := c.State
		still, which := "the customer was not told", e.Purpose
		if e.Purpose == MessageThankYou && c.State == StateThanked && c.ThankMethod == "email" {
			// The thank-you did not reach the customer: it is due again.
			c.State = StateAssigned
			c.Overdue = !now.Before(c.ThankYouDueAt) || !now.Before(c.ResolutionDueAt)
			err := tx.Model(&Case{}).Where("id = ?", c.ID).Updates(map[string]any{"state": c.State, "thanked_at": nil,
				"thank_method": "", "overdue": c.Overdue, "updated_at": now}).Error
			if err != nil {
				return fmt.Errorf("reopen the thank-you of case %d: %w", c.ID, err)
			}
			still, which = "the thank-you is still due", "thank_you_due"
		}
		if e.Purpose == MessageFixDone {
			still = "the customer still has to be told of the fix"
		}
		if !containsFold(MessagePurposes, e.Purpose) {
			which = MessageResolution // an email of an older version: "the customer was not told"
		}
		why := clipReason(reason)
		detail := fmt.Sprintf("the %s email to the customer could not be delivered (%s); %s", purposeLabel(e.Purpose), why, still)
		ev := CaseEvent{CaseID: c.ID, At: now, Actor: "cxloop", Kind: "email_failed", FromState: from, ToState: c.State, Detail: detail}
		if err := tx.Create(&ev).Error; err != nil {
			return fmt.Errorf("record email failure: %w", err)
		}
		line := caseMessage(MsgEmailFailedThread+which, c.ID, nil, "Reason", why)
		if err := s.queueCardRefreshMessage(tx, now, c.ID, "⚠ Email not delivered: "+detail+".", &line); err != nil {
			return err
		}
		owner := e.ReplyTo
		if owner == "" {
			owner = c.Owner
		}
		if owner == "" {
			return nil
		}
		dm := caseMessage(MsgEmailFailedDM+which, c.ID, nil, "Reason", why)
		text := fmt.Sprintf("The %s email to the customer of case #%d could not be delivered: %s. Please reach them another way; %s.",
			purposeLabel(e.Purpose), c.ID, why, still)
		key := caseDMKey(c.ID)
		return enqueue(tx, now, fanOutDM(p, []string{owner}, OutboxMessage{Kind: KindEmailFailedDM, CaseID: c.ID, Text: text, Message: &dm},
			func(tr, to string) string { return key(tr, strings.ToLower(to)) })...)
	})
}

func clipReason(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}
