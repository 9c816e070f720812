package bot

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

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
	Actions       []Action
}

// Attribute is one survey attribute, in name order.
type Attribute struct{ Name, Value string }

// NewCard builds the card of a case from its current state.
func NewCard(v models.CaseView, p *models.Policy) Card {
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
		Resolution: models.MaskPersonalData(c.Resolution), SubmittedAt: r.SubmittedAt, Location: p.TeamLocation(t),
	}
	for k, val := range r.Attributes {
		if k == "employee_email" || strings.TrimSpace(val) == "" {
			continue
		}
		card.Attributes = append(card.Attributes, Attribute{k, models.MaskPersonalData(val)})
	}
	sort.Slice(card.Attributes, func(i, j int) bool { return card.Attributes[i].Name < card.Attributes[j].Name })
	card.Actions = ActionsFor(c.State, c.Owner != "")
	return card
}

// ActionsFor lists the buttons a case in a state offers.
func ActionsFor(s models.CaseState, owned bool) []Action {
	switch s {
	case models.StateOpen:
		return []Action{ActionTake, ActionAssign, ActionNoContact, ActionShowContact}
	case models.StateAssigned:
		acts := []Action{ActionAssign, ActionThank, ActionResolve, ActionNoContact, ActionShowContact}
		if !owned {
			acts = append([]Action{ActionTake}, acts...)
		}
		return acts
	case models.StateThanked:
		return []Action{ActionAssign, ActionResolve, ActionShowContact}
	default:
		return []Action{ActionReopen, ActionShowContact}
	}
}

// Headline is a one-line summary: "Detractor · NPS 3 · Contact Center".
func (c Card) Headline() string {
	return fmt.Sprintf("%s · %s %d · %s", titleCase(string(c.Segment)), strings.ToUpper(string(c.Metric)), c.Score, c.TeamName)
}

// StateLabel is the state as people read it.
func (c Card) StateLabel() string {
	label := map[models.CaseState]string{
		models.StateOpen: "Open — no owner", models.StateAssigned: "Assigned", models.StateThanked: "Thanked",
		models.StateResolved: "Resolved", models.StateNoContact: "Closed — no contact",
	}[c.State]
	if label == "" {
		label = string(c.State)
	}
	if c.Overdue && !c.State.Closed() {
		label += " · OVERDUE"
	}
	return label
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}
