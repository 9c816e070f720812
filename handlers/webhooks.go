package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cxloop/cxloop/handlers/httpio"
	"github.com/cxloop/cxloop/handlers/providers"
)

// Provider webhooks: Delighted, Typeform and Formbricks post their own
// payloads to POST /webhooks/{provider}. Each delivery is read raw, its
// signature checked over those exact bytes, then mapped to the generic
// response and stored like a response sent to /api/v1/responses (source =
// the provider, same idempotency and update rules).
//
// Answers:
//   - 401: signature missing or wrong, stale Standard Webhooks timestamp, or
//     the endpoint is off (its secret is not set); nothing is stored.
//   - 413: body over httpio.MaxBodyBytes.
//   - 201/200: stored (200 when it changed nothing), with the ids, as the
//     generic endpoint answers.
//   - 200 {"status":"ignored"}: an event that carries no response
//     (Delighted unsubscribe.created, unknown Typeform/Formbricks events).
//   - 202 {"status":"dead_letter"}: signed, but it cannot become a response
//     (unknown form, no score, score out of range): kept as a dead letter
//     with the reason, for cxloop replay once the YAML is fixed.
//   - 400: signed, but not the provider's shape; kept as a dead letter too.
//   - 503: the database failed; nothing was stored, the sender retries.

// hookSpec is one provider's endpoint.
type hookSpec struct {
	envVar string
	secret func(*Server) string
	verify func(s *Server, secret string, h http.Header, body []byte) error
}

var providerHooks = map[string]hookSpec{
	providers.SourceDelighted: {
		envVar: "DELIGHTED_WEBHOOK_SECRET",
		secret: func(s *Server) string { return s.DelightedSecret },
		verify: func(_ *Server, secret string, h http.Header, body []byte) error {
			return providers.VerifyDelighted(secret, h, body)
		},
	},
	providers.SourceTypeform: {
		envVar: "TYPEFORM_WEBHOOK_SECRET",
		secret: func(s *Server) string { return s.TypeformSecret },
		verify: func(_ *Server, secret string, h http.Header, body []byte) error {
			return providers.VerifyTypeform(secret, h, body)
		},
	},
	providers.SourceFormbricks: {
		envVar: "FORMBRICKS_WEBHOOK_SECRET",
		secret: func(s *Server) string { return s.FormbricksSecret },
		verify: func(s *Server, secret string, h http.Header, body []byte) error {
			return providers.VerifyStandardWebhook(secret, h, body, s.Clock.Now())
		},
	},
}

// Webhook outcomes, as cxloop_webhook_requests_total counts them.
const (
	hookStored       = "stored"
	hookIgnored      = "ignored"
	hookDeadLetter   = "dead_letter"
	hookMalformed    = "malformed"
	hookUnauthorized = "unauthorized"
	hookDisabled     = "disabled"
	hookError        = "error"
)

// webhook returns the endpoint of one provider.
func (s *Server) webhook(provider string) http.Handler {
	spec, ok := providerHooks[provider]
	if !ok {
		panic("handlers: no webhook for provider " + provider) // a build defect
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := spec.secret(s)
		if secret == "" {
			s.countHook(provider, hookDisabled)
			httpio.WriteError(w, http.StatusUnauthorized, "", fmt.Sprintf("the %s webhook is off: set %s", provider, spec.envVar))
			return
		}
		body, ok := httpio.ReadBody(w, r)
		if !ok {
			return
		}
		if err := spec.verify(s, secret, r.Header, body); err != nil {
			s.countHook(provider, hookUnauthorized)
			if errors.Is(err, providers.ErrNoSecret) {
				// Set but unusable (a whsec_ secret that is not base64):
				// the operator must fix it; the sender will retry.
				s.Log.Error("webhook secret unusable", "provider", provider, "variable", spec.envVar, "err", err)
				httpio.WriteError(w, http.StatusUnauthorized, "", fmt.Sprintf("the %s webhook is off: %s is not usable", provider, spec.envVar))
				return
			}
			httpio.WriteError(w, http.StatusUnauthorized, "", "invalid webhook signature: "+err.Error())
			return
		}
		now := s.Clock.Now()
		d := s.mappings().Map(provider, body, now, now)
		switch {
		case d.Reason != "":
			s.deadLetter(w, r.Context(), provider, body, d, now)
		case d.Ignored:
			s.countHook(provider, hookIgnored)
			httpio.WriteJSON(w, http.StatusOK, map[string]string{"status": "ignored"})
		default:
			done, ok := s.admit(w, r.Context())
			if !ok {
				s.countHook(provider, hookError)
				return
			}
			defer done()
			sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
			s.store(sw, r.Context(), d.Inputs, now)
			if sw.code < 300 {
				s.countHook(provider, hookStored)
			} else {
				s.countHook(provider, hookError)
			}
		}
	})
}

// deadLetter keeps a signed delivery that cannot be stored as a response.
func (s *Server) deadLetter(w http.ResponseWriter, ctx context.Context, provider string, body []byte, d providers.Delivery, now time.Time) {
	dl, created, err := s.Store.AddDeadLetter(ctx, provider, body, d.Reason, now)
	if err != nil {
		s.countHook(provider, hookError)
		s.Log.Error("keep dead letter", "provider", provider, "err", err)
		httpio.WriteError(w, http.StatusServiceUnavailable, "", "could not keep the delivery; nothing was stored, please retry")
		return
	}
	s.Metrics.DeadLetters.WithLabelValues(provider).Inc()
	s.Log.Warn("webhook kept as a dead letter: fix the configuration, then run cxloop replay",
		"provider", provider, "dead_letter", dl.ID, "repeat", !created, "reason", d.Reason)
	if d.Malformed {
		s.countHook(provider, hookMalformed)
		httpio.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": d.Reason, "dead_letter_id": dl.ID})
		return
	}
	s.countHook(provider, hookDeadLetter)
	httpio.WriteJSON(w, http.StatusAccepted, map[string]any{"status": "dead_letter", "dead_letter_id": dl.ID, "reason": d.Reason})
}

func (s *Server) countHook(provider, outcome string) {
	s.Metrics.WebhookRequests.WithLabelValues(provider, outcome).Inc()
}

// mappings are the forms and surveys deliveries are mapped with now.
func (s *Server) mappings() providers.Mappings {
	return providers.Mappings{TypeformForms: s.TypeformForms, FormbricksSurveys: s.FormbricksSurveys}
}
