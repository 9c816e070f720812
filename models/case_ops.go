package models

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// OpKind is something a person does to a case.
type OpKind string

const (
	OpTake      OpKind = "take"
	OpAssign    OpKind = "assign"
	OpThank     OpKind = "thank"
	OpResolve   OpKind = "resolve"
	OpNoContact OpKind = "no_contact"
	OpNote      OpKind = "note"
	OpReopen    OpKind = "reopen"
	OpContact   OpKind = "show_contact" // reading contact details: authorised, recorded as contact_viewed
)

// Thank-you methods and no-contact reasons offered to people.
var (
	ThankMethods     = []string{"call", "email", "meeting", "message", "other"}
	NoContactReasons = []string{"anonymous", "no_consent", "unreachable"}
)

// Op is one action with its inputs.
type Op struct {
	Kind      OpKind
	Assignee  string // assign: the new owner's email
	Method    string // thank: how the customer was thanked
	Note      string // thank, resolve, no_contact, note: free text
	RootCause string // resolve
	Systemic  bool   // resolve: feeds the improvement backlog
	Reason    string // no_contact
	// Email, for thank with method "email" and for resolve, is the message
	// cxloop sends the customer in the same transaction (resolve: only when
	// set); an empty subject or body is filled from the customer_messages
	// template.
	Email *Draft
}

// ThankByEmail is the thank-you method that has cxloop email the customer.
const ThankByEmail = "email"

// Refusal is an action a person may not take, with the sentence to show them:
// Msg in English, and, when set, ID and Args name the catalog message that
// says it in the reader's language (the domain does not know who reads).
type Refusal struct {
	Msg  string
	ID   string
	Args []any // key, value pairs for the catalog message
	// Terms are arguments that are catalog ids themselves (a status name),
	// written in the reader's language.
	Terms map[string]string
}

func (r *Refusal) Error() string { return r.Msg }

func refuse(format string, a ...any) error { return &Refusal{Msg: fmt.Sprintf(format, a...)} }

// refuseAs is a refusal with catalog message id; en is its English sentence.
func refuseAs(id, en string, kv ...any) error { return &Refusal{Msg: en, ID: id, Args: kv} }

// refuseState is a refusal about case c in its state, which the sentence
// names in the reader's language.
func refuseState(id, en string, c *Case) error {
	return &Refusal{Msg: en, ID: id, Args: []any{"CaseID", c.ID}, Terms: map[string]string{"State": "caserefusal.state." + string(c.State)}}
}

// fieldError is bad input with the catalog message id that says what is
// wrong in the reader's language; en is the English.
func fieldError(field, id, en string, kv ...any) error {
	return &FieldError{Field: field, Msg: en, ID: id, Args: kv}
}

// IsRefusal reports whether err is a refusal and returns it.
func IsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}

// Authorize checks roles: admins may do anything; a team's managers may
// assign, reassign, reopen and see contact details within their team; its
// members may take cases, act on cases they own and add notes; anyone else
// may only read.
func (p *Policy) Authorize(actor string, op OpKind, c *Case) error {
	if p.IsAdmin(actor) {
		return nil
	}
	team, ok := p.Team(c.TeamID)
	if !ok {
		return refuseAs("caserefusal.no_team", fmt.Sprintf("case #%d belongs to no configured team; only admins can act on it", c.ID), "CaseID", c.ID)
	}
	manager, member := team.IsManager(actor), team.IsMember(actor)
	owner := strings.EqualFold(c.Owner, actor) && actor != ""
	if manager {
		return nil
	}
	switch op {
	case OpNote:
		if member || owner {
			return nil
		}
		return refuseAs("caserefusal.note_members", fmt.Sprintf("only members of %s can add notes to case #%d", team.Name, c.ID),
			"CaseID", c.ID, "Team", team.Name)
	case OpTake:
		if !member {
			return refuseAs("caserefusal.take_members", fmt.Sprintf("only members of %s can take case #%d", team.Name, c.ID),
				"CaseID", c.ID, "Team", team.Name)
		}
		if c.Owner != "" && !owner {
			return refuseAs("refusal.take_owned",
				fmt.Sprintf("case #%d belongs to %s; only managers of %s can reassign", c.ID, c.Owner, team.Name),
				"CaseID", c.ID, "Owner", c.Owner, "Team", team.Name)
		}
		return nil
	case OpAssign, OpReopen:
		if op == OpReopen {
			return refuseAs("refusal.managers_reopen", fmt.Sprintf("only managers of %s can reopen", team.Name), "Team", team.Name)
		}
		return refuseAs("refusal.managers_reassign", fmt.Sprintf("only managers of %s can reassign", team.Name), "Team", team.Name)
	case OpContact:
		if owner {
			return nil
		}
		return refuseAs("caserefusal.contact_owner",
			fmt.Sprintf("only the owner of case #%d and managers of %s can see the customer's contact details", c.ID, team.Name),
			"CaseID", c.ID, "Team", team.Name)
	default:
		if owner {
			return nil
		}
		en := fmt.Sprintf("only the owner of case #%d (%s) and managers of %s can do that", c.ID, ownerOrNobody(c.Owner), team.Name)
		if c.Owner == "" {
			return refuseAs("caserefusal.owner_only_unowned", en, "CaseID", c.ID, "Team", team.Name)
		}
		return refuseAs("caserefusal.owner_only", en, "CaseID", c.ID, "Owner", c.Owner, "Team", team.Name)
	}
}

func ownerOrNobody(o string) string {
	if o == "" {
		return "nobody yet"
	}
	return o
}

// customerEmail says which customer message the op sends, if any.
func (op Op) customerEmail() (string, *Draft) {
	d := op.Email
	if d == nil {
		d = &Draft{}
	}
	switch {
	case op.Kind == OpThank && strings.EqualFold(op.Method, ThankByEmail):
		return MessageThankYou, d
	case op.Kind == OpResolve && op.Email != nil:
		return MessageResolution, d
	}
	return "", nil
}

// emailedLine is the thread line of an action that emailed the customer, in
// English and as the catalog message the thread reads.
func emailedLine(purpose, actor string) (string, *Message) {
	name := PersonName(actor)
	m := &Message{ID: MsgResolveEmailed, Args: map[string]string{"Name": name}}
	if purpose == MessageThankYou {
		m.ID = MsgThankEmailed
		return "Thank-you emailed by " + name + ".", m
	}
	return "Resolved by " + name + "; the customer was emailed what was done.", m
}

// transition moves c by op, returning the columns to write and a sentence
// for the trail. It changes c in memory too.
func (p *Policy) transition(c *Case, actor string, op Op, now time.Time) (map[string]any, string, error) {
	team, _ := p.Team(c.TeamID)
	teamName := c.TeamID
	if team != nil {
		teamName = team.Name
	}
	closed := c.State.Closed()
	switch op.Kind {
	case OpTake:
		if closed {
			return nil, "", refuseState("caserefusal.reopen_first", fmt.Sprintf("case #%d is %s; reopen it first", c.ID, c.State), c)
		}
		if strings.EqualFold(c.Owner, actor) {
			return nil, "", refuseAs("caserefusal.already_yours", fmt.Sprintf("case #%d is already yours", c.ID), "CaseID", c.ID)
		}
		c.Owner = actor
		if c.State == StateOpen {
			c.State = StateAssigned
		}
		return map[string]any{"owner": c.Owner, "state": c.State}, "took the case", nil
	case OpAssign:
		if closed {
			return nil, "", refuseState("caserefusal.reopen_first", fmt.Sprintf("case #%d is %s; reopen it first", c.ID, c.State), c)
		}
		who := strings.TrimSpace(op.Assignee)
		if team == nil || !(team.IsMember(who) || team.IsManager(who)) {
			en := fmt.Sprintf("%s is not a member or manager of %s", ownerOrNobody(who), teamName)
			if who == "" {
				return nil, "", fieldError("assignee", "caserefusal.assignee_missing", en, "Team", teamName)
			}
			return nil, "", fieldError("assignee", "caserefusal.assignee_not_member", en, "Person", who, "Team", teamName)
		}
		if strings.EqualFold(c.Owner, who) {
			return nil, "", refuseAs("caserefusal.already_assigned", fmt.Sprintf("case #%d is already assigned to %s", c.ID, who), "CaseID", c.ID, "Person", who)
		}
		c.Owner = who
		if c.State == StateOpen {
			c.State = StateAssigned
		}
		return map[string]any{"owner": c.Owner, "state": c.State}, "assigned the case to " + who, nil
	case OpThank:
		if c.State != StateAssigned {
			return nil, "", refuseState("caserefusal.thank_state", fmt.Sprintf("case #%d is %s: a thank-you is logged on an assigned case", c.ID, c.State), c)
		}
		if !containsFold(ThankMethods, op.Method) {
			return nil, "", fieldError("method", "caserefusal.thank_method", "choose how the customer was thanked: "+strings.Join(ThankMethods, ", "),
				"List", strings.Join(ThankMethods, ", "))
		}
		c.State, c.ThankedAt, c.ThankMethod = StateThanked, &now, strings.ToLower(op.Method)
		// The thank-you is done; the card stays OVERDUE only if the resolution is late too.
		c.Overdue = !now.Before(c.ResolutionDueAt)
		return map[string]any{"state": c.State, "thanked_at": now, "thank_method": c.ThankMethod, "overdue": c.Overdue},
			withNote("thanked the customer by "+c.ThankMethod, op.Note), nil
	case OpResolve:
		if c.State != StateAssigned && c.State != StateThanked {
			return nil, "", refuseState("caserefusal.resolve_state", fmt.Sprintf("case #%d is %s and cannot be resolved", c.ID, c.State), c)
		}
		if !containsFold(p.RootCauses, op.RootCause) {
			return nil, "", fieldError("root_cause", "caserefusal.root_cause", "choose a root cause: "+strings.Join(p.RootCauses, ", "),
				"List", strings.Join(p.RootCauses, ", "))
		}
		if strings.TrimSpace(op.Note) == "" {
			return nil, "", fieldError("note", "caserefusal.resolve_note", "say what was done for the customer")
		}
		c.State, c.ResolvedAt, c.ClosedAt = StateResolved, &now, &now
		c.RootCause, c.Resolution, c.Systemic = strings.ToLower(op.RootCause), op.Note, op.Systemic
		detail := "resolved (root cause: " + c.RootCause
		if op.Systemic {
			detail += ", systemic"
		}
		return map[string]any{"state": c.State, "resolved_at": now, "closed_at": now, "root_cause": c.RootCause,
			"resolution": c.Resolution, "systemic": c.Systemic}, withNote(detail+")", op.Note), nil
	case OpNoContact:
		if closed {
			return nil, "", refuseState("caserefusal.already_closed", fmt.Sprintf("case #%d is already %s", c.ID, c.State), c)
		}
		if !containsFold(NoContactReasons, op.Reason) {
			return nil, "", fieldError("reason", "caserefusal.reason", "choose a reason: "+strings.Join(NoContactReasons, ", "),
				"List", strings.Join(NoContactReasons, ", "))
		}
		c.State, c.ClosedAt, c.NoContactReason = StateNoContact, &now, strings.ToLower(op.Reason)
		return map[string]any{"state": c.State, "closed_at": now, "no_contact_reason": c.NoContactReason},
			withNote("closed without contact ("+strings.ReplaceAll(c.NoContactReason, "_", " ")+")", op.Note), nil
	case OpNote:
		if strings.TrimSpace(op.Note) == "" {
			return nil, "", fieldError("note", "caserefusal.note_empty", "a note needs some text")
		}
		return nil, "note: " + op.Note, nil
	case OpReopen:
		if !closed {
			return nil, "", refuseState("caserefusal.not_closed", fmt.Sprintf("case #%d is %s, not closed", c.ID, c.State), c)
		}
		if c.Owner == "" {
			c.Owner = actor
		}
		c.State, c.ClosedAt, c.ResolvedAt = StateAssigned, nil, nil
		return map[string]any{"state": c.State, "owner": c.Owner, "closed_at": nil, "resolved_at": nil}, "reopened the case", nil
	}
	return nil, "", refuseAs("backlogoutcome.unknown_action", fmt.Sprintf("unknown action %q", op.Kind), "Action", string(op.Kind))
}

// threadLine is the card's thread line for an action, written in the
// team's language at delivery; nil keeps the English trail line.
func threadLine(op Op, c *Case, actor string) *Message {
	m := Message{Args: map[string]string{"Actor": actor, "Owner": c.Owner, "RootCause": c.RootCause}}
	switch op.Kind {
	case OpTake:
		m.ID = MsgThreadTake
	case OpAssign:
		m.ID = MsgThreadAssign
	case OpThank:
		m.ID, m.Terms = MsgThreadThank, map[string]string{"Method": "method." + c.ThankMethod}
	case OpResolve:
		m.ID = MsgThreadResolve
		if op.Systemic {
			m.ID = MsgThreadResolveSystemic
		}
	case OpNoContact:
		m.ID, m.Terms = MsgThreadNoContact, map[string]string{"Reason": "reason." + c.NoContactReason}
	case OpReopen:
		m.ID = MsgThreadReopen
	case OpNote:
		m.ID = MsgThreadNote
	default:
		return nil
	}
	if n := strings.TrimSpace(op.Note); n != "" {
		m.Args["Note"] = n
		m.ID += "_note"
	}
	return &m
}

func withNote(s, note string) string {
	if n := strings.TrimSpace(note); n != "" {
		return s + " — " + n
	}
	return s
}

// CaseFilter selects cases for lists.
type CaseFilter struct {
	Owner   string
	TeamIDs []string
	States  []CaseState
	Overdue *bool
	Limit   int
}

// OpenStates are the states that still need follow-up.
var OpenStates = []CaseState{StateOpen, StateAssigned, StateThanked}
