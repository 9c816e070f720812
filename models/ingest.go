package models

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Outcome says what ingesting one response did.
type Outcome string

const (
	OutcomeCreated   Outcome = "created"
	OutcomeUpdated   Outcome = "updated"
	OutcomeUnchanged Outcome = "unchanged"
)

// IngestResult is what happened to one input.
type IngestResult struct {
	ResponseID int64
	CaseID     int64 // 0 when the response has no case
	CaseOpened bool
	TeamID     string
	Outcome    Outcome
	Segment    Segment
	Source     string
}

// IngestOptions tune a batch.
type IngestOptions struct {
	// CasesSince: responses submitted before it are stored without a case, so
	// a historic import does not flood the channels. Zero opens all.
	CasesSince time.Time
}

type responseKey struct{ source, externalID string }

// newResponse classifies, tags and routes an input.
func newResponse(p *Policy, now time.Time, in *ResponseInput) (Response, error) {
	in.maskCards() // also for callers that did not normalise
	seg, err := p.Classify(in.Metric, in.Score)
	if err != nil {
		return Response{}, err
	}
	return Response{
		Source: in.Source, ExternalID: in.ExternalID, Metric: in.Metric, Score: in.Score, Segment: seg,
		Comment: in.Comment, SubmittedAt: in.SubmittedAt.UTC(), Touchpoint: in.Touchpoint,
		CustomerID: in.Customer.ID, CustomerName: in.Customer.Name, CustomerEmail: in.Customer.Email,
		CustomerPhone: in.Customer.Phone, ContactOK: in.Customer.ContactOK,
		Attributes: in.Attributes, Themes: p.MatchThemes(in.Comment), Language: in.Language,
		TeamID:      p.RouteTeam(in, seg),
		ContentHash: in.contentHash(), Version: 1, ReceivedAt: now, UpdatedAt: now,
	}, nil
}

var responseColumns = []string{"source", "external_id", "metric", "score", "segment", "comment", "submitted_at", "touchpoint",
	"customer_id", "customer_name", "customer_email", "customer_phone", "contact_ok", "attributes", "themes", "language", "team_id",
	"content_hash", "version", "received_at", "updated_at"}

func describeChange(old, nw *Response) string {
	var parts []string
	if old.Score != nw.Score || old.Metric != nw.Metric {
		parts = append(parts, fmt.Sprintf("score %d → %d", old.Score, nw.Score))
	}
	switch {
	case old.Comment == "" && nw.Comment != "":
		parts = append(parts, "comment added")
	case old.Comment != nw.Comment:
		parts = append(parts, "comment changed")
	}
	if len(parts) == 0 {
		parts = append(parts, "details changed")
	}
	return "survey response updated: " + strings.Join(parts, ", ")
}

// RouteTeam picks the team for a response: the first route whose conditions
// all hold, else the default team.
func (p *Policy) RouteTeam(in *ResponseInput, seg Segment) string {
	if r, ok := p.route(in, seg); ok {
		return r.Team
	}
	return p.DefaultTeam
}

func (p *Policy) route(in *ResponseInput, seg Segment) (Route, bool) {
	for _, r := range p.Routes {
		if routeMatches(r.When, in, seg) {
			return r, true
		}
	}
	return Route{}, false
}

// urgent reports whether the route a stored response takes is marked urgent.
func (p *Policy) urgent(r *Response) bool {
	in := ResponseInput{Source: r.Source, Metric: r.Metric, Touchpoint: r.Touchpoint, Attributes: r.Attributes}
	rt, ok := p.route(&in, r.Segment)
	return ok && rt.Urgent
}

func routeMatches(when map[string][]string, in *ResponseInput, seg Segment) bool {
	for field, allowed := range when {
		var v string
		switch field {
		case "touchpoint":
			v = in.Touchpoint
		case "source":
			v = in.Source
		case "metric":
			v = string(in.Metric)
		case "segment":
			v = string(seg)
		default:
			v = in.Attributes[field]
		}
		if !containsFold(allowed, v) {
			return false
		}
	}
	return true
}

var (
	eventColumns  = []string{"case_id", "at", "actor", "kind", "from_state", "to_state", "detail"}
	outboxColumns = []string{"kind", "transport", "channel", "recipient", "case_id", "response_id", "text", "order_key", "pace_key",
		"state", "next_attempt_at", "attempts", "lease_owner", "last_error", "created_at"}
)

// assignSequence names a team's counter sequence; hashing keeps any team id
// a valid identifier.
func assignSequence(teamID string) string {
	sum := sha256.Sum256([]byte(teamID))
	return "cxloop_assign_" + hex.EncodeToString(sum[:8])
}

// paceKey names the conversation a message lands in, which platforms rate
// limit: a channel, or a person's direct messages.
func paceKey(m *OutboxMessage) string {
	if m.Channel != "" {
		return m.Channel
	}
	return "dm:" + strings.ToLower(m.Recipient)
}

func cardOrderKey(caseID int64, d Destination) string {
	return fmt.Sprintf("card:%d:%s:%s", caseID, d.Transport, d.Channel)
}

// attemptAt is a new message's first attempt: when its sender asked (a DM
// held for quiet hours, a card held for its roll-up), never before now.
func attemptAt(asked, now time.Time) time.Time {
	if asked.After(now) {
		return asked.UTC()
	}
	return now
}
