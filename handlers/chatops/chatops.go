package chatops

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// ChatOps runs the text commands people type in Slack (/cx …) and Teams
// (@cxloop …). Platforms parse their own envelopes, resolve people to
// emails, and render the neutral Reply.
type ChatOps struct {
	Store  *models.Store
	Policy *models.Policy
	Clock  models.Clock
	// Digest answers "digest [YYYY-MM]", headed in lang, the asker's
	// language; nil until the digest is configured. ("backlog" is answered
	// by each platform with its own card.)
	Digest func(ctx context.Context, lang, month string) (string, error)
	// Unresolved, when set, returns the emails that resolve to nobody on the
	// platform, for "team".
	Unresolved func(ctx context.Context, emails []string) []string
	// PlatformStatus adds a line per connected platform to "team", e.g.
	// whether the team's Teams channel is installed.
	// The line is in lang, the asker's.
	PlatformStatus []func(ctx context.Context, lang string, team *models.TeamPolicy) string
	// Queued, when set, wakes the delivery worker after a command queued
	// messages.
	Queued func()
	// Lang is the language answers are written in: the asker's. Empty is
	// the asker's team's.
	Lang string
}

// t is the message id in the answer's language.
func (o *ChatOps) t(actor, id string, kv ...any) string { return l10n.T(o.lang(actor), id, kv...) }

func (o *ChatOps) lang(actor string) string {
	if o.Lang != "" {
		return o.Lang
	}
	return o.Policy.PersonLanguage(actor)
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

// Usage is the help text in lang: the commands, which are the same in
// every language, and what each does.
func Usage(lang string) string { return l10n.T(lang, "help.usage") }

// Run executes one command line for actor (an email).
func (o *ChatOps) Run(ctx context.Context, actor, line string, resolve ResolvePerson) Reply {
	lang := o.lang(actor)
	reply := o.run(ctx, actor, line, resolve)
	reply.Lang = lang
	for i := range reply.Cards {
		reply.Cards[i].Lang = lang
		if !reply.Public {
			// A private answer offers only the buttons the asker may use.
			reply.Cards[i] = reply.Cards[i].ForViewer(o.Policy, actor)
		}
	}
	return reply
}

func (o *ChatOps) run(ctx context.Context, actor, line string, resolve ResolvePerson) Reply {
	lang := o.lang(actor)
	usageReply := func(u string) Reply { return Reply{Text: l10n.T(lang, "cmd.usage", "Usage", u)} }
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return Reply{Text: Usage(lang)}
	}
	name, args := strings.ToLower(fields[0]), fields[1:]
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), fields[0]))
	switch name {
	case "help":
		return Reply{Text: Usage(lang)}
	case "mine":
		return o.mine(ctx, actor)
	case "team":
		return o.team(ctx, actor, args)
	case "show":
		if len(args) != 1 {
			return usageReply("show CASE")
		}
		return o.show(ctx, actor, args[0], usageReply)
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
		return o.act(ctx, actor, args[0], models.Op{Kind: models.OpNote, Note: text}, "cmd.note.done", usageReply)
	case "told":
		if len(args) < 1 {
			return usageReply("told CASE [TEXT]")
		}
		id, ok := parseCaseID(args[0])
		if !ok {
			return usageReply("told CASE [TEXT]")
		}
		note := strings.TrimSpace(strings.TrimPrefix(rest, args[0]))
		_, err := o.Store.MarkCustomerTold(ctx, o.Policy, o.Clock.Now(), id, actor, note)
		return Reply{Text: ActionOutcomeIn(lang, err, l10n.T(lang, "cmd.told.done", "CaseID", id), id)}
	case "away":
		return o.away(ctx, actor, args)
	case "back":
		return o.back(ctx, actor)
	case "digest":
		month := ""
		if len(args) > 0 {
			month = args[0]
			if _, err := time.Parse("2006-01", month); err != nil || len(args) > 1 {
				return usageReply("digest [YYYY-MM]")
			}
		}
		if o.Digest == nil {
			return Reply{Text: l10n.T(lang, "cmd.digest.off")}
		}
		text, err := o.Digest(ctx, lang, month)
		return textOrError(lang, text, err)
	}
	return Reply{Text: l10n.T(lang, "cmd.unknown", "Command", fields[0]) + "\n\n" + Usage(lang)}
}

func textOrError(lang, text string, err error) Reply {
	if err != nil {
		if r, ok := models.IsRefusal(err); ok {
			return Reply{Text: refusalIn(lang, r)}
		}
		return Reply{Text: l10n.T(lang, "cmd.failed")}
	}
	return Reply{Text: text}
}

// parseCaseID accepts "42" and "#42".
func parseCaseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	return id, err == nil && id > 0
}

func (o *ChatOps) mine(ctx context.Context, actor string) Reply {
	lang := o.lang(actor)
	cases, err := o.Store.Cases(ctx, models.CaseFilter{Owner: actor, States: models.OpenStates})
	if err != nil {
		return Reply{Text: l10n.T(lang, "cmd.failed")}
	}
	state := o.AwayNotice(ctx, actor)
	if len(cases) == 0 {
		return Reply{Text: state + l10n.T(lang, "home.mine.empty")}
	}
	reply := Reply{Text: state + l10n.N(lang, "cmd.mine", len(cases))}
	reply.Cards = o.cards(ctx, cases)
	return reply
}

func (o *ChatOps) team(ctx context.Context, actor string, args []string) Reply {
	lang := o.lang(actor)
	var team *models.TeamPolicy
	switch {
	case len(args) > 1:
		return Reply{Text: l10n.T(lang, "cmd.usage", "Usage", "team [TEAM]")}
	case len(args) == 1:
		t, ok := o.findTeam(args[0])
		if !ok {
			return Reply{Text: l10n.T(lang, "cmd.team.unknown", "Team", args[0], "Teams", o.teamIDs())}
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
			return Reply{Text: l10n.T(lang, "cmd.team.none", "Teams", o.teamIDs())}
		}
	}
	open, err := o.Store.Cases(ctx, models.CaseFilter{TeamIDs: []string{team.ID}, States: models.OpenStates, Limit: 200})
	if err != nil {
		return Reply{Text: l10n.T(lang, "cmd.failed")}
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
	b.WriteString(l10n.N(lang, "cmd.team.summary", len(open), "Team", team.Name,
		"Overdue", l10n.Number(lang, len(overdue)), "Unowned", l10n.Number(lang, len(unowned))) + "\n")
	b.WriteString(l10n.T(lang, "cmd.team.people", "Managers", listOrNone(lang, team.Managers), "Members", listOrNone(lang, team.Members),
		"Assign", string(team.Assign)) + "\n")
	if o.Unresolved != nil {
		if missing := o.Unresolved(ctx, append(append([]string{}, team.Members...), team.Managers...)); len(missing) > 0 {
			b.WriteString(l10n.T(lang, "cmd.team.not_found", "People", strings.Join(missing, ", ")) + "\n")
		}
	}
	for _, status := range o.PlatformStatus {
		if line := status(ctx, lang, team); line != "" {
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

func (o *ChatOps) show(ctx context.Context, actor, arg string, usageReply func(string) Reply) Reply {
	lang := o.lang(actor)
	id, ok := parseCaseID(arg)
	if !ok {
		return usageReply("show CASE")
	}
	v, err := o.Store.CaseView(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return Reply{Text: l10n.T(lang, "cmd.no_case", "CaseID", id)}
	}
	if err != nil {
		return Reply{Text: l10n.T(lang, "cmd.failed")}
	}
	card := bot.NewCardAt(v, o.Policy, o.Clock.Now())
	var b strings.Builder
	b.WriteString(l10n.T(lang, "cmd.show.history", "CaseID", id))
	for _, e := range v.Events {
		fmt.Fprintf(&b, "\n• %s %s: %s", e.At.UTC().Format("2006-01-02 15:04"), e.Actor, eventLine(e))
	}
	return Reply{Text: b.String(), Cards: []bot.Card{card}}
}

func eventLine(e models.CaseEvent) string {
	if e.Detail != "" {
		return models.MaskPersonalData(e.Detail)
	}
	return e.Kind
}

func (o *ChatOps) assign(ctx context.Context, actor, caseArg, personRef string, resolve ResolvePerson) Reply {
	lang := o.lang(actor)
	if resolve == nil {
		return Reply{Text: l10n.T(lang, "cmd.assign.mention")}
	}
	email, err := resolve(ctx, personRef)
	if err != nil || email == "" {
		return Reply{Text: l10n.T(lang, "cmd.assign.who", "Person", personRef)}
	}
	return o.act(ctx, actor, caseArg, models.Op{Kind: models.OpAssign, Assignee: email}, "cmd.assign.done",
		func(u string) Reply { return Reply{Text: l10n.T(lang, "cmd.usage", "Usage", u)} }, "Person", email)
}

// act runs a case action for a command and phrases the outcome.
func (o *ChatOps) act(ctx context.Context, actor, caseArg string, op models.Op, okID string, usageReply func(string) Reply, kv ...any) Reply {
	lang := o.lang(actor)
	id, valid := parseCaseID(caseArg)
	if !valid {
		return usageReply(string(op.Kind) + " CASE …")
	}
	_, err := o.Store.Act(ctx, o.Policy, o.Clock.Now(), id, actor, op)
	return Reply{Text: ActionOutcomeIn(lang, err, l10n.T(lang, okID, append([]any{"CaseID", id}, kv...)...), id)}
}

// ActionOutcomeIn phrases an action's result in lang. Refusals and input
// errors are the domain's own sentences.
func ActionOutcomeIn(lang string, err error, ok string, caseID int64) string {
	var fe *models.FieldError
	switch {
	case err == nil:
		return ok
	case errors.Is(err, models.ErrNotFound):
		return l10n.T(lang, "cmd.no_case", "CaseID", caseID)
	case errors.As(err, &fe):
		return FieldSentence(FieldIn(lang, fe))
	}
	if r, is := models.IsRefusal(err); is {
		return TitleFirst(refusalIn(lang, r)) + "."
	}
	return l10n.T(lang, "cmd.failed_nothing_changed")
}

// refusalIn is a refusal's sentence in lang when the catalog has it, else
// the domain's English.
func refusalIn(lang string, r *models.Refusal) string {
	if r.ID == "" {
		return r.Msg
	}
	kv := append([]any(nil), r.Args...)
	for k, id := range r.Terms {
		kv = append(kv, k, l10n.T(lang, id))
	}
	return l10n.T(lang, r.ID, kv...)
}

// FieldIn says what is wrong with an input in lang when the catalog has
// it, else in the domain's English.
func FieldIn(lang string, fe *models.FieldError) string {
	if fe.ID == "" {
		return fe.Msg
	}
	return l10n.T(lang, fe.ID, fe.Args...)
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
		out = append(out, bot.NewCardAt(v, o.Policy, o.Clock.Now()))
	}
	return out
}

func listOrNone(lang string, l []string) string {
	if len(l) == 0 {
		return l10n.T(lang, "cmd.none")
	}
	return strings.Join(l, ", ")
}

// TitleFirst upper-cases the first letter of s.
func TitleFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:] // by rune: "случай", "ümber"
}
