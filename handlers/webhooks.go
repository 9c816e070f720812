package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cxloop/cxloop/handlers/providers"
	"github.com/cxloop/cxloop/models"
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
//   - 413: body over MaxBodyBytes.
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
			writeError(w, http.StatusUnauthorized, "", fmt.Sprintf("the %s webhook is off: set %s", provider, spec.envVar))
			return
		}
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		if err := spec.verify(s, secret, r.Header, body); err != nil {
			s.countHook(provider, hookUnauthorized)
			if errors.Is(err, providers.ErrNoSecret) {
				// Set but unusable (a whsec_ secret that is not base64):
				// the operator must fix it; the sender will retry.
				s.Log.Error("webhook secret unusable", "provider", provider, "variable", spec.envVar, "err", err)
				writeError(w, http.StatusUnauthorized, "", fmt.Sprintf("the %s webhook is off: %s is not usable", provider, spec.envVar))
				return
			}
			writeError(w, http.StatusUnauthorized, "", "invalid webhook signature: "+err.Error())
			return
		}
		now := s.Clock.Now()
		d := s.mapDelivery(provider, body, now, now)
		switch {
		case d.reason != "":
			s.deadLetter(w, r.Context(), provider, body, d, now)
		case d.ignored:
			s.countHook(provider, hookIgnored)
			writeJSON(w, http.StatusOK, map[string]string{"status": "ignored"})
		default:
			done, ok := s.admit(w, r.Context())
			if !ok {
				s.countHook(provider, hookError)
				return
			}
			defer done()
			sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
			s.store(sw, r.Context(), d.inputs, now)
			if sw.code < 300 {
				s.countHook(provider, hookStored)
			} else {
				s.countHook(provider, hookError)
			}
		}
	})
}

// deadLetter keeps a signed delivery that cannot be stored as a response.
func (s *Server) deadLetter(w http.ResponseWriter, ctx context.Context, provider string, body []byte, d hookDelivery, now time.Time) {
	dl, created, err := s.Store.AddDeadLetter(ctx, provider, body, d.reason, now)
	if err != nil {
		s.countHook(provider, hookError)
		s.Log.Error("keep dead letter", "provider", provider, "err", err)
		writeError(w, http.StatusServiceUnavailable, "", "could not keep the delivery; nothing was stored, please retry")
		return
	}
	s.Metrics.DeadLetters.WithLabelValues(provider).Inc()
	s.Log.Warn("webhook kept as a dead letter: fix the configuration, then run cxloop replay",
		"provider", provider, "dead_letter", dl.ID, "repeat", !created, "reason", d.reason)
	if d.malformed {
		s.countHook(provider, hookMalformed)
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": d.reason, "dead_letter_id": dl.ID})
		return
	}
	s.countHook(provider, hookDeadLetter)
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "dead_letter", "dead_letter_id": dl.ID, "reason": d.reason})
}

func (s *Server) countHook(provider, outcome string) {
	s.Metrics.WebhookRequests.WithLabelValues(provider, outcome).Inc()
}

// hookDelivery is a verified provider body, mapped.
type hookDelivery struct {
	inputs  []models.ResponseInput // validated, ready to store
	ignored bool                   // an event that carries no response
	// reason, when set, says why the body cannot become a response: it goes
	// to the dead letters. malformed: the body is not the provider's shape.
	reason    string
	malformed bool
}

// mapDelivery maps a verified body with the current form mappings and
// validates the result. received fills a missing submitted_at (the time the
// delivery arrived, also on replay); now bounds it.
func (s *Server) mapDelivery(provider string, body []byte, received, now time.Time) hookDelivery {
	var (
		ins     []models.ResponseInput
		ignored bool
		err     error
	)
	switch provider {
	case providers.SourceDelighted:
		ins, ignored, err = providers.MapDelighted(body)
	case providers.SourceTypeform:
		ins, err = providers.MapTypeform(body, s.TypeformForms)
	case providers.SourceFormbricks:
		ins, err = providers.MapFormbricks(body, s.FormbricksSurveys)
	default:
		return hookDelivery{reason: fmt.Sprintf("no webhook mapper for provider %q", provider), malformed: true}
	}
	if err != nil {
		if u, ok := providers.IsUnmappable(err); ok {
			return hookDelivery{reason: u.Reason}
		}
		return hookDelivery{reason: err.Error(), malformed: true}
	}
	if ignored || len(ins) == 0 {
		return hookDelivery{ignored: true}
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
			return hookDelivery{reason: fmt.Sprintf("%s response %s: %s", provider, in.ExternalID, fe.Error())}
		}
		k := responseKey{in.Source, in.ExternalID}
		if seen[k] {
			return hookDelivery{reason: fmt.Sprintf("%s response %s appears twice in one delivery", provider, in.ExternalID)}
		}
		seen[k] = true
	}
	return hookDelivery{inputs: ins}
}

type responseKey struct{ source, externalID string }

// recordIngest counts stored responses in the metrics and reports whether
// any outbound message may have been queued.
func (s *Server) recordIngest(inputs []models.ResponseInput, results []models.IngestResult) bool {
	queued := false
	for i, res := range results {
		s.Metrics.ResponsesIngested.WithLabelValues(res.Source, string(res.Segment), string(res.Outcome)).Inc()
		if res.Outcome != models.OutcomeUnchanged {
			queued = true
		}
		if res.CaseOpened {
			s.Metrics.CasesOpened.WithLabelValues(caseTeam(s.Policy, &inputs[i])).Inc()
		}
	}
	return queued
}

// ReplayOptions choose what a replay does.
type ReplayOptions struct {
	ID     int64 // only this dead letter; 0: every pending one
	DryRun bool  // map and report, write nothing
}

// Replay statuses of a dead letter.
const (
	ReplayIngested   = "ingested"      // stored as a response (or found already stored)
	ReplaySuperseded = "superseded"    // a later delivery of the same response came first
	ReplayIgnored    = "ignored"       // the event carries no response
	ReplayFailed     = "still failing" // kept, with the reason as it stands now
)

// ReplayResult is what a replay did with one dead letter.
type ReplayResult struct {
	DeadLetter models.DeadLetter
	Status     string
	Detail     string
	ResponseID int64
	CaseID     int64
}

// ReplayDeadLetters maps pending dead letters again with the server's
// current mappings and stores those that now map, oldest first, marking them
// replayed; those that still fail keep their updated reason.
//
// Several dead letters of one response (Delighted's created and updated,
// Formbricks' created and finished) are replayed as one: the latest
// delivery wins, the earlier ones are superseded. A response that a
// delivery newer than the dead letter has already stored is left alone, so a
// replay never rolls a response back to an older version.
func (s *Server) ReplayDeadLetters(ctx context.Context, opts ReplayOptions) ([]ReplayResult, error) {
	var dls []models.DeadLetter
	if opts.ID != 0 {
		dl, err := s.Store.DeadLetter(ctx, opts.ID)
		if err != nil {
			return nil, err
		}
		if !dl.Pending() {
			return nil, fmt.Errorf("dead letter %d was replayed at %s (%s): nothing to do",
				dl.ID, dl.ReplayedAt.UTC().Format(time.RFC3339), dl.Outcome)
		}
		dls = []models.DeadLetter{dl}
	} else {
		var err error
		if dls, err = s.Store.DeadLetters(ctx, models.DeadLetterQuery{Pending: true}); err != nil {
			return nil, err
		}
	}
	now := s.Clock.Now()
	plans := make([]hookDelivery, len(dls))
	latest := map[responseKey]int{} // response → the latest dead letter carrying it
	for i := range dls {
		plans[i] = s.mapDelivery(dls[i].Provider, dls[i].Body, dls[i].ReceivedAt, now)
		for _, in := range plans[i].inputs {
			latest[responseKey{in.Source, in.ExternalID}] = i
		}
	}
	results := make([]ReplayResult, 0, len(dls))
	queued := false
	for i, dl := range dls {
		res := ReplayResult{DeadLetter: dl}
		p := plans[i]
		switch {
		case p.reason != "":
			res.Status, res.Detail = ReplayFailed, p.reason
			if !opts.DryRun {
				if err := s.Store.DeadLetterFailed(ctx, dl.ID, p.reason, now); err != nil {
					return results, err
				}
			}
			results = append(results, res)
			continue
		case p.ignored:
			res.Status, res.Detail = ReplayIgnored, "the event carries no response"
			if !opts.DryRun {
				if err := s.Store.DeadLetterReplayed(ctx, dl.ID, 0, res.Detail, now); err != nil {
					return results, err
				}
			}
			results = append(results, res)
			continue
		}
		var ins []models.ResponseInput
		var notes []string
		for _, in := range p.inputs {
			if j := latest[responseKey{in.Source, in.ExternalID}]; j != i {
				notes = append(notes, fmt.Sprintf("%s response %s: a later dead letter (%d) carries it", in.Source, in.ExternalID, dls[j].ID))
				continue
			}
			id, at, ok, err := s.Store.ResponseChangedAt(ctx, in.Source, in.ExternalID)
			if err != nil {
				return results, err
			}
			if ok && at.After(dl.LastReceivedAt) {
				notes = append(notes, fmt.Sprintf("response %d changed at %s, after this delivery", id, at.UTC().Format(time.RFC3339)))
				continue
			}
			ins = append(ins, in)
		}
		if len(ins) == 0 {
			res.Status, res.Detail = ReplaySuperseded, strings.Join(notes, "; ")
			if !opts.DryRun {
				if err := s.Store.DeadLetterReplayed(ctx, dl.ID, 0, "superseded: "+res.Detail, now); err != nil {
					return results, err
				}
			}
			results = append(results, res)
			continue
		}
		res.Status = ReplayIngested
		if opts.DryRun {
			res.Detail = "would be stored"
			results = append(results, res)
			continue
		}
		stored, err := s.Store.Ingest(ctx, s.Policy, now, ins, models.IngestOptions{})
		if err != nil {
			// Keep it and go on with the others; a database that cannot
			// even record the failure ends the replay.
			res.Status, res.Detail = ReplayFailed, "could not store: "+err.Error()
			if err := s.Store.DeadLetterFailed(ctx, dl.ID, res.Detail, now); err != nil {
				return results, err
			}
			results = append(results, res)
			continue
		}
		if s.recordIngest(ins, stored) {
			queued = true
		}
		first := stored[0]
		res.ResponseID, res.CaseID = first.ResponseID, first.CaseID
		res.Detail = describeStored(first)
		if len(notes) > 0 {
			res.Detail += "; " + strings.Join(notes, "; ")
		}
		if err := s.Store.DeadLetterReplayed(ctx, dl.ID, first.ResponseID, res.Detail, now); err != nil {
			return results, err
		}
		results = append(results, res)
	}
	if queued && s.Queued != nil {
		s.Queued()
	}
	return results, nil
}

func describeStored(r models.IngestResult) string {
	d := fmt.Sprintf("%s response %d", r.Outcome, r.ResponseID)
	switch {
	case r.CaseOpened:
		d += fmt.Sprintf(", opened case %d", r.CaseID)
	case r.CaseID != 0:
		d += fmt.Sprintf(" of case %d", r.CaseID)
	}
	return d
}
