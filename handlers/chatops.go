package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/models"
)

// ChatOps runs the text commands people type in Slack (/cx …) and Teams
// (@cxloop …). Platforms parse their own envelopes, resolve people to
// emails, and render the neutral Reply.
type ChatOps struct {
	Store  *models.Store
	Policy *models.Policy
	Clock  models.Clock
	// Backlog and Digest answer "backlog" and "digest [YYYY-MM]"; nil until
	// the outer loop and the digest are configured.
	Backlog func(ctx context.Context, actor string) (string, error)
	Digest  func(ctx context.Context, actor, month string) (string, error)
	// Directory, when set, describes how people resolve on the platform for
	// "team": it returns the emails that resolve to nobody.
	Unresolved func(ctx context.Context, emails []string) []string
	// PlatformStatus adds a line per connected platform to "team", e.g.
	// whether the team's Teams channel is installed.
	PlatformStatus []func(ctx context.Context, team *models.TeamPolicy) string
}

// Reply is a command's answer: text and the cases it concerns.
type Reply struct {
	Text   string
	Cards  []bot.Card
	Public bool // answer in the channel instead of privately
	// Lang is the language the answer and its cards are written in.
	Lang string
}

// ResolvePerson turns a platform's reference to a person ("<@U123>", a
// mention) into an email.
type ResolvePerson func(ctx context.Context, ref string) (string, error)

// Run executes one command line for actor (an email).
func (o *ChatOps) Run(ctx context.Context, actor, line string, resolve ResolvePerson) Reply {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return Reply{Text: Usage}
	}
	name, args := strings.ToLower(fields[0]), fields[1:]
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), fields[0]))
	switch name {
	case "help":
		return Reply{Text: Usage}
	case "mine":
		return o.mine(ctx, actor)
	case "team":
		return o.team(ctx, actor, args)
	case "show":
		if len(args) != 1 {
			return usageReply("show CASE")
		}
		return o.show(ctx, actor, args[0])
	case "assign":
		if len(args) != 2 {
			return usageReply("assign CASE @person")
		}
		return o.assign(ctx, actor, args[0], args[1], resolve)
	case "note":
		if len(args) < 2 {
			return usageReply("note CASE TEXT")
		}
		text := strings.TrimSpace(strings.TrimPrefix(rest, args[0]))
		return o.act(ctx, actor, args[0], models.Op{Kind: models.OpNote, Note: text}, "Note added to case #%d.")
	case "told":
		if len(args) < 1 {
			return usageReply("told CASE [TEXT]")
		}
		id, ok := parseCaseID(args[0])
		if !ok {
			return usageReply("told CASE [TEXT] (a case number such as 42)")
		}
		note := strings.TrimSpace(strings.TrimPrefix(rest, args[0]))
		_, err := o.Store.MarkCustomerTold(ctx, o.Policy, o.Clock.Now(), id, actor, note)
		return Reply{Text: ActionOutcome(err, fmt.Sprintf("Noted: the customer of case #%d knows about the fix.", id), id)}
	case "backlog":
		if o.Backlog == nil {
			return Reply{Text: "The improvement backlog arrives with the digest."}
		}
		text, err := o.Backlog(ctx, actor)
		return textOrError(text, err)
	case "digest":
		month := ""
		if len(args) > 0 {
			month = args[0]
			if _, err := time.Parse("2006-01", month); err != nil || len(args) > 1 {
				return usageReply("digest [YYYY-MM]")
			}
		}
		if o.Digest == nil {
			return Reply{Text: "The monthly digest is not available in this version yet."}
		}
		text, err := o.Digest(ctx, actor, month)
		return textOrError(text, err)
	}
	return Reply{Text: fmt.Sprintf("I don't know %q.\n\n%s", fields[0], Usage)}
}

func usageReply(u string) Reply { return Reply{Text: "Usage: " + u} }

func textOrError(text string, err error) Reply {
	if err != nil {
		if r, ok := models.IsRefusal(err); ok {
			return Reply{Text: r.Msg}
		}
		return Reply{Text: "Sorry, that did not work; please try again."}
	}
	return Reply{Text: text}
}

// parseCaseID accepts "42" and "#42".
func parseCaseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	return id, err == nil && id > 0
}

func (o *ChatOps) mine(ctx context.Context, actor string) Reply {
	cases, err := o.Store.Cases(ctx, models.CaseFilter{Owner: actor, States: models.OpenStates})
	if err != nil {
		return Reply{Text: "Sorry, I could not read your cases; please try again."}
	}
	if len(cases) == 0 {
		return Reply{Text: "You have no open cases. 🎉"}
	}
	reply := Reply{Text: fmt.Sprintf("You have %d open case%s, soonest due first:", len(cases), plural(len(cases)))}
	reply.Cards = o.cards(ctx, cases)
	return reply
}

func (o *ChatOps) team(ctx context.Context, actor string, args []string) Reply {
	var team *models.TeamPolicy
	switch {
	case len(args) > 1:
		return usageReply("team [TEAM]")
	case len(args) == 1:
		t, ok := o.findTeam(args[0])
		if !ok {
			return Reply{Text: fmt.Sprintf("There is no team %q. Teams: %s.", args[0], o.teamIDs())}
		}
		team = t
	default:
		for i := range o.Policy.Teams {
			t := &o.Policy.Teams[i]
			if t.IsMember(actor) || t.IsManager(actor) {
				team = t
				break
			}
		}
		if team == nil {
			return Reply{Text: fmt.Sprintf("You are in no team. Name one: team TEAM (%s).", o.teamIDs())}
		}
	}
	open, err := o.Store.Cases(ctx, models.CaseFilter{TeamIDs: []string{team.ID}, States: models.OpenStates, Limit: 200})
	if err != nil {
		return Reply{Text: "Sorry, I could not read the team's cases; please try again."}
	}
	var overdue, unowned []models.Case
	for _, c := range open {
		if c.Overdue {
			overdue = append(overdue, c)
		}
		if c.Owner == "" {
			unowned = append(unowned, c)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d open case%s, %d overdue, %d without an owner.\n", team.Name, len(open), plural(len(open)), len(overdue), len(unowned))
	fmt.Fprintf(&b, "Managers: %s\nMembers: %s\nAssignment: %s\n", listOrNone(team.Managers), listOrNone(team.Members), team.Assign)
	if o.Unresolved != nil {
		if missing := o.Unresolved(ctx, append(append([]string{}, team.Members...), team.Managers...)); len(missing) > 0 {
			fmt.Fprintf(&b, "Not found on this platform: %s\n", strings.Join(missing, ", "))
		}
	}
	for _, status := range o.PlatformStatus {
		if line := status(ctx, team); line != "" {
			fmt.Fprintln(&b, line)
		}
	}
	reply := Reply{Text: strings.TrimSpace(b.String())}
	reply.Cards = o.cards(ctx, append(overdue, unowned...))
	return reply
}

func (o *ChatOps) findTeam(name string) (*models.TeamPolicy, bool) {
	for i := range o.Policy.Teams {
		t := &o.Policy.Teams[i]
		if strings.EqualFold(t.ID, name) || strings.EqualFold(t.Name, name) {
			return t, true
		}
	}
	return nil, false
}

func (o *ChatOps) teamIDs() string {
	ids := make([]string, len(o.Policy.Teams))
	for i, t := range o.Policy.Teams {
		ids[i] = t.ID
	}
	return strings.Join(ids, ", ")
}

func (o *ChatOps) show(ctx context.Context, actor, arg string) Reply {
	id, ok := parseCaseID(arg)
	if !ok {
		return usageReply("show CASE (a case number such as 42)")
	}
	v, err := o.Store.CaseView(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return Reply{Text: fmt.Sprintf("There is no case #%d.", id)}
	}
	if err != nil {
		return Reply{Text: "Sorry, I could not read that case; please try again."}
	}
	card := bot.NewCard(v, o.Policy)
	var b strings.Builder
	fmt.Fprintf(&b, "Case #%d — history:", id)
	for _, e := range v.Events {
		fmt.Fprintf(&b, "\n• %s %s: %s", e.At.UTC().Format("2006-01-02 15:04"), e.Actor, eventLine(e))
	}
	return Reply{Text: b.String(), Cards: []bot.Card{card}}
}

func eventLine(e models.CaseEvent) string {
	if e.Detail != "" {
		return e.Detail
	}
	return e.Kind
}

func (o *ChatOps) assign(ctx context.Context, actor, caseArg, personRef string, resolve ResolvePerson) Reply {
	if resolve == nil {
		return Reply{Text: "Name the person with an @mention."}
	}
	email, err := resolve(ctx, personRef)
	if err != nil || email == "" {
		return Reply{Text: fmt.Sprintf("I could not tell who %s is; use an @mention of someone in the workspace.", personRef)}
	}
	return o.act(ctx, actor, caseArg, models.Op{Kind: models.OpAssign, Assignee: email}, "Case #%d is now assigned to "+email+".")
}

// act runs a case action for a command and phrases the outcome.
func (o *ChatOps) act(ctx context.Context, actor, caseArg string, op models.Op, ok string) Reply {
	id, valid := parseCaseID(caseArg)
	if !valid {
		return usageReply(string(op.Kind) + " CASE … (a case number such as 42)")
	}
	_, err := o.Store.Act(ctx, o.Policy, o.Clock.Now(), id, actor, op)
	return Reply{Text: ActionOutcome(err, fmt.Sprintf(ok, id), id)}
}

// ActionOutcome phrases an action's result for the person who asked.
func ActionOutcome(err error, ok string, caseID int64) string {
	var fe *models.FieldError
	switch {
	case err == nil:
		return ok
	case errors.Is(err, models.ErrNotFound):
		return fmt.Sprintf("There is no case #%d.", caseID)
	case errors.As(err, &fe):
		return fe.Msg + "."
	}
	if r, is := models.IsRefusal(err); is {
		return titleFirst(r.Msg) + "."
	}
	return "Sorry, that did not work; nothing was changed. Please try again."
}

func (o *ChatOps) cards(ctx context.Context, cases []models.Case) []bot.Card {
	const max = 10 // keeps a reply inside the platforms' message limits
	var out []bot.Card
	for _, c := range cases {
		if len(out) == max {
			break
		}
		v, err := o.Store.CaseView(ctx, c.ID)
		if err != nil {
			continue
		}
		out = append(out, bot.NewCard(v, o.Policy))
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func titleFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
