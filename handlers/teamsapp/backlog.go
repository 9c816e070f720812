package teamsapp

import (
	"context"
	"sort"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/models"
)

// The improvement backlog in Teams: "@cxloop backlog" answers an Adaptive
// Card with Slack's actions (take, set status, rename) for admins and
// managers, a read-only list for others. The actions are Action.Execute
// invokes answered with the refreshed card headed by the outcome, so the
// card changes in place; every change goes through
// models.Store.ActOnImprovement, which refuses anyone else. Setting an item
// to done first shows the fix_done texts to confirm or edit when customers
// are to be emailed.

// backlogCard renders the backlog for actor with notice at its head.
func (h *Bot) backlogCard(ctx context.Context, actor, lang, notice string) (map[string]any, error) {
	open, closed, moreOpen, moreClosed, err := chatops.BacklogLists(ctx, h.Store)
	if err != nil {
		return nil, err
	}
	return teams.BacklogCard(open, closed, teams.BacklogOptions{Lang: lang, Viewer: actor, Manage: h.Policy.CanManageBacklog(actor),
		Notice: notice, MoreOpen: moreOpen, MoreClosed: moreClosed}), nil
}

// backlog answers "@cxloop backlog" with the card.
func (h *Bot) backlog(ctx context.Context, in *teams.Inbound, actor, lang string) {
	card, err := h.backlogCard(ctx, actor, lang, "")
	if err != nil {
		h.log().Error("teams: read the backlog", "err", err)
		h.send(ctx, in, chatops.Reply{Text: l10n.T(lang, "cmd.failed")})
		return
	}
	h.replyCard(ctx, in, card)
}

// itemOp turns a backlog card action into an item operation.
func itemOp(req teams.ActionRequest) (models.ItemOp, bool) {
	switch req.Verb {
	case teams.VerbItemTake:
		return models.ItemOp{Kind: models.ItemOpTake}, true
	case teams.VerbItemRename:
		return models.ItemOp{Kind: models.ItemOpRename, Title: req.Input(teams.InputItemTitle(req.ItemID))}, true
	case teams.VerbItemStatus:
		op := models.ItemOp{Kind: models.ItemOpStatus, Status: req.Input(teams.InputItemStatus(req.ItemID))}
		for k := range req.Data {
			if lang, ok := strings.CutPrefix(k, teams.InputFixDonePrefix); ok {
				if op.FixDone == nil {
					op.FixDone = map[string]string{}
				}
				op.FixDone[lang] = req.Input(k)
			}
		}
		return op, true
	}
	return models.ItemOp{}, false
}

// itemInvoke answers a backlog card action: the refreshed backlog headed by
// the outcome, the fix_done form before an item is marked done, or the
// refusal.
func (h *Bot) itemInvoke(ctx context.Context, in *teams.Inbound, req teams.ActionRequest) InvokeResponse {
	message := func(s string) InvokeResponse { return InvokeResponse{StatusCode: 200, Type: InvokeMessage, Value: s} }
	actor, err := h.actor(ctx, in)
	if err != nil {
		h.log().Warn("teams: unknown actor", "user", in.From.ID, "err", err)
		return message(l10n.T(models.SupportedLanguage(in.Locale, h.Policy.TeamLanguage("")), "teamsback.no_email"))
	}
	lang := h.readerLang(ctx, in, actor)
	refreshed := func(notice string) InvokeResponse {
		card, err := h.backlogCard(ctx, actor, lang, notice)
		if err != nil {
			h.log().Error("teams: read the backlog", "err", err)
			return message(notice)
		}
		return InvokeResponse{StatusCode: 200, Type: InvokeCard, Value: card}
	}
	if req.Verb == teams.VerbBacklog {
		return refreshed("")
	}
	op, ok := itemOp(req)
	if !ok {
		return message(l10n.T(lang, "teamsback.unknown_button"))
	}
	if op.Kind == models.ItemOpStatus && op.Status == models.ImprovementDone && req.Input(teams.InputReviewed) != "true" &&
		h.Policy.CanManageBacklog(actor) {
		if form := h.fixDoneForm(ctx, lang, req.ItemID); form != nil {
			return InvokeResponse{StatusCode: 200, Type: InvokeCard, Value: form}
		}
	}
	it, err := h.Store.ActOnImprovement(ctx, h.Policy, h.Clock.Now(), req.ItemID, actor, op)
	if err != nil {
		if !chatops.IsUserError(err) {
			h.log().Error("teams: improvement action", "item", req.ItemID, "op", op.Kind, "err", err)
		}
		return message(chatops.ItemOutcome(lang, err, req.ItemID))
	}
	h.queued()
	return refreshed(chatops.ItemChanged(lang, op, it, h.Policy.EmailEnabled))
}

// fixDoneForm is the card that confirms the fix_done texts before an item
// is marked done; nil when no customer would be emailed.
func (h *Bot) fixDoneForm(ctx context.Context, lang string, itemID int64) map[string]any {
	if !h.Policy.EmailEnabled {
		return nil
	}
	it, err := h.Store.Improvement(ctx, itemID)
	if err != nil {
		return nil
	}
	aud, err := h.Store.FixDoneAudience(ctx, h.Policy, itemID)
	if err != nil {
		h.log().Error("teams: customers of an improvement", "item", itemID, "err", err)
		return nil
	}
	var texts []teams.FixDoneText
	for l, n := range aud {
		if t, _ := h.Policy.CustomerMessages.Template(models.MessageFixDone, l); t != nil {
			texts = append(texts, teams.FixDoneText{Lang: l, Customers: n, Body: t.BodySource})
		}
	}
	if len(texts) == 0 {
		return nil
	}
	sort.Slice(texts, func(i, j int) bool {
		return texts[i].Customers > texts[j].Customers || texts[i].Customers == texts[j].Customers && texts[i].Lang < texts[j].Lang
	})
	return teams.FixDoneForm(lang, it, texts)
}

// replyCard answers with a card in the activity's conversation (the thread, in a channel).
func (h *Bot) replyCard(ctx context.Context, in *teams.Inbound, card map[string]any) {
	rctx, cancel := h.replyCtx(ctx)
	defer cancel()
	act := teams.Activity{Type: "message", Attachments: []schema.Attachment{teams.CardAttachment(card)}, ReplyToID: in.ID}
	if _, err := h.Messenger.Connector().SendToConversation(rctx, in.ServiceURL, in.Conversation.ID, act); err != nil {
		h.log().Warn("teams: reply", "conversation", in.Conversation.ID, "err", err)
	}
}

// mineShown is how many cases "@cxloop mine" lists; the rest are counted.
const mineShown = 15

// isMineCommand reports whether a command asks for the person's cases.
func isMineCommand(line string) bool {
	f := strings.Fields(line)
	return len(f) == 1 && strings.EqualFold(f[0], "mine")
}

// mine answers "@cxloop mine" with one card listing the person's open
// cases, each with its next step.
func (h *Bot) mine(ctx context.Context, in *teams.Inbound, actor, lang string) {
	cases, err := h.Store.Cases(ctx, models.CaseFilter{Owner: actor, States: models.OpenStates})
	if err != nil {
		h.log().Error("teams: read the person's cases", "err", err)
		h.send(ctx, in, chatops.Reply{Text: l10n.T(lang, "cmd.failed")})
		return
	}
	more := 0
	if len(cases) > mineShown {
		more, cases = len(cases)-mineShown, cases[:mineShown]
	}
	now := h.Clock.Now()
	var cards []bot.Card
	for _, c := range cases {
		v, err := h.Store.CaseView(ctx, c.ID)
		if err != nil {
			more++
			continue
		}
		card := bot.NewCardAt(v, h.Policy, now)
		card.Lang = lang
		cards = append(cards, card)
	}
	if away := strings.TrimSpace(h.Ops.AwayNotice(ctx, actor)); away != "" {
		// As ChatOps' "mine" does: a person away hears it first.
		h.send(ctx, in, chatops.Reply{Text: away})
	}
	h.replyCard(ctx, in, h.Messenger.RenderMine(lang, cards, more))
}
