package teamsapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/core"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/handlers/httpio"
	"github.com/cxloop/cxloop/models"
)

// Bot serves POST /api/messages: Bot Framework activities from Microsoft
// Teams. Every request's token is checked by the adapter's TokenValidator
// (a *teams.Validator) before anything else; activities are deduplicated by
// id; each one refreshes the conversation reference it comes from; card
// actions go through Store.Act with the same role checks as Slack; commands
// go through ChatOps.
type Bot struct {
	Store     *models.Store
	Policy    *models.Policy
	Clock     models.Clock
	Log       *slog.Logger
	Ops       *chatops.ChatOps
	Adapter   *core.BotFrameworkAdapter
	Messenger *teams.Messenger
	// Queued wakes the delivery worker after a change queued messages.
	Queued func()
	// ReplyTimeout bounds the replies sent while a request is answered
	// (default 8 s: Teams gives up on a request after about 15 s).
	ReplyTimeout time.Duration
}

// InvokeResponse is the body of the answer to an adaptiveCard/action invoke.
type InvokeResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type"`
	Value      any    `json:"value"`
}

// Invoke response types.
const (
	InvokeCard    = "application/vnd.microsoft.card.adaptive"
	InvokeMessage = "application/vnd.microsoft.activity.message"
)

// MessagingPath is the bot's messaging endpoint, as the Teams manifest and
// the Azure Bot resource name it.
const MessagingPath = "/api/messages"

// Routes is POST /api/messages.
func (h *Bot) Routes() map[string]http.Handler {
	return map[string]http.Handler{"POST " + MessagingPath: h}
}

// ServeHTTP handles one activity.
func (h *Bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") == "" {
		httpio.WriteError(w, http.StatusUnauthorized, "", "missing bearer token")
		return
	}
	body, ok := httpio.ReadBody(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	parse := r.Clone(ctx)
	parse.Body = io.NopCloser(bytes.NewReader(body))
	if _, err := h.Adapter.ParseRequest(ctx, parse); err != nil {
		var ae *teams.AuthError
		if errors.As(err, &ae) {
			h.log().Warn("teams: rejected activity", "reason", ae.Reason)
			httpio.WriteError(w, http.StatusUnauthorized, "", "unauthorized")
			return
		}
		httpio.WriteError(w, http.StatusBadRequest, "", "malformed activity")
		return
	}
	in, err := teams.ParseInbound(body)
	if err != nil {
		httpio.WriteError(w, http.StatusBadRequest, "", "malformed activity")
		return
	}
	now := h.Clock.Now()
	if in.ID == "" && (in.Type == teams.TypeMessage || in.Type == teams.TypeInvoke) {
		// Bot Framework's token does not cover the body: the activity id is
		// what records a command or a button press once, so one without it
		// could be replayed at will.
		httpio.WriteError(w, http.StatusBadRequest, "", "activity without an id")
		return
	}
	if in.ID != "" {
		first, err := h.Store.FirstSeen(ctx, teams.Platform, dedupKey(in), now)
		if err != nil {
			h.log().Error("teams: record activity", "err", err)
			httpio.WriteError(w, http.StatusInternalServerError, "", "please retry")
			return
		}
		if !first {
			h.repeat(ctx, w, in)
			return
		}
	}
	if in.Type == teams.TypeConversationUpdate && (in.BotRemoved() || in.ChannelData.EventType == "teamDeleted") {
		h.uninstall(ctx, in, now)
		httpio.WriteJSON(w, http.StatusOK, struct{}{})
		return
	}
	h.remember(ctx, in, now)
	switch in.Type {
	case teams.TypeInvoke:
		if in.Name != teams.InvokeCardAction {
			httpio.WriteJSON(w, http.StatusOK, struct{}{})
			return
		}
		httpio.WriteJSON(w, http.StatusOK, h.invoke(ctx, in))
	case teams.TypeMessage:
		if req, ok, err := in.Action(); ok {
			h.submit(ctx, in, req, err)
		} else {
			h.command(ctx, in)
		}
		httpio.WriteJSON(w, http.StatusOK, struct{}{})
	case teams.TypeConversationUpdate:
		if in.BotAdded() && in.TeamID() != "" {
			h.install(ctx, in, now)
		}
		httpio.WriteJSON(w, http.StatusOK, struct{}{})
	default:
		// Reactions, installation updates, typing…: acknowledged, unused.
		httpio.WriteJSON(w, http.StatusOK, struct{}{})
	}
}

func (h *Bot) log() *slog.Logger {
	if h.Log == nil {
		return slog.Default()
	}
	return h.Log
}

func (h *Bot) queued() {
	if h.Queued != nil {
		h.Queued()
	}
}

func (h *Bot) replyCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	d := h.ReplyTimeout
	if d <= 0 {
		d = 8 * time.Second
	}
	return context.WithTimeout(ctx, d)
}

// dedupKey names an activity: ids are unique within a conversation.
func dedupKey(in *teams.Inbound) string {
	k := in.ID + "@" + in.Conversation.ID
	if len(k) > 200 {
		k = k[:200]
	}
	return k
}

// repeat answers an activity delivered twice without acting again; a
// repeated invoke still gets the card as it is now.
func (h *Bot) repeat(ctx context.Context, w http.ResponseWriter, in *teams.Inbound) {
	if in.Type == teams.TypeInvoke && in.Name == teams.InvokeCardAction {
		if req, ok, err := in.Action(); ok && err == nil {
			if v, err := h.Store.CaseView(ctx, req.CaseID); err == nil {
				httpio.WriteJSON(w, http.StatusOK, InvokeResponse{StatusCode: 200, Type: InvokeCard, Value: h.viewerCard(ctx, in, v)})
				return
			}
		}
	}
	httpio.WriteJSON(w, http.StatusOK, struct{}{})
}

// remember saves the conversation reference of the activity: the channel it
// came from (and its team's General channel), or the chat.
func (h *Bot) remember(ctx context.Context, in *teams.Inbound, now time.Time) {
	ref, ok := in.Reference()
	if !ok {
		return
	}
	ref.UpdatedAt = now
	if err := h.Messenger.Conversations().Save(ctx, ref); err != nil {
		h.log().Error("teams: save conversation reference", "conversation", ref.ID, "err", err)
		return
	}
	if ref.Kind == models.ConversationChannel && ref.TeamID != "" && ref.TeamID != ref.ID {
		general := ref
		general.ID, general.ChannelName = ref.TeamID, ""
		if err := h.Messenger.Conversations().Save(ctx, general); err != nil {
			h.log().Error("teams: save team reference", "team", ref.TeamID, "err", err)
		}
	}
}

// install records the team the bot was added to with its channels, and
// queues a welcome that names the channel ids for teams_channel.
func (h *Bot) install(ctx context.Context, in *teams.Inbound, now time.Time) {
	teamID := in.TeamID()
	if err := h.Messenger.Conversations().SetTeamInstalled(ctx, teamID, true, now); err != nil {
		h.log().Error("teams: install", "team", teamID, "err", err)
	}
	base, _ := in.Reference()
	base.UpdatedAt = now
	rctx, cancel := h.replyCtx(ctx)
	channels, err := h.Messenger.Connector().TeamChannels(rctx, in.ServiceURL, teamID)
	if err := h.Messenger.Directory().LoadRoster(rctx, in.ServiceURL, teamID); err != nil {
		// Cards list only the people found so far for refresh until the
		// roster is read for a DM or a mention.
		h.log().Warn("teams: read the team's roster", "team", teamID, "err", err)
	}
	cancel()
	if err != nil {
		// The channels are learnt later from their own activities, and posts
		// fall back on the team's service URL meanwhile.
		h.log().Warn("teams: list the team's channels", "team", teamID, "err", err)
	}
	names := map[string]string{}
	for _, ch := range channels {
		if ch.ID == "" {
			continue
		}
		c := base
		c.ID, c.ChannelName = ch.ID, ch.Name
		if ch.ID == teamID && c.ChannelName == "" {
			c.ChannelName = "General"
		}
		names[ch.ID] = c.ChannelName
		if err := h.Messenger.Conversations().Save(ctx, c); err != nil {
			h.log().Error("teams: save channel", "channel", ch.ID, "err", err)
		}
	}
	if _, ok := names[teamID]; !ok {
		names[teamID] = "General"
	}
	h.log().Info("teams: added to a team", "team", teamID, "name", in.TeamName(), "channels", len(names))
	if err := h.Store.QueueWelcome(ctx, now, teams.Platform, teamID, welcome(in.TeamName(), names, h.Policy)); err != nil {
		h.log().Error("teams: queue welcome", "err", err)
		return
	}
	h.queued()
}

// welcome is what cxloop says in a Teams team it was added to, in the
// language of the first configured team that posts there (else the
// organisation's).
func welcome(teamName string, channels map[string]string, p *models.Policy) string {
	var b strings.Builder
	var wired []string
	lang := ""
	for _, t := range p.Teams {
		for _, d := range t.Destinations {
			if name, ok := channels[d.Channel]; ok && d.Transport == teams.Platform {
				wired = append(wired, fmt.Sprintf("%s → %s", t.Name, name))
				if lang == "" {
					lang = p.TeamLanguage(t.ID)
				}
			}
		}
	}
	if lang == "" {
		lang = p.TeamLanguage("")
	}
	if teamName == "" {
		b.WriteString(l10n.T(lang, "teamsreply.welcome_unnamed") + "\n")
	} else {
		b.WriteString(l10n.T(lang, "teamsreply.welcome", "Team", teamName) + "\n")
	}
	if len(wired) > 0 {
		b.WriteString(l10n.T(lang, "teamsreply.welcome_configured", "List", strings.Join(wired, "; ")) + "\n")
	} else {
		b.WriteString(l10n.T(lang, "teamsreply.welcome_unwired") + "\n")
		for id, name := range channels {
			fmt.Fprintf(&b, "%s: %s\n", name, id)
		}
	}
	b.WriteString(l10n.T(lang, "teamsreply.welcome_help"))
	return b.String()
}

func (h *Bot) uninstall(ctx context.Context, in *teams.Inbound, now time.Time) {
	teamID := in.TeamID()
	if teamID == "" {
		return
	}
	if err := h.Messenger.Conversations().SetTeamInstalled(ctx, teamID, false, now); err != nil {
		h.log().Error("teams: uninstall", "team", teamID, "err", err)
		return
	}
	h.log().Info("teams: removed from a team", "team", teamID)
}

// rosterConversation is where the acting user's membership is asked: the
// team for channel activities, the chat otherwise.
func rosterConversation(in *teams.Inbound) string {
	if t := in.TeamID(); t != "" {
		return t
	}
	return in.Conversation.ID
}

// actor is the email of the activity's sender.
func (h *Bot) actor(ctx context.Context, in *teams.Inbound) (string, error) {
	return h.Messenger.Directory().EmailOf(ctx, in.ServiceURL, rosterConversation(in), in.From.ID)
}

// resolver turns the command's mention placeholders into emails.
func (h *Bot) resolver(in *teams.Inbound, cmd teams.Command) chatops.ResolvePerson {
	return func(ctx context.Context, ref string) (string, error) {
		id, ok := cmd.People[ref]
		if !ok {
			return "", fmt.Errorf("%s is not a mention", ref)
		}
		return h.Messenger.Directory().EmailOf(ctx, in.ServiceURL, rosterConversation(in), id)
	}
}

// caseOp turns a card action into a case operation.
func caseOp(req teams.ActionRequest) (models.Op, error) {
	switch req.Verb {
	case teams.VerbTake:
		return models.Op{Kind: models.OpTake}, nil
	case teams.VerbAssign:
		return models.Op{Kind: models.OpAssign, Assignee: req.Input(teams.InputAssignee)}, nil
	case teams.VerbThank:
		op := models.Op{Kind: models.OpThank, Method: req.Input(teams.InputMethod), Note: req.Input(teams.InputThankNote)}
		if op.Method == models.ThankByEmail {
			op.Email = &models.Draft{Subject: req.Input(teams.InputEmailSubject), Body: req.Input(teams.InputEmailBody)}
		}
		return op, nil
	case teams.VerbResolve:
		op := models.Op{Kind: models.OpResolve, RootCause: req.Input(teams.InputRootCause), Note: req.Input(teams.InputResolution),
			Systemic: req.Input(teams.InputSystemic) == "true"}
		if req.Input(teams.InputTellByEmail) == "true" {
			// Empty when the client could not show the email first: the
			// shipped message with the note as what was done.
			op.Email = &models.Draft{Subject: req.Input(teams.InputEmailSubject), Body: req.Input(teams.InputEmailBody)}
		}
		return op, nil
	case teams.VerbNoContact:
		return models.Op{Kind: models.OpNoContact, Reason: req.Input(teams.InputReason), Note: req.Input(teams.InputNoContactNote)}, nil
	case teams.VerbReopen:
		return models.Op{Kind: models.OpReopen}, nil
	case teams.VerbShowContact:
		return models.Op{Kind: models.OpContact}, nil
	}
	return models.Op{}, fmt.Errorf("unknown action %q", req.Verb)
}

// teamsActionDone names the catalog message confirming each action.
var teamsActionDone = map[models.OpKind]string{
	models.OpTake: "teamsreply.done.take", models.OpAssign: "teamsreply.done.assign", models.OpThank: "teamsreply.done.thank",
	models.OpResolve: "teamsreply.done.resolve", models.OpNoContact: "teamsreply.done.no_contact",
	models.OpReopen: "teamsreply.done.reopen", models.OpContact: "teamsreply.done.contact",
}

// perform runs a card action and phrases its outcome; ok is true when the
// case changed (or the contact was sent).
func (h *Bot) perform(ctx context.Context, in *teams.Inbound, req teams.ActionRequest) (string, bool) {
	if req.Verb == teams.VerbFullComment {
		return h.fullComment(ctx, in, req.CaseID)
	}
	o, err := caseOp(req)
	if err != nil {
		return l10n.T(h.readerLang(ctx, in, ""), "teamsreply.unknown_button"), false
	}
	actor, err := h.actor(ctx, in)
	if err != nil {
		h.log().Warn("teams: unknown actor", "user", in.From.ID, "err", err)
		return l10n.T(h.readerLang(ctx, in, ""), "teamsback.no_email"), false
	}
	lang := h.readerLang(ctx, in, actor)
	v, err := h.Store.Act(ctx, h.Policy, h.Clock.Now(), req.CaseID, actor, o)
	if err != nil {
		return chatops.ActionOutcomeIn(lang, err, "", req.CaseID), false
	}
	if o.Kind == models.OpContact {
		if err := h.sendContact(ctx, lang, actor, v); err != nil {
			h.log().Warn("teams: send contact details", "case", req.CaseID, "err", err)
			return l10n.T(lang, "teamsreply.no_private_chat"), false
		}
		return l10n.T(lang, teamsActionDone[o.Kind], "CaseID", req.CaseID), true
	}
	h.queued()
	return l10n.T(lang, teamsActionDone[o.Kind], "CaseID", req.CaseID), true
}

// fullComment sends the whole comment of a case whose card shortened it to
// the person who asked, privately.
func (h *Bot) fullComment(ctx context.Context, in *teams.Inbound, caseID int64) (string, bool) {
	actor, _ := h.actor(ctx, in)
	lang := h.readerLang(ctx, in, actor)
	v, err := h.Store.CaseView(ctx, caseID)
	if err != nil {
		return chatops.ActionOutcomeIn(lang, err, "", caseID), false
	}
	// The read-only card has no such button; a pressed one from outside
	// the team (or from nobody the roster knows) gets nothing.
	if bot.NewCard(v, h.Policy).ForViewer(h.Policy, actor).ReadOnly {
		team := v.Case.TeamID
		if t, ok := h.Policy.Team(team); ok && t.Name != "" {
			team = t.Name
		}
		return l10n.T(lang, "teamscard.full_comment_team_only", "CaseID", caseID, "Team", team), false
	}
	h.privately(ctx, in, actor, l10n.T(lang, "teamsreply.full_comment", "CaseID", caseID)+"\n"+v.Response.Comment)
	return l10n.T(lang, "teamsreply.full_comment_sent", "CaseID", caseID), true
}

// sendContact writes the customer's contact details to the person privately.
func (h *Bot) sendContact(ctx context.Context, lang, actor string, v models.CaseView) error {
	c := v.Response.Customer()
	var b strings.Builder
	b.WriteString(l10n.T(lang, "teamsreply.contact_title", "CaseID", v.Case.ID) + "\n")
	for _, kv := range [][2]string{{l10n.T(lang, "caseanswer.contact.name"), c.Name}, {l10n.T(lang, "caseanswer.contact.email"), c.Email},
		{l10n.T(lang, "caseanswer.contact.phone"), c.Phone}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
		}
	}
	for _, p := range models.FindPersonalData(v.Response.Comment) {
		if p.Kind != models.PersonalCard { // stored masked: there is nothing more to show
			fmt.Fprintf(&b, "%s: %s\n", l10n.T(lang, "contact.in_comment"), p.Text)
		}
	}
	if c.Name == "" && c.Email == "" && c.Phone == "" {
		b.WriteString(l10n.T(lang, "teamsreply.contact_none") + "\n")
	}
	if c.ContactOK != nil && !*c.ContactOK {
		b.WriteString(l10n.T(lang, "teamsreply.contact_no_consent"))
	}
	rctx, cancel := h.replyCtx(ctx)
	defer cancel()
	_, err := h.Messenger.SendPersonal(rctx, actor, teams.Activity{Type: "message", Text: teams.MessageText(b.String()), TextFormat: "markdown"})
	return err
}

// invoke answers an Action.Execute: the refreshed card, or a message when
// the action was refused or answered privately.
func (h *Bot) invoke(ctx context.Context, in *teams.Inbound) InvokeResponse {
	req, _, err := in.Action()
	if err != nil {
		return InvokeResponse{StatusCode: 200, Type: InvokeMessage, Value: l10n.T(h.readerLang(ctx, in, ""), "teamsreply.card_out_of_date")}
	}
	if req.ItemID != 0 {
		return h.itemInvoke(ctx, in, req)
	}
	if req.Verb == teams.VerbBackToCard {
		v, err := h.Store.CaseView(ctx, req.CaseID)
		if err != nil {
			return InvokeResponse{StatusCode: 200, Type: InvokeMessage, Value: l10n.T(h.readerLang(ctx, in, ""), "cmd.no_case", "CaseID", req.CaseID)}
		}
		return InvokeResponse{StatusCode: 200, Type: InvokeCard, Value: h.viewerCard(ctx, in, v)}
	}
	if req.Verb == teams.VerbRefresh {
		return h.refresh(ctx, in, req)
	}
	if req.Verb == teams.VerbResolve && req.Input(teams.InputTellByEmail) == "true" && req.Input(teams.InputReviewed) != "true" {
		if form := h.resolveEmailForm(ctx, in, req); form != nil {
			return InvokeResponse{StatusCode: 200, Type: InvokeCard, Value: form}
		}
	}
	text, ok := h.perform(ctx, in, req)
	if !ok || req.Verb == teams.VerbShowContact || req.Verb == teams.VerbFullComment {
		return InvokeResponse{StatusCode: 200, Type: InvokeMessage, Value: text}
	}
	v, err := h.Store.CaseView(ctx, req.CaseID)
	if err != nil {
		return InvokeResponse{StatusCode: 200, Type: InvokeMessage, Value: text}
	}
	return InvokeResponse{StatusCode: 200, Type: InvokeCard, Value: h.viewerCard(ctx, in, v)}
}

// refresh answers a card's refresh (Teams opening it for one of the people
// in refresh.userIds, or anyone pressing refresh) with the case as it is
// now, in the caller's view: a member's buttons, a manager's, or none for
// someone outside the team or whom the roster does not know. The caller is
// who the activity's sender is, never what the card's data says.
func (h *Bot) refresh(ctx context.Context, in *teams.Inbound, req teams.ActionRequest) InvokeResponse {
	v, err := h.Store.CaseView(ctx, req.CaseID)
	if err != nil {
		return InvokeResponse{StatusCode: 200, Type: InvokeMessage,
			Value: l10n.T(h.readerLang(ctx, in, ""), "cmd.no_case", "CaseID", req.CaseID)}
	}
	return InvokeResponse{StatusCode: 200, Type: InvokeCard, Value: h.viewerCard(ctx, in, v)}
}

// viewerCard is the case's card for the activity's sender.
func (h *Bot) viewerCard(ctx context.Context, in *teams.Inbound, v models.CaseView) map[string]any {
	actor, err := h.actor(ctx, in)
	if err != nil {
		actor = "" // unknown: the read-only view
	}
	return h.Messenger.ViewerCard(ctx, bot.NewCardAt(v, h.Policy, h.Clock.Now()), actor)
}

// resolveEmailForm is the card that shows the resolution email before it
// goes, when "tell the customer by email" is on: prefilled in the
// customer's language with the note as what was done. Nil lets the resolve
// go ahead, which then refuses it and says why (not allowed, no email
// possible) or sends the shipped message.
func (h *Bot) resolveEmailForm(ctx context.Context, in *teams.Inbound, req teams.ActionRequest) map[string]any {
	actor, err := h.actor(ctx, in)
	if err != nil {
		return nil
	}
	v, err := h.Store.CaseView(ctx, req.CaseID)
	if err != nil || h.Policy.Authorize(actor, models.OpResolve, &v.Case) != nil || !h.Policy.EmailOffer(v).Allowed() {
		return nil
	}
	note := req.Input(teams.InputResolution)
	d, err := h.Policy.CaseDraft(v, models.MessageResolution, actor, note)
	if err != nil {
		h.log().Error("teams: resolution message", "case", req.CaseID, "err", err)
		return nil
	}
	return teams.ResolveEmailForm(h.readerLang(ctx, in, actor), req.CaseID, req.Input(teams.InputRootCause),
		req.Input(teams.InputSystemic) == "true", note, d)
}

// submit handles an Action.Submit (clients without Universal Actions): the
// card is updated through the outbox; a refusal is told privately.
func (h *Bot) submit(ctx context.Context, in *teams.Inbound, req teams.ActionRequest, parseErr error) {
	if parseErr != nil {
		h.privately(ctx, in, "", l10n.T(h.readerLang(ctx, in, ""), "teamsreply.card_out_of_date"))
		return
	}
	if req.ItemID != 0 {
		// Without Universal Actions the card cannot change in place: the
		// outcome is told privately.
		actor, _ := h.actor(ctx, in)
		if r := h.itemInvoke(ctx, in, req); r.Type == InvokeMessage {
			h.privately(ctx, in, actor, fmt.Sprint(r.Value))
		} else if card, ok := r.Value.(map[string]any); ok {
			h.replyCard(ctx, in, card)
		}
		return
	}
	text, ok := h.perform(ctx, in, req)
	if ok {
		// The card and its thread show the change (or the contact details
		// went to the private chat).
		return
	}
	actor, _ := h.actor(ctx, in)
	h.privately(ctx, in, actor, text)
}

// privately tells the person something: in the chat when the activity came
// from a 1:1 chat, else in their 1:1 chat with the bot, else (no email
// known) in the thread.
func (h *Bot) privately(ctx context.Context, in *teams.Inbound, actor, text string) {
	rctx, cancel := h.replyCtx(ctx)
	defer cancel()
	act := teams.Activity{Type: "message", Text: teams.MessageText(text), TextFormat: "markdown"}
	if !in.Personal() && actor != "" {
		if _, err := h.Messenger.SendPersonal(rctx, actor, act); err == nil {
			return
		}
	}
	act.ReplyToID = in.ID
	if _, err := h.Messenger.Connector().SendToConversation(rctx, in.ServiceURL, in.Conversation.ID, act); err != nil {
		h.log().Warn("teams: reply", "err", err)
	}
}

// command runs a command typed to the bot and answers in the conversation.
func (h *Bot) command(ctx context.Context, in *teams.Inbound) {
	cmd := in.CommandText()
	if cmd.Line == "" && in.Text == "" {
		return // nothing to do (an empty message, an attachment)
	}
	var reply chatops.Reply
	actor, err := h.actor(ctx, in)
	if err != nil {
		h.log().Warn("teams: unknown actor", "user", in.From.ID, "err", err)
		reply = chatops.Reply{Text: l10n.T(h.readerLang(ctx, in, ""), "teamsback.no_email")}
	} else {
		lang := h.readerLang(ctx, in, actor)
		if chatops.IsBacklogCommand(cmd.Line) {
			h.backlog(ctx, in, actor, lang)
			return
		}
		if isMineCommand(cmd.Line) {
			h.mine(ctx, in, actor, lang)
			return
		}
		ops := *h.Ops
		ops.Lang = lang
		reply = ops.Run(ctx, actor, cmd.Line, h.resolver(in, cmd))
	}
	h.send(ctx, in, reply)
}

// readerLang is the language of an answer to in's sender: the activity's
// locale when cxloop speaks it, else their team's. The locale is kept so
// that later messages to them, sent proactively, use it too.
func (h *Bot) readerLang(ctx context.Context, in *teams.Inbound, actor string) string {
	if in.Locale != "" && actor != "" {
		if err := h.Messenger.Directory().RememberLocale(ctx, actor, in.Locale); err != nil {
			h.log().Warn("teams: remember a locale", "err", err)
		}
	}
	return models.SupportedLanguage(in.Locale, h.Policy.PersonLanguage(actor))
}

// TeamStatus says whether a team's Teams channel is connected: the line
// "team" adds in Teams (and that a ChatOps hook can add on every platform).
func (h *Bot) TeamStatus(ctx context.Context, lang string, t *models.TeamPolicy) string {
	if t == nil {
		return ""
	}
	var lines []string
	for _, d := range t.Destinations {
		if d.Transport != teams.Platform {
			continue
		}
		c, err := h.Messenger.Conversations().Get(ctx, d.Channel)
		switch {
		case err == nil && c.Installed:
			where := c.ChannelName
			if where == "" {
				where = d.Channel
			}
			team := c.TeamName
			if team == "" {
				team = c.TeamID
			}
			lines = append(lines, l10n.T(lang, "teamsreply.status.connected", "Channel", where, "Team", team))
		case err == nil:
			lines = append(lines, l10n.T(lang, "teamsreply.status.removed", "Channel", d.Channel))
		default:
			lines = append(lines, l10n.T(lang, "teamsreply.status.unseen", "Channel", d.Channel))
		}
	}
	if len(lines) == 0 {
		return l10n.T(lang, "teamsreply.status.none")
	}
	return strings.Join(lines, "\n")
}

// send answers in the activity's conversation (the thread, in a channel):
// the text, then the cards, as few activities as Teams' size limit allows.
func (h *Bot) send(ctx context.Context, in *teams.Inbound, reply chatops.Reply) {
	rctx, cancel := h.replyCtx(ctx)
	defer cancel()
	conn := h.Messenger.Connector()
	post := func(act teams.Activity) bool {
		act.ReplyToID = in.ID
		if _, err := conn.SendToConversation(rctx, in.ServiceURL, in.Conversation.ID, act); err != nil {
			h.log().Warn("teams: reply", "conversation", in.Conversation.ID, "err", err)
			return false
		}
		return true
	}
	if reply.Text != "" && !post(teams.Activity{Type: "message", Text: teams.MessageText(reply.Text), TextFormat: "markdown"}) {
		return
	}
	var batch []map[string]any
	size := 0
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		act := teams.Activity{Type: "message", AttachmentLayout: "list"}
		for _, c := range batch {
			act.Attachments = append(act.Attachments, teams.CardAttachment(c))
		}
		batch, size = nil, 0
		return post(act)
	}
	viewer := ""
	if in.Personal() {
		viewer, _ = h.actor(ctx, in)
	}
	for _, c := range reply.Cards {
		// Only the sender reads a 1:1 chat; a channel's thread is everyone's.
		card := h.Messenger.ChannelCard(rctx, c)
		if in.Personal() {
			card = h.Messenger.ViewerCard(rctx, c, viewer)
		}
		n := teams.CardSize(card)
		if size+n > teams.MaxCardBytes && !flush() {
			return
		}
		batch, size = append(batch, card), size+n
	}
	flush()
}
