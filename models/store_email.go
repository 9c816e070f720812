package models

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

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
