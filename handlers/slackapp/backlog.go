package slackapp

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot/l10n"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/models"
)

// The improvement backlog in Slack: "/cx backlog" answers with Block Kit
// instead of ChatOps' text (which other platforms keep), each open item
// with its buttons Take ownership (item.take), Set status… (item.status, a
// modal) and Rename… (item.rename, a modal). Every change goes through
// models.Store.ActOnImprovement with the Slack user's email as the actor,
// which lets admins and managers only; marking an item done runs the outer
// loop there (DMs to the owners of its cases, their "customer told"
// follow-ups, announcements). After a change the private backlog message is
// replaced, through the response_url of the press, by the refreshed list
// headed by the outcome; a refusal is answered privately and changes
// nothing.

// itemMeta is an item modal's private_metadata: the item, and where its
// button was pressed, so that the backlog there can be refreshed.
type itemMeta struct {
	Item        int64  `json:"item"`
	Channel     string `json:"channel,omitempty"`
	ResponseURL string `json:"response_url,omitempty"`
}

func (m itemMeta) String() string {
	b, _ := json.Marshal(m)
	if len(b) > 3000 { // Slack's limit on private_metadata
		m.ResponseURL = ""
		b, _ = json.Marshal(m)
	}
	return string(b)
}

func parseItemMeta(s string) (itemMeta, bool) {
	var m itemMeta
	if err := json.Unmarshal([]byte(s), &m); err != nil || m.Item <= 0 {
		return itemMeta{}, false
	}
	return m, true
}

// backlogMessage renders the backlog for actor, with notice (escaped
// mrkdwn, may be empty) at its head.
func (a *App) backlogMessage(ctx context.Context, actor, notice string) (string, []slackgo.Block, error) {
	open, closed, moreOpen, moreClosed, err := chatops.BacklogLists(ctx, a.Store)
	if err != nil {
		return "", nil, err
	}
	lang := a.Directory.Lang(ctx, actor, a.Policy.PersonLanguage(actor))
	o := cxslack.BacklogOptions{Lang: lang, Viewer: actor, Manage: a.Policy.CanManageBacklog(actor), Notice: notice, OwnerIDs: map[string]string{},
		MoreOpen: moreOpen, MoreClosed: moreClosed}
	total := len(open) + moreOpen
	for _, it := range open {
		key := strings.ToLower(it.Owner)
		if _, done := o.OwnerIDs[key]; done || key == "" {
			continue
		}
		o.OwnerIDs[key] = ""
		if id, err := a.Directory.UserID(ctx, key); err == nil {
			o.OwnerIDs[key] = id
		}
	}
	return cxslack.BacklogFallback(lang, total, notice), cxslack.BacklogBlocks(open, closed, o), nil
}

// backlog answers "/cx backlog" privately with the rendered backlog.
func (a *App) backlog(ctx context.Context, to target, actor string) {
	text, blocks, err := a.backlogMessage(ctx, actor, "")
	if err != nil {
		a.Log.Error("slack: read the backlog", "err", err)
		a.reply(ctx, to, chatops.Reply{Text: l10n.T(a.readerLang(ctx, actor), "backlogoutcome.read_failed")})
		return
	}
	a.send(ctx, to, text, blocks)
}

// backlogChanged tells actor the outcome of a change: it replaces the
// backlog message the button was on with the refreshed backlog headed by
// the outcome, or, when that cannot be done, answers privately.
func (a *App) backlogChanged(ctx context.Context, to target, actor, outcome string) {
	notice := ":white_check_mark: " + cxslack.Escape(outcome)
	if to.ResponseURL != "" && validResponseURL(to.ResponseURL) {
		text, blocks, err := a.backlogMessage(ctx, actor, notice)
		if err == nil {
			no := false
			msg := &slackgo.WebhookMessage{Text: clipText(text, 3000), Blocks: &slackgo.Blocks{BlockSet: blocks},
				ResponseType: "ephemeral", ReplaceOriginal: true, UnfurlLinks: &no, UnfurlMedia: &no}
			err = slackgo.PostWebhookCustomHTTPContext(ctx, to.ResponseURL, a.HTTPClient, msg)
			if err == nil {
				return
			}
		}
		a.Log.Warn("slack: refresh the backlog", "err", err)
	}
	a.tell(ctx, to, notice)
}

// userLang is the language of the Slack user userID, or the default
// team's when who they are cannot be told.
func (a *App) userLang(ctx context.Context, userID string) string {
	actor, err := a.Directory.Email(ctx, userID)
	if err != nil {
		return a.Policy.TeamLanguage("")
	}
	return a.readerLang(ctx, actor)
}

// itemAction handles a backlog button press in the background.
func (a *App) itemAction(ctx context.Context, ic *slackgo.InteractionCallback, actionID string, itemID int64, received time.Time) {
	to := target{UserID: ic.User.ID, ChannelID: interactionChannel(ic), ResponseURL: ic.ResponseURL}
	switch actionID {
	case cxslack.ActionItemStatus, cxslack.ActionItemRename:
		a.openItemModal(ctx, ic, to, actionID, itemID, received)
		return
	case cxslack.ActionItemTake:
	default:
		a.Log.Debug("slack: unknown action", "action_id", actionID)
		return
	}
	actor, err := a.Directory.Email(ctx, ic.User.ID)
	if err != nil {
		a.Log.Warn("slack: who pressed a button", "user", ic.User.ID, "err", err)
		a.tell(ctx, to, cxslack.Escape(a.whoAreYou()))
		return
	}
	op := models.ItemOp{Kind: models.ItemOpTake}
	lang := a.readerLang(ctx, actor)
	it, err := a.Store.ActOnImprovement(ctx, a.Policy, a.Clock.Now(), itemID, actor, op)
	if err != nil {
		a.tell(ctx, to, cxslack.Escape(chatops.ItemOutcome(lang, err, itemID)))
		if !chatops.IsUserError(err) {
			a.Log.Error("slack: improvement action", "item", itemID, "op", op.Kind, "err", err)
		}
		return
	}
	a.queued()
	a.backlogChanged(ctx, to, actor, chatops.ItemChanged(lang, op, it, a.Policy.EmailEnabled))
}

// openItemModal opens the Set status or Rename modal of an item with the
// press's trigger_id (valid 3 s). Within TriggerWait it first checks that
// the person may change items at all, so that a member hears the refusal
// instead of filling a form; when the check cannot finish in time the
// modal opens and the check happens on submission.
func (a *App) openItemModal(ctx context.Context, ic *slackgo.InteractionCallback, to target, actionID string, itemID int64, received time.Time) {
	check, cancel := context.WithDeadline(ctx, received.Add(a.TriggerWait))
	item, err := a.Store.Improvement(check, itemID)
	if errors.Is(err, models.ErrNotFound) {
		cancel()
		a.tell(ctx, to, cxslack.Escape(chatops.ItemOutcome(a.userLang(ctx, ic.User.ID), err, itemID)))
		return
	}
	lang := a.Policy.TeamLanguage("")
	if err == nil {
		var actor string
		actor, err = a.Directory.Email(check, ic.User.ID)
		if err == nil {
			lang = a.Directory.Lang(check, actor, a.Policy.PersonLanguage(actor))
		}
		switch {
		case errors.Is(err, cxslack.ErrNoEmail) || cxslack.IsUserNotFound(err):
			cancel()
			a.tell(ctx, to, cxslack.Escape(a.whoAreYou()))
			return
		case err == nil && !a.Policy.CanManageBacklog(actor):
			cancel()
			a.tell(ctx, to, cxslack.Escape(chatops.TitleFirst(l10n.T(lang, "backlogoutcome.only_managers"))+"."))
			return
		}
	}
	cancel()
	if item.ID == 0 {
		// The check ran out of time or failed: the modal needs the item.
		if item, err = a.Store.Improvement(ctx, itemID); err != nil {
			a.tell(ctx, to, cxslack.Escape(chatops.ItemOutcome(lang, err, itemID)))
			return
		}
	}
	meta := itemMeta{Item: itemID, Channel: to.ChannelID, ResponseURL: ic.ResponseURL}.String()
	var view slackgo.ModalViewRequest
	if actionID == cxslack.ActionItemStatus {
		if len(models.NextImprovementStatuses(item.Status)) == 0 {
			a.tell(ctx, to, cxslack.Escape(l10n.T(lang, "backlogoutcome.done_final", "ItemID", itemID)))
			return
		}
		view = cxslack.ItemStatusModal(lang, item, meta, a.fixDoneTexts(ctx, itemID)...)
	} else {
		view = cxslack.ItemRenameModal(lang, item, meta)
	}
	if _, err := a.Messenger.API().OpenViewContext(ctx, ic.TriggerID, view); err != nil {
		a.Log.Warn("slack: open a modal", "item", itemID, "action", actionID, "err", err)
		a.tell(ctx, to, cxslack.Escape(l10n.T(lang, "backlogoutcome.form_slow")))
	}
}

// fixDoneTexts are the fix_done messages the status modal shows, one per
// language of the customers who would be emailed.
func (a *App) fixDoneTexts(ctx context.Context, itemID int64) []cxslack.FixDoneText {
	aud, err := a.Store.FixDoneAudience(ctx, a.Policy, itemID)
	if err != nil {
		a.Log.Error("slack: customers of an improvement", "item", itemID, "err", err)
		return nil
	}
	var out []cxslack.FixDoneText
	for lang, n := range aud {
		if t, _ := a.Policy.CustomerMessages.Template(models.MessageFixDone, lang); t != nil {
			out = append(out, cxslack.FixDoneText{Lang: lang, Customers: n, Body: t.BodySource})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Customers > out[j].Customers || out[i].Customers == out[j].Customers && out[i].Lang < out[j].Lang
	})
	return out
}

// itemSubmission handles a submitted Set status or Rename modal like
// viewSubmission handles the case modals: the change runs in the pool, an
// invalid input is shown on its field while the modal waits (up to
// SubmitWait), anything else closes it and is answered privately. handled
// is false for other modals.
func (a *App) itemSubmission(ctx context.Context, ic slackgo.InteractionCallback) (resp *slackgo.ViewSubmissionResponse, handled bool) {
	var op models.ItemOp
	var block string
	var values map[string]map[string]slackgo.BlockAction
	if ic.View.State != nil {
		values = ic.View.State.Values
	}
	get := func(block string) slackgo.BlockAction {
		for _, v := range values[block] { // one element per input block
			return v
		}
		return slackgo.BlockAction{}
	}
	switch ic.View.CallbackID {
	case cxslack.ModalItemStatus:
		op, block = models.ItemOp{Kind: models.ItemOpStatus, Status: get(cxslack.BlockItemStatus).SelectedOption.Value}, cxslack.BlockItemStatus
		for id := range values {
			if lang, ok := strings.CutPrefix(id, cxslack.BlockFixDonePrefix); ok {
				if op.FixDone == nil {
					op.FixDone = map[string]string{}
				}
				op.FixDone[lang] = get(id).Value
			}
		}
	case cxslack.ModalItemRename:
		op, block = models.ItemOp{Kind: models.ItemOpRename, Title: get(cxslack.BlockItemTitle).Value}, cxslack.BlockItemTitle
	default:
		return nil, false
	}
	meta, ok := parseItemMeta(ic.View.PrivateMetadata)
	if !ok {
		a.Log.Warn("slack: submission without its item", "callback_id", ic.View.CallbackID)
		return nil, true
	}
	errorsOn := func(fe *models.FieldError) *slackgo.ViewSubmissionResponse {
		on := block
		if _, shown := values[fe.Field]; shown && strings.HasPrefix(fe.Field, cxslack.BlockFixDonePrefix) {
			on = fe.Field
		}
		return slackgo.NewErrorsViewSubmissionResponse(map[string]string{on: clipText(chatops.FieldSentence(fe.Msg), 150)})
	}
	to := target{UserID: ic.User.ID, ChannelID: meta.Channel, ResponseURL: meta.ResponseURL}
	h := &submitHandoff{ch: make(chan *models.FieldError, 1)}
	started := a.spawn("submit "+ic.View.CallbackID, func(ctx context.Context) {
		actor, err := a.Directory.Email(ctx, ic.User.ID)
		if err != nil {
			h.give(nil)
			a.Log.Warn("slack: who submitted a form", "user", ic.User.ID, "err", err)
			a.tell(ctx, to, cxslack.Escape(a.whoAreYou()))
			return
		}
		lang := a.readerLang(ctx, actor)
		it, err := a.Store.ActOnImprovement(ctx, a.Policy, a.Clock.Now(), meta.Item, actor, op)
		var fe *models.FieldError
		if errors.As(err, &fe) {
			// The form shows the sentence as the person reads it.
			if !h.give(&models.FieldError{Field: fe.Field, Msg: chatops.FieldIn(lang, fe)}) {
				a.tell(ctx, to, cxslack.Escape(chatops.ItemOutcome(lang, err, meta.Item)))
			}
			return
		}
		h.give(nil)
		if err != nil {
			a.tell(ctx, to, cxslack.Escape(chatops.ItemOutcome(lang, err, meta.Item)))
			if !chatops.IsUserError(err) {
				a.Log.Error("slack: improvement action", "item", meta.Item, "op", op.Kind, "err", err)
			}
			return
		}
		a.queued()
		a.backlogChanged(ctx, to, actor, chatops.ItemChanged(lang, op, it, a.Policy.EmailEnabled))
	})
	if !started {
		return errorsOn(&models.FieldError{Msg: l10n.T(a.Policy.TeamLanguage(""), "backlogoutcome.busy")}), true
	}
	timer := time.NewTimer(a.SubmitWait)
	defer timer.Stop()
	fe, inTime := h.wait(timer.C, ctx.Done())
	if inTime && fe != nil {
		return errorsOn(fe), true
	}
	return nil, true
}
