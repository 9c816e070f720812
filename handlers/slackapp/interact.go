package slackapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/models"
)

// modalMeta is a modal's private_metadata: the case, and where the button
// was pressed so that answers go back there. A bare case number ("42") is
// accepted too.
type modalMeta struct {
	Case    int64  `json:"case"`
	Channel string `json:"channel,omitempty"`
	Home    bool   `json:"home,omitempty"`
	// The resolution email's step carries the first step's choices.
	RootCause string `json:"root_cause,omitempty"`
	Systemic  bool   `json:"systemic,omitempty"`
}

func (m modalMeta) String() string {
	b, _ := json.Marshal(m)
	return string(b)
}

func parseModalMeta(s string) (modalMeta, bool) {
	if id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && id > 0 {
		return modalMeta{Case: id}, true
	}
	var m modalMeta
	if err := json.Unmarshal([]byte(s), &m); err != nil || m.Case <= 0 {
		return modalMeta{}, false
	}
	return m, true
}

// fromHomeTab reports whether the interaction came from the App Home tab.
func fromHomeTab(ic *slackgo.InteractionCallback) bool {
	return ic.View.Type == slackgo.VTHomeTab || ic.Container.Type == "view" && ic.Channel.ID == "" && ic.Container.ChannelID == ""
}

func interactionChannel(ic *slackgo.InteractionCallback) string {
	if ic.Channel.ID != "" {
		return ic.Channel.ID
	}
	return ic.Container.ChannelID
}

// slackModalOps are the buttons that open a modal, with the action each checks.
var slackModalOps = map[string]models.OpKind{
	cxslack.ActionID(bot.ActionAssign):    models.OpAssign,
	cxslack.ActionID(bot.ActionThank):     models.OpThank,
	cxslack.ActionID(bot.ActionResolve):   models.OpResolve,
	cxslack.ActionID(bot.ActionNoContact): models.OpNoContact,
}

// blockActions handles button presses on cards, in replies and on the Home
// tab, in the background. The button's value is the case id (the item id
// for the backlog's item.* buttons), checked against the database like any
// other input.
func (a *App) blockActions(ic slackgo.InteractionCallback) {
	received := time.Now()
	for _, act := range ic.ActionCallback.BlockActions {
		if strings.HasPrefix(act.ActionID, "item.") {
			// The improvement backlog's buttons; the value is the item id.
			itemID, err := strconv.ParseInt(act.Value, 10, 64)
			if err != nil || itemID <= 0 {
				continue
			}
			actionID := act.ActionID
			if !a.spawn("action "+actionID, func(ctx context.Context) { a.itemAction(ctx, &ic, actionID, itemID, received) }) {
				return
			}
			continue
		}
		caseID, err := strconv.ParseInt(act.Value, 10, 64)
		if err != nil || caseID <= 0 {
			continue
		}
		actionID := act.ActionID
		if rest, legacy := strings.CutPrefix(actionID, "case_"); legacy {
			actionID = "case." + rest // "case_thank", as some payload samples spell it
		}
		ok := a.spawn("action "+actionID, func(ctx context.Context) {
			a.blockAction(ctx, &ic, actionID, caseID, received)
		})
		if !ok {
			return
		}
	}
}

func (a *App) blockAction(ctx context.Context, ic *slackgo.InteractionCallback, actionID string, caseID int64, received time.Time) {
	to := target{UserID: ic.User.ID, ChannelID: interactionChannel(ic), ResponseURL: ic.ResponseURL}
	if op, ok := slackModalOps[actionID]; ok {
		a.openModal(ctx, ic, to, op, caseID, received)
		return
	}
	if actionID == cxslack.ActionFullComment {
		a.fullComment(ctx, to, caseID)
		return
	}
	actor, err := a.Directory.Email(ctx, ic.User.ID)
	if err != nil {
		a.Log.Warn("slack: who pressed a button", "user", ic.User.ID, "err", err)
		a.tell(ctx, to, cxslack.Escape(a.whoAreYou()))
		return
	}
	switch actionID {
	case cxslack.ActionID(bot.ActionTake):
		a.act(ctx, ic, to, actor, caseID, models.Op{Kind: models.OpTake})
	case cxslack.ActionID(bot.ActionReopen):
		a.act(ctx, ic, to, actor, caseID, models.Op{Kind: models.OpReopen})
	case cxslack.ActionID(bot.ActionShowContact):
		a.showContact(ctx, to, actor, caseID)
	default:
		a.Log.Debug("slack: unknown action", "action_id", actionID)
	}
}

// act changes a case at once; a refusal is answered privately.
func (a *App) act(ctx context.Context, ic *slackgo.InteractionCallback, to target, actor string, caseID int64, op models.Op) {
	_, err := a.Store.Act(ctx, a.Policy, a.Clock.Now(), caseID, actor, op)
	if err != nil {
		a.tell(ctx, to, cxslack.Escape(chatops.ActionOutcomeIn(a.readerLang(ctx, actor), err, "", caseID)))
		if !chatops.IsUserError(err) {
			a.Log.Error("slack: case action", "case", caseID, "op", op.Kind, "err", err)
		}
		return
	}
	a.queued()
	if fromHomeTab(ic) {
		a.publishHome(ctx, ic.User.ID)
	}
}

// readerLang is the language a person reads cxloop in.
func (a *App) readerLang(ctx context.Context, actor string) string {
	return a.Directory.Lang(ctx, actor, a.Policy.PersonLanguage(actor))
}

// openModal opens the modal of an action with the interaction's trigger_id,
// which Slack honours for 3 seconds from the click. Within TriggerWait it
// first checks that the person may take the action at all, so that a
// member pressing Assign hears "only managers…" instead of filling a form;
// when the check cannot finish in time the modal opens and the check
// happens on submission.
func (a *App) openModal(ctx context.Context, ic *slackgo.InteractionCallback, to target, op models.OpKind, caseID int64, received time.Time) {
	var teamName, teamID string
	var v models.CaseView
	check, cancel := context.WithDeadline(ctx, received.Add(a.TriggerWait))
	actor, err := a.Directory.Email(check, ic.User.ID)
	if errors.Is(err, cxslack.ErrNoEmail) || cxslack.IsUserNotFound(err) {
		cancel()
		a.tell(ctx, to, cxslack.Escape(a.whoAreYou()))
		return
	}
	if err == nil {
		v, err = a.Store.CaseView(check, caseID)
		switch {
		case errors.Is(err, models.ErrNotFound):
			cancel()
			a.tell(ctx, to, cxslack.Escape(chatops.ActionOutcomeIn(a.readerLang(ctx, actor), err, "", caseID)))
			return
		case err == nil:
			if refusal := a.Policy.Authorize(actor, op, &v.Case); refusal != nil {
				cancel()
				a.tell(ctx, to, cxslack.Escape(chatops.ActionOutcomeIn(a.readerLang(ctx, actor), refusal, "", caseID)))
				return
			}
			if t, ok := a.Policy.Team(v.Case.TeamID); ok {
				teamName, teamID = t.Name, t.ID
			}
		}
	}
	fallback := a.Policy.TeamLanguage(teamID)
	if teamID == "" {
		fallback = a.Policy.PersonLanguage(actor)
	}
	lang := a.Directory.Lang(check, actor, fallback)
	cancel()
	if teamName == "" {
		teamName = "—"
	}
	meta := modalMeta{Case: caseID, Channel: to.ChannelID, Home: fromHomeTab(ic)}.String()
	var view slackgo.ModalViewRequest
	switch op {
	case models.OpAssign:
		view = cxslack.AssignModal(lang, caseID, teamName, "", meta)
	case models.OpThank:
		form := a.emailForm(ctx, v, caseID, actor, models.MessageThankYou)
		view = cxslack.ThankModal(lang, caseID, a.Policy.ThankMethodsFor(form.Offer), meta, form)
	case models.OpResolve:
		view = cxslack.ResolveModal(lang, caseID, a.Policy.RootCauses, a.Policy.RootCauseLabel(lang), meta, a.emailForm(ctx, v, caseID, actor, ""))
	case models.OpNoContact:
		view = cxslack.NoContactModal(lang, caseID, models.NoContactReasons, meta)
	default:
		return
	}
	if _, err := a.Messenger.API().OpenViewContext(ctx, ic.TriggerID, view); err != nil {
		a.Log.Warn("slack: open a modal", "case", caseID, "op", op, "err", err)
		a.tell(ctx, to, cxslack.Escape(l10n.T(lang, "backlogoutcome.form_slow")))
	}
}

// emailForm is what a modal offers for emailing the customer of a case: the
// offer, and for purpose (when set) the message prefilled in the
// customer's language, signed by actor. v may be unloaded when the check
// before the modal ran out of time.
func (a *App) emailForm(ctx context.Context, v models.CaseView, caseID int64, actor, purpose string) cxslack.EmailForm {
	if !a.Policy.EmailEnabled {
		return cxslack.EmailForm{Offer: models.EmailOff}
	}
	if v.Case.ID == 0 {
		var err error
		if v, err = a.Store.CaseView(ctx, caseID); err != nil {
			return cxslack.EmailForm{Offer: models.EmailOff}
		}
	}
	form := cxslack.EmailForm{Offer: a.Policy.EmailOffer(v)}
	if form.Offer.Allowed() && purpose != "" {
		if d, err := a.Policy.CaseDraft(v, purpose, actor, ""); err == nil {
			form.Draft = &d
		} else {
			a.Log.Error("slack: customer message", "case", caseID, "err", err)
		}
	}
	return form
}

// slackFieldBlocks maps the fields models.Store.Act validates to the modal
// blocks that hold them.
var slackFieldBlocks = map[string]string{
	"assignee": cxslack.BlockAssignee, "method": cxslack.BlockMethod, "note": cxslack.BlockNote,
	"root_cause": cxslack.BlockRootCause, "reason": cxslack.BlockReason,
	"email_subject": cxslack.BlockEmailSubject, "email_body": cxslack.BlockEmailBody, "email": cxslack.BlockTellByEmail,
}

// slackModalFields lists each modal's input blocks, the first being where an
// error without a field of its own is shown.
var slackModalFields = map[string][]string{
	cxslack.ModalAssign:  {cxslack.BlockAssignee},
	cxslack.ModalThank:   {cxslack.BlockMethod, cxslack.BlockNote, cxslack.BlockEmailSubject, cxslack.BlockEmailBody},
	cxslack.ModalResolve: {cxslack.BlockRootCause, cxslack.BlockNote, cxslack.BlockSystemic, cxslack.BlockTellByEmail},
	// The resolution email's step.
	cxslack.ModalResolveEmail: {cxslack.BlockNote, cxslack.BlockEmailSubject, cxslack.BlockEmailBody},
	cxslack.ModalNoContact:    {cxslack.BlockReason, cxslack.BlockNote},
}

// opFromView reads a submitted modal into an action. For Assign, Assignee
// holds the picked Slack user id, to be resolved to an email.
func opFromView(callbackID string, values map[string]map[string]slackgo.BlockAction) (models.Op, bool) {
	get := func(block string) slackgo.BlockAction {
		for _, v := range values[block] { // one element per input block
			return v
		}
		return slackgo.BlockAction{}
	}
	note := strings.TrimSpace(get(cxslack.BlockNote).Value)
	switch callbackID {
	case cxslack.ModalAssign:
		return models.Op{Kind: models.OpAssign, Assignee: get(cxslack.BlockAssignee).SelectedUser}, true
	case cxslack.ModalThank:
		op := models.Op{Kind: models.OpThank, Method: get(cxslack.BlockMethod).SelectedOption.Value, Note: note}
		if op.Method == models.ThankByEmail {
			op.Email = &models.Draft{Subject: get(cxslack.BlockEmailSubject).Value, Body: get(cxslack.BlockEmailBody).Value}
		}
		return op, true
	case cxslack.ModalResolve:
		op := models.Op{Kind: models.OpResolve, RootCause: get(cxslack.BlockRootCause).SelectedOption.Value, Note: note}
		for _, o := range get(cxslack.BlockSystemic).SelectedOptions {
			if o.Value == "systemic" {
				op.Systemic = true
			}
		}
		for _, o := range get(cxslack.BlockTellByEmail).SelectedOptions {
			if o.Value == "email" {
				op.Email = &models.Draft{}
			}
		}
		return op, true
	case cxslack.ModalResolveEmail:
		// The root cause and the systemic choice come from the metadata.
		return models.Op{Kind: models.OpResolve, Note: note,
			Email: &models.Draft{Subject: get(cxslack.BlockEmailSubject).Value, Body: get(cxslack.BlockEmailBody).Value}}, true
	case cxslack.ModalNoContact:
		return models.Op{Kind: models.OpNoContact, Reason: get(cxslack.BlockReason).SelectedOption.Value, Note: note}, true
	}
	return models.Op{}, false
}

// submitHandoff passes a submission's validation error from the worker to the
// request still waiting for it; once the request has stopped waiting, the
// worker answers privately instead.
type submitHandoff struct {
	mu     sync.Mutex
	gaveUp bool
	ch     chan *models.FieldError
}

// give hands over the outcome; false means nobody waits any more.
func (h *submitHandoff) give(fe *models.FieldError) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gaveUp {
		return false
	}
	h.ch <- fe
	return true
}

// wait returns the outcome, or false when stop came first.
func (h *submitHandoff) wait(stop <-chan time.Time, done <-chan struct{}) (*models.FieldError, bool) {
	select {
	case fe := <-h.ch:
		return fe, true
	case <-stop:
	case <-done:
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case fe := <-h.ch:
		return fe, true
	default:
		h.gaveUp = true
		return nil, false
	}
}

// viewSubmission handles a submitted modal and returns the answer for
// Slack: nil closes the modal, a response with errors keeps it open with
// the messages on their fields. The change runs in the pool; this waits for
// it up to SubmitWait (or until ctx ends) and then closes the modal anyway,
// the worker answering privately if the change was refused or invalid.
func (a *App) viewSubmission(ctx context.Context, ic slackgo.InteractionCallback) *slackgo.ViewSubmissionResponse {
	a.init()
	if resp, handled := a.itemSubmission(ctx, ic); handled {
		return resp
	}
	meta, ok := parseModalMeta(ic.View.PrivateMetadata)
	var values map[string]map[string]slackgo.BlockAction
	if ic.View.State != nil {
		values = ic.View.State.Values
	}
	op, known := opFromView(ic.View.CallbackID, values)
	if !ok || !known {
		a.Log.Warn("slack: submission of an unknown modal", "callback_id", ic.View.CallbackID)
		return nil
	}
	blocks := slackModalFields[ic.View.CallbackID]
	errorsOn := func(fe *models.FieldError) *slackgo.ViewSubmissionResponse {
		block, has := slackFieldBlocks[fe.Field]
		if !has || !slices.Contains(blocks, block) {
			block = blocks[0]
		}
		return slackgo.NewErrorsViewSubmissionResponse(map[string]string{block: clipText(chatops.FieldSentence(fe.Msg), 150)})
	}
	if ic.View.CallbackID == cxslack.ModalResolveEmail {
		op.RootCause, op.Systemic = meta.RootCause, meta.Systemic
	}
	if ic.View.CallbackID == cxslack.ModalResolve && op.Email != nil {
		// Telling the customer by email: show the email first.
		if fe, view := a.resolveEmailStep(ctx, ic.User.ID, meta, op); fe != nil {
			return errorsOn(fe)
		} else if view != nil {
			return slackgo.NewUpdateViewSubmissionResponse(view)
		}
	}
	to := target{UserID: ic.User.ID, ChannelID: meta.Channel}
	h := &submitHandoff{ch: make(chan *models.FieldError, 1)}
	started := a.spawn("submit "+ic.View.CallbackID, func(ctx context.Context) {
		err := a.submit(ctx, ic.User.ID, meta.Case, op)
		lang := a.userLang(ctx, ic.User.ID)
		var fe *models.FieldError
		if errors.As(err, &fe) {
			// The form shows the sentence as the person reads it.
			if !h.give(&models.FieldError{Field: fe.Field, Msg: chatops.FieldIn(lang, fe)}) {
				a.tell(ctx, to, cxslack.Escape(l10n.T(lang, "caseanswer.not_changed", "CaseID", meta.Case,
					"Reason", strings.TrimSuffix(chatops.FieldIn(lang, fe), "."))))
			}
			return
		}
		h.give(nil)
		if err != nil {
			if errors.Is(err, cxslack.ErrNoEmail) || errors.Is(err, errSlackUnknownActor) {
				a.tell(ctx, to, cxslack.Escape(a.whoAreYou()))
				return
			}
			a.tell(ctx, to, cxslack.Escape(chatops.ActionOutcomeIn(lang, err, "", meta.Case)))
			if !chatops.IsUserError(err) {
				a.Log.Error("slack: case action", "case", meta.Case, "op", op.Kind, "err", err)
			}
			return
		}
		a.queued()
		if meta.Home {
			a.publishHome(ctx, ic.User.ID)
		}
	})
	if !started {
		return errorsOn(&models.FieldError{Msg: l10n.T(a.Policy.TeamLanguage(""), "backlogoutcome.busy")})
	}
	timer := time.NewTimer(a.SubmitWait)
	defer timer.Stop()
	fe, inTime := h.wait(timer.C, ctx.Done())
	if inTime && fe != nil {
		return errorsOn(fe)
	}
	return nil
}

var errSlackUnknownActor = errors.New("unknown actor")

// resolveEmailStep is the view that replaces the resolve modal when the
// customer is to be told by email: the resolution message in their
// language, the note as what was done, signed by the person resolving. A
// field error keeps the first modal open; neither (no person or case to be
// found in time) lets the submission go ahead with the shipped message.
func (a *App) resolveEmailStep(ctx context.Context, userID string, meta modalMeta, op models.Op) (*models.FieldError, *slackgo.ModalViewRequest) {
	if strings.TrimSpace(op.Note) == "" {
		return &models.FieldError{Field: "note", Msg: l10n.T(a.userLang(ctx, userID), "caseanswer.resolve_email_note")}, nil
	}
	actor, err := a.Directory.Email(ctx, userID)
	if err != nil {
		return nil, nil
	}
	v, err := a.Store.CaseView(ctx, meta.Case)
	if err != nil {
		return nil, nil
	}
	if refusal := a.Policy.Authorize(actor, models.OpResolve, &v.Case); refusal != nil {
		return nil, nil // the submission refuses it and says why
	}
	if offer := a.Policy.EmailOffer(v); !offer.Allowed() {
		return &models.FieldError{Field: "email", Msg: l10n.T(a.readerLang(ctx, actor), "caseanswer.email_reason."+string(offer))}, nil
	}
	d, err := a.Policy.CaseDraft(v, models.MessageResolution, actor, op.Note)
	if err != nil {
		a.Log.Error("slack: resolution message", "case", meta.Case, "err", err)
		return nil, nil
	}
	lang := a.Directory.Lang(ctx, actor, a.Policy.TeamLanguage(v.Case.TeamID))
	next := meta
	next.RootCause, next.Systemic = op.RootCause, op.Systemic
	view := cxslack.ResolveEmailModal(lang, meta.Case, op.Note, d, next.String())
	return nil, &view
}

// submit applies a submitted modal's action for the Slack user.
func (a *App) submit(ctx context.Context, userID string, caseID int64, op models.Op) error {
	actor, err := a.Directory.Email(ctx, userID)
	if err != nil {
		a.Log.Warn("slack: who submitted a form", "user", userID, "err", err)
		return fmt.Errorf("%w: %v", errSlackUnknownActor, err)
	}
	if op.Kind == models.OpAssign {
		picked := op.Assignee
		if picked == "" {
			return &models.FieldError{Field: "assignee", Msg: "choose a person", ID: "caseanswer.choose_person"}
		}
		email, err := a.Directory.Email(ctx, picked)
		if err != nil {
			if errors.Is(err, cxslack.ErrNoEmail) || cxslack.IsUserNotFound(err) {
				return &models.FieldError{Field: "assignee", Msg: "cxloop cannot see that person's email address; choose someone else",
					ID: "caseanswer.person_no_email"}
			}
			return err
		}
		op.Assignee = email
	}
	_, err = a.Store.Act(ctx, a.Policy, a.Clock.Now(), caseID, actor, op)
	return err
}

// showContact answers the owner, the team's managers and admins privately
// with the customer's unmasked contact details.
func (a *App) showContact(ctx context.Context, to target, actor string, caseID int64) {
	if _, err := a.Store.Act(ctx, a.Policy, a.Clock.Now(), caseID, actor, models.Op{Kind: models.OpContact}); err != nil {
		a.tell(ctx, to, cxslack.Escape(chatops.ActionOutcomeIn(a.readerLang(ctx, actor), err, "", caseID)))
		return
	}
	v, err := a.Store.CaseView(ctx, caseID)
	if err != nil {
		a.tell(ctx, to, cxslack.Escape(chatops.ActionOutcomeIn(a.readerLang(ctx, actor), err, "", caseID)))
		return
	}
	a.tell(ctx, to, contactText(a.readerLang(ctx, actor), v))
}

// contactText lists a case's contact details, escaped (the blocks it goes
// in are verbatim, so an email or number is not turned into a link).
func contactText(lang string, v models.CaseView) string {
	r := v.Response
	var b strings.Builder
	b.WriteString(l10n.T(lang, "caseanswer.contact_title", "CaseID", v.Case.ID))
	line := func(label, value string) {
		if value = strings.TrimSpace(value); value != "" {
			b.WriteString("\n*" + label + ":* " + cxslack.Escape(strings.Join(strings.Fields(value), " ")))
		}
	}
	line(l10n.T(lang, "caseanswer.contact.name"), r.CustomerName)
	line(l10n.T(lang, "caseanswer.contact.email"), r.CustomerEmail)
	line(l10n.T(lang, "caseanswer.contact.phone"), r.CustomerPhone)
	line(l10n.T(lang, "caseanswer.contact.customer_id"), r.CustomerID)
	for _, p := range models.FindPersonalData(r.Comment) {
		if p.Kind != models.PersonalCard { // stored masked: there is nothing more to show
			line(l10n.T(lang, "contact.in_comment"), p.Text)
		}
	}
	switch {
	case r.ContactOK == nil:
	case *r.ContactOK:
		b.WriteString("\n" + l10n.T(lang, "caseanswer.consent_yes"))
	default:
		b.WriteString("\n" + l10n.T(lang, "caseanswer.consent_no"))
	}
	if r.CustomerName == "" && r.CustomerEmail == "" && r.CustomerPhone == "" && r.CustomerID == "" {
		b.WriteString("\n" + l10n.T(lang, "caseanswer.anonymous"))
	}
	return b.String()
}

// fullComment shows a comment that was too long for the card. Anyone may
// read cards, so anyone may read it.
func (a *App) fullComment(ctx context.Context, to target, caseID int64) {
	lang := a.userLang(ctx, to.UserID)
	v, err := a.Store.CaseView(ctx, caseID)
	if err != nil {
		a.tell(ctx, to, cxslack.Escape(chatops.ActionOutcomeIn(lang, err, "", caseID)))
		return
	}
	a.tell(ctx, to, l10n.T(lang, "caseanswer.full_comment", "CaseID", caseID)+"\n"+cxslack.Quote(models.MaskPersonalData(v.Response.Comment)))
}
