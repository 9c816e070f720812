package bot

import (
	"strings"
	"time"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// Severity grades a score within its scale, so that a 0 reads differently
// from a 3 at a glance.
type Severity int

const (
	SeverityNone     Severity = iota // not a detractor
	SeverityModerate                 // NPS 5–6, CES 3
	SeverityHigh                     // NPS 3–4, CSAT 2, CES 2
	SeverityCritical                 // NPS 0–2, CSAT 1, CES 1
)

// SeverityOf grades a detractor's score; other segments have none.
func SeverityOf(seg models.Segment, m models.Metric, score int) Severity {
	if seg != models.SegmentDetractor {
		return SeverityNone
	}
	crit, high := 2, 4 // NPS 0–10
	switch m {
	case models.MetricCSAT, models.MetricCES:
		crit, high = 1, 2
	}
	switch {
	case score <= crit:
		return SeverityCritical
	case score <= high:
		return SeverityHigh
	}
	return SeverityModerate
}

// Marker is the severity as a coloured circle, the same on every platform.
func (s Severity) Marker() string {
	switch s {
	case SeverityCritical:
		return "🔴"
	case SeverityHigh:
		return "🟠"
	case SeverityModerate:
		return "🟡"
	}
	return "⚪"
}

// Severity is the card's severity.
func (c Card) Severity() Severity { return SeverityOf(c.Segment, c.Metric, c.Score) }

// Header is the card's first line: "🔴 NPS 0 · Case #42 · Contact Center".
func (c Card) Header() string {
	return c.T("cards.header", "Marker", c.Severity().Marker(), "Metric", c.MetricLabel(), "Score", c.Score,
		"CaseID", c.CaseID, "Team", c.TeamName)
}

// Escalation is a late follow-up as the managers were told of it.
type Escalation struct {
	Followup string // models.FollowupThankYou or models.FollowupResolution
	Due      time.Time
	At       time.Time // when the managers were told; zero when not yet
	To       []string  // the managers, by email
}

// Late is a follow-up past its due time on the card's clock, the first
// one when both are: the thank-you comes due first and is asked about first.
func (c Card) Late() (Escalation, bool) {
	if c.State.Closed() || c.Now.IsZero() {
		return Escalation{}, false
	}
	for _, e := range c.pending() {
		if !c.Now.Before(e.Due) {
			for _, x := range c.Escalations {
				if x.Followup == e.Followup && !x.At.Before(e.Due) {
					e.At, e.To = x.At, x.To
				}
			}
			return e, true
		}
	}
	return Escalation{}, false
}

// pending are the follow-ups still owed, in due order.
func (c Card) pending() []Escalation {
	var out []Escalation
	if (c.State == models.StateOpen || c.State == models.StateAssigned) && c.ThankedAt == nil && !c.ThankYouDue.IsZero() {
		out = append(out, Escalation{Followup: models.FollowupThankYou, Due: c.ThankYouDue})
	}
	if !c.State.Closed() && !c.ResolutionDue.IsZero() {
		out = append(out, Escalation{Followup: models.FollowupResolution, Due: c.ResolutionDue})
	}
	return out
}

// DeadlineLine is the card's due times in one line, relative to the card's
// clock and absolute in the team's zone: "Thank by 14:00 (in 3 h) · Resolve
// by Wed 10:00 (in 2 d)"; a late one says by how much and who was told. It
// is empty on a closed case.
func (c Card) DeadlineLine() string {
	late, isLate := c.Late()
	var parts []string
	for _, e := range c.pending() {
		if isLate && e.Followup == late.Followup {
			parts = append(parts, c.OverdueText())
			continue
		}
		when := l10n.Moment(c.Lang, e.Due.In(c.loc()), c.Now)
		id := "cards.due.thank"
		if e.Followup == models.FollowupResolution {
			id = "cards.due.resolve"
		}
		switch {
		case c.Now.IsZero():
			parts = append(parts, c.T(id, "When", when))
		case c.Now.Before(e.Due):
			parts = append(parts, c.T(id+"_in", "When", when, "In", Span(c.Lang, e.Due.Sub(c.Now))))
		default:
			parts = append(parts, c.T(id+"_late", "When", when, "Late", Span(c.Lang, c.Now.Sub(e.Due))))
		}
	}
	return strings.Join(parts, " · ")
}

// OverdueText says which follow-up is late, by how much, and whom it was
// escalated to when: "Thank-you 5 h overdue — escalated to Mari 2 h ago".
// It is empty when nothing is late.
func (c Card) OverdueText() string {
	e, ok := c.Late()
	if !ok {
		return ""
	}
	return OverdueText(c.Lang, e, c.Now, c.PersonName)
}

// OverdueText is e as one line on the clock now; name turns an email into
// the name people know.
func OverdueText(lang string, e Escalation, now time.Time, name func(string) string) string {
	id := "cards.overdue.thank_you"
	if e.Followup == models.FollowupResolution {
		id = "cards.overdue.resolution"
	}
	late := Span(lang, now.Sub(e.Due))
	if e.At.IsZero() || len(e.To) == 0 {
		return l10n.T(lang, id, "Late", late)
	}
	names := make([]string, len(e.To))
	for i, to := range e.To {
		names[i] = name(to)
	}
	return l10n.T(lang, id+"_escalated", "Late", late, "To", strings.Join(names, ", "), "Ago", Span(lang, now.Sub(e.At)))
}

// Span is a duration rounded for people: "40 min", "5 h", "3 days".
func Span(lang string, d time.Duration) string { return l10n.Span(lang, d) }

// PersonName is the name a person is shown by: the directory's, else one
// read from the email.
func (c Card) PersonName(email string) string {
	if n := c.Names[strings.ToLower(email)]; n != "" {
		return n
	}
	if n := models.PersonName(email); n != "" {
		return n
	}
	return email
}

// OwnerName is the owner as people know them, or "nobody yet".
func (c Card) OwnerName() string {
	if c.Owner == "" {
		return c.T("card.owner.nobody")
	}
	return c.PersonName(c.Owner)
}

func (c Card) loc() *time.Location {
	if c.Location != nil {
		return c.Location
	}
	return time.UTC
}

// Primary is the next step for the case's state, shown first and
// highlighted: take an open case, thank, resolve, reopen a closed one.
func (c Card) Primary() (Action, bool) {
	if len(c.Actions) == 0 {
		return "", false
	}
	switch a := c.Actions[0]; a {
	case ActionTake, ActionThank, ActionResolve, ActionReopen:
		return a, true
	}
	return "", false
}
