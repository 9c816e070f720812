package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

func emailPolicy(t *testing.T) *models.Policy {
	t.Helper()
	p := opsPolicy()
	p.EmailEnabled = true
	p.CustomerMessages = models.CustomerMessages{}
	for _, purpose := range models.MessagePurposes {
		mt, err := models.ParseMessageTemplate("customer_messages."+purpose+".en", "About case {{.CaseID}}", "Dear {{.CustomerName}}, {{.WhatWasDone}}. {{.OwnerName}}, {{.TeamName}}")
		if err != nil {
			t.Fatal(err)
		}
		p.CustomerMessages[purpose] = map[string]*models.MessageTemplate{"en": mt}
	}
	return p
}

func TestEmailOffer(t *testing.T) {
	yes, no := true, false
	on := &models.Policy{EmailEnabled: true}
	off := &models.Policy{}
	for _, tc := range []struct {
		name       string
		p          *models.Policy
		email      string
		consent    *bool
		suppressed bool
		want       models.EmailOffer
	}{
		{"allowed", on, "kadri@example.com", &yes, false, models.EmailAllowed},
		{"no smtp", off, "kadri@example.com", &yes, false, models.EmailOff},
		{"no address", on, "", &yes, false, models.EmailNoAddress},
		{"consent unknown", on, "kadri@example.com", nil, false, models.EmailNoConsent},
		{"consent refused", on, "kadri@example.com", &no, false, models.EmailNoConsent},
		{"unsubscribed", on, "kadri@example.com", &yes, true, models.EmailSuppressed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := models.Response{CustomerEmail: tc.email, ContactOK: tc.consent}
			if got := tc.p.EmailOfferFor(&r, tc.suppressed); got != tc.want {
				t.Errorf("offer %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUnsubscribeTokens(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	tok := models.UnsubscribeToken(key, "Kadri@Example.com")
	if addr, err := models.ParseUnsubscribeToken(key, tok); err != nil || addr != "kadri@example.com" {
		t.Fatalf("round trip: %q %v", addr, err)
	}
	other := models.UnsubscribeToken(key, "mari@example.com")
	mac := tok[strings.IndexByte(tok, '.'):]
	for name, bad := range map[string]string{
		"empty":         "",
		"no signature":  tok[:strings.IndexByte(tok, '.')],
		"flipped":       tok[:len(tok)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(tok, "AA")],
		"swapped":       other[:strings.IndexByte(other, '.')] + mac,
		"other key":     models.UnsubscribeToken([]byte("another key of the same length!!"), "kadri@example.com"),
		"not base64":    "***.***",
		"extra dot mac": tok + ".x",
	} {
		if addr, err := models.ParseUnsubscribeToken(key, bad); err == nil {
			t.Errorf("%s: accepted for %q", name, addr)
		}
	}
}

func TestPersonName(t *testing.T) {
	for in, want := range map[string]string{
		"liis@example.com": "Liis", "mari.tamm@example.com": "Mari Tamm", "jaan_ots2@example.com": "Jaan Ots", "": "",
	} {
		if got := models.PersonName(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestTemplateErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct{ subject, body, want string }{
		{"Hi", "{{.CustomerNme}}", "x.en.body"},
		{"{{if}}", "ok", "x.en.subject"},
		{"", "ok", "x.en.subject: required"},
	} {
		_, err := models.ParseMessageTemplate("x.en", tc.subject, tc.body)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q/%q: %v, want it to name %s", tc.subject, tc.body, err, tc.want)
		}
	}
}

// consenting is a detractor who left an email and agreed to be contacted.
func consenting(id, email string, ok *bool) models.ResponseInput {
	in := detractor(id)
	in.Customer = models.Customer{Name: "Kadri", Email: email, ContactOK: ok}
	return in
}

func TestEmailIsRefusedWithoutConsentOrAfterUnsubscribing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := emailPolicy(t)
		ctx := context.Background()
		now := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
		yes, no := true, false
		res, err := s.Ingest(ctx, p, now, []models.ResponseInput{
			consenting("e-ok", "ok@example.com", &yes), consenting("e-no", "no@example.com", &no),
			consenting("e-sup", "Sup@Example.com", &yes), consenting("e-none", "", &yes),
		}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Suppress(ctx, "sup@example.com", "cli", now); err != nil {
			t.Fatal(err)
		}
		if err := s.Suppress(ctx, "sup@example.com", "unsubscribe", now); err != nil {
			t.Fatalf("suppressing twice: %v", err)
		}
		for i, name := range []string{"e-ok", "e-no", "e-sup", "e-none"} {
			id := res[i].CaseID
			v, _ := s.CaseView(ctx, id)
			emails := func() int64 {
				var n int64
				s.DB().Model(&models.OutboxMessage{}).Where("kind = ? AND case_id = ?", models.KindCustomerEmail, id).Count(&n)
				return n
			}
			owner := v.Case.Owner
			_, err := s.Act(ctx, p, now, id, owner, models.Op{Kind: models.OpThank, Method: "email"})
			_, refused := models.IsRefusal(err)
			if name == "e-ok" {
				if err != nil || emails() != 1 {
					t.Errorf("%s: %v, %d emails queued", name, err, emails())
				}
				continue
			}
			after, _ := s.CaseView(ctx, id)
			if !refused || emails() != 0 || after.Case.State != models.StateAssigned {
				t.Errorf("%s: err %v, %d emails, state %s: a forged email thank-you must be refused", name, err, emails(), after.Case.State)
			}
			if name == "e-sup" && (!after.Suppressed || p.EmailOffer(after) != models.EmailSuppressed) {
				t.Errorf("the card should know the address unsubscribed")
			}
			// The same customer can still be thanked by phone.
			if _, err := s.Act(ctx, p, now, id, owner, models.Op{Kind: models.OpThank, Method: "call"}); err != nil {
				t.Errorf("%s by call: %v", name, err)
			}
		}
	})
}
