package bot

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// Action is a button on a case card: the case action it starts.
type Action = models.OpKind

const (
	ActionTake        = models.OpTake
	ActionAssign      = models.OpAssign
	ActionThank       = models.OpThank
	ActionResolve     = models.OpResolve
	ActionNoContact   = models.OpNoContact
	ActionShowContact = models.OpContact
	ActionReopen      = models.OpReopen
)

// Card is a case as every platform shows it. Text fields hold the
// untrusted words of customers and survey tools, with their personal data
// masked; each renderer escapes them for its own markup.
type Card struct {
	CaseID        int64
	Segment       models.Segment
	Metric        models.Metric
	Score         int
	TeamID        string
	TeamName      string
	Touchpoint    string
	Source        string
	Attributes    []Attribute
	Comment       string
	CustomerName  string
	MaskedEmail   string
	MaskedPhone   string
	Owner         string
	State         models.CaseState
	ThankYouDue   time.Time
	ResolutionDue time.Time
	Location      *time.Location // the team's zone, in which due times are written
	ThankedAt     *time.Time
	ResolvedAt    *time.Time
	Overdue       bool
	Themes        []string
	RootCause     string
	Resolution    string
	SubmittedAt   time.Time
	// Later are the customer's later responses that joined this case.
	Later   []LaterResponse
	Actions []Action
	// Email says whether the customer may be emailed (and if not, why);
	// ThankMethods are the thank-you methods offered accordingly, and
	// ThankYouEmail the thank-you prefilled in the customer's language when
	// email is allowed on an assigned case.
	Email         models.EmailOffer
	ThankMethods  []string
	ThankYouEmail *models.Draft
	// Lang is the language the card is written in: the team's for its
	// channel, the reader's for a DM.
	Lang string
	// Labels names root causes and themes per language, as the YAML gives
	// them: Labels[id][lang]. Ids without one show as written.
	Labels map[string]map[string]string
	// Now is the clock the card is written at: due times read relative to
	// it ("in 3 h"). Zero leaves them absolute.
	Now time.Time
	// Escalations are the late follow-ups the managers were told of.
	Escalations []Escalation
	// Names are people's names by lower-case email, from the platform's
	// directory; a person without one is named from their email.
	Names map[string]string
	// ReadOnly is the view of someone outside the team: no button at all,
	// not even the ones that only show more.
	ReadOnly bool
}

// Label is a root cause's or theme's name in the card's language.
func (c Card) Label(id string) string {
	if l := c.Labels[id][c.Lang]; l != "" {
		return l
	}
	return id
}

// LaterResponse is a later answer of the same customer, shown on the card.
type LaterResponse struct {
	Metric  models.Metric
	Score   int
	Comment string // raw, untrusted
	At      time.Time
}

// LaterLine is a later response as one line: "NPS 1 — “first words”".
func (l LaterResponse) LaterLine() string {
	s := fmt.Sprintf("%s %d", strings.ToUpper(string(l.Metric)), l.Score)
	if c := models.FirstWords(l.Comment, 25); c != "" {
		s += " — “" + c + "”"
	}
	return s
}

// Attribute is one survey attribute, in name order.
type Attribute struct{ Name, Value string }

// NewCard builds the card of a case from its current state, with due
// times absolute only; NewCardAt writes them relative to a clock.
func NewCard(v models.CaseView, p *models.Policy) Card { return NewCardAt(v, p, time.Time{}) }

// NewCardAt builds the card of a case from its current state, as read at now.
func NewCardAt(v models.CaseView, p *models.Policy, now time.Time) Card {
	c, r := v.Case, v.Response
	teamName := c.TeamID
	t, ok := p.Team(c.TeamID)
	if ok && t.Name != "" {
		teamName = t.Name
	}
	if !ok {
		t = nil
	}
	card := Card{
		CaseID: c.ID, Segment: r.Segment, Metric: r.Metric, Score: r.Score, TeamID: c.TeamID, TeamName: teamName,
		Touchpoint: r.Touchpoint, Source: r.Source, Comment: models.MaskPersonalData(r.Comment), CustomerName: r.CustomerName,
		MaskedEmail: models.MaskEmail(r.CustomerEmail), MaskedPhone: models.MaskPhone(r.CustomerPhone), Owner: c.Owner,
		State: c.State, ThankYouDue: c.ThankYouDueAt, ResolutionDue: c.ResolutionDueAt, ThankedAt: c.ThankedAt,
		ResolvedAt: c.ResolvedAt, Overdue: c.Overdue, Themes: r.Themes, RootCause: c.RootCause,
		Resolution: models.MaskPersonalData(c.Resolution), SubmittedAt: r.SubmittedAt, Lang: p.TeamLanguage(c.TeamID),
		Labels: p.Labels, Location: p.TeamLocation(t), Now: now,
	}
	card.Escalations = escalations(v, managers(p, t))
	for k, val := range r.Attributes {
		if k == "employee_email" || strings.TrimSpace(val) == "" {
			continue
		}
		card.Attributes = append(card.Attributes, Attribute{k, models.MaskPersonalData(val)})
	}
	for _, j := range v.Joined {
		card.Later = append(card.Later, LaterResponse{Metric: j.Metric, Score: j.Score, Comment: j.Comment, At: j.SubmittedAt})
	}
	sort.Slice(card.Attributes, func(i, j int) bool { return card.Attributes[i].Name < card.Attributes[j].Name })
	card.Actions = ActionsFor(c.State, c.Owner != "")
	card.Email = p.EmailOffer(v)
	card.ThankMethods = p.ThankMethodsFor(card.Email)
	if card.Email.Allowed() && c.State == models.StateAssigned {
		if d, err := p.CaseDraft(v, models.MessageThankYou, c.Owner, ""); err == nil {
			card.ThankYouEmail = &d
		}
	}
	return card
}

// ActionsFor lists the buttons a case in a state offers, the next step
// first: take an open case, log the thank-you, resolve, reopen.
func ActionsFor(s models.CaseState, owned bool) []Action {
	switch s {
	case models.StateOpen:
		return []Action{ActionTake, ActionAssign, ActionNoContact, ActionShowContact}
	case models.StateAssigned:
		acts := []Action{ActionThank, ActionResolve, ActionAssign, ActionNoContact, ActionShowContact}
		if !owned {
			acts = append([]Action{ActionTake}, acts...)
		}
		return acts
	case models.StateThanked:
		return []Action{ActionResolve, ActionAssign, ActionShowContact}
	default:
		return []Action{ActionReopen, ActionShowContact}
	}
}

// managers are who a team's late follow-ups go to: its managers, else the
// admins (as the SLA sweep does).
func managers(p *models.Policy, t *models.TeamPolicy) []string {
	if t != nil && len(t.Managers) > 0 {
		return t.Managers
	}
	return p.Admins
}

// escalations reads the overdue notices from the case's trail. The trail
// records which follow-up in its (English, fixed) detail.
func escalations(v models.CaseView, to []string) []Escalation {
	var out []Escalation
	for _, e := range v.Events {
		if e.Kind != "overdue" {
			continue
		}
		x := Escalation{Followup: models.FollowupThankYou, Due: v.Case.ThankYouDueAt, At: e.At, To: to}
		if strings.Contains(e.Detail, "resolution") {
			x.Followup, x.Due = models.FollowupResolution, v.Case.ResolutionDueAt
		}
		out = append(out, x)
	}
	return out
}

// T is the message id in the card's language.
func (c Card) T(id string, kv ...any) string { return l10n.T(c.Lang, id, kv...) }

// SegmentLabel is the segment as the card's reader calls it: "Kriitik".
func (c Card) SegmentLabel() string {
	switch c.Segment {
	case models.SegmentDetractor, models.SegmentPassive, models.SegmentPromoter:
		return c.T("segment." + string(c.Segment))
	}
	return titleCase(string(c.Segment))
}

// MetricLabel is the metric's abbreviation, the same in every language.
func (c Card) MetricLabel() string { return strings.ToUpper(string(c.Metric)) }

// Headline is a one-line summary: "Detractor · NPS 3 · Contact Center".
func (c Card) Headline() string {
	return c.T("card.headline", "Segment", c.SegmentLabel(), "Metric", c.MetricLabel(), "Score", c.Score, "Team", c.TeamName)
}

// Ref names the case: "Case #12", "Juhtum #12".
func (c Card) Ref() string { return c.T("case.ref", "CaseID", c.CaseID) }

// StateName is the state without the overdue marker: "Assigned".
func (c Card) StateName() string {
	switch c.State {
	case models.StateOpen, models.StateAssigned, models.StateThanked, models.StateResolved, models.StateNoContact:
		return c.T("state." + string(c.State))
	}
	return string(c.State)
}

// ShowsOverdue reports whether the card carries the overdue marker.
func (c Card) ShowsOverdue() bool { return c.Overdue && !c.State.Closed() }

// StateLabel is the state as people read it, with the overdue marker.
func (c Card) StateLabel() string {
	if c.ShowsOverdue() {
		return c.T("state.with_overdue", "State", c.StateName(), "Overdue", c.T("state.overdue"))
	}
	return c.StateName()
}

// Summary is the case in one line: "Case #12 · Detractor · NPS 3 · Team · Assigned".
func (c Card) Summary() string {
	return c.T("card.summary", "CaseID", c.CaseID, "Headline", c.Headline(), "State", c.StateLabel())
}

// ActionLabel is a button's text in the card's language.
func (c Card) ActionLabel(a Action) string {
	if id, ok := actionLabels[a]; ok {
		return c.T(id)
	}
	return titleCase(strings.ReplaceAll(string(a), "_", " "))
}

var actionLabels = map[Action]string{
	ActionTake: "card.button.take", ActionAssign: "card.button.assign", ActionThank: "card.button.thank",
	ActionResolve: "card.button.resolve", ActionNoContact: "card.button.no_contact",
	ActionShowContact: "card.button.show_contact", ActionReopen: "card.button.reopen",
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}
