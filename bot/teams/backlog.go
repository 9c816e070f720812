package teams

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// Verbs of the improvement backlog card (@cxloop backlog). Their data carry
// DataItemID instead of a case id.
const (
	VerbItemTake   = "item.take"
	VerbItemStatus = "item.status"
	VerbItemRename = "item.rename"
	// VerbBacklog shows the backlog again (the fix_done form's cancel).
	VerbBacklog = "item.backlog"

	DataItemID = "itemId"
	// InputFixDonePrefix starts the id of each language's fix_done text
	// (fix_done_et); it is models' field name for that edit.
	InputFixDonePrefix = models.FixDoneField
)

// InputItemStatus and InputItemTitle are the ids of an item's status choice
// and title field: one per item, as ids are unique within a card.
func InputItemStatus(itemID int64) string { return "itemStatus" + strconv.FormatInt(itemID, 10) }
func InputItemTitle(itemID int64) string  { return "itemTitle" + strconv.FormatInt(itemID, 10) }

// BacklogOptions says who looks at the backlog and what to tell them.
type BacklogOptions struct {
	Lang   string
	Viewer string // the viewer's email
	// Manage shows the actions: the viewer may change items (admins and
	// managers). Others read the list.
	Manage bool
	// Notice is shown first, such as the outcome of the action that
	// refreshed the card; it may quote an item's title, so it is plain text.
	Notice               string
	MoreOpen, MoreClosed int
}

// BacklogCard renders the improvement backlog as an Adaptive Card: the open
// items, most linked detractors first as given, each with Take ownership,
// Set status… and Rename… for those who may change items; then the done
// and dropped ones in a line each, a dropped one with Set status… to bring
// it back. Titles are TextRuns, never markdown.
func BacklogCard(open, closed []models.ImprovementSummary, o BacklogOptions) map[string]any {
	lang := o.Lang
	t := func(id string, kv ...any) string { return l10n.T(lang, id, kv...) }
	body := []any{element{"type": "TextBlock", "text": EscapeMarkdown(t("backlog.title")), "weight": "Bolder", "size": "Medium", "wrap": true}}
	if o.Notice != "" {
		body = append(body, plain(clipRunes(o.Notice, maxNoteRunes)))
	}
	intro := t("backlog.intro")
	if !o.Manage {
		intro = t("backlog.intro_readonly")
	}
	body = append(body, element{"type": "TextBlock", "text": intro, "wrap": true, "isSubtle": true})
	if len(open) == 0 {
		body = append(body, element{"type": "TextBlock", "text": t("backlog.empty"), "wrap": true})
	}
	for _, it := range open {
		body = append(body, backlogItem(it, o, false))
	}
	if o.MoreOpen > 0 {
		body = append(body, element{"type": "TextBlock", "text": EscapeMarkdown(l10n.N(lang, "backlog.more_open", o.MoreOpen)), "wrap": true, "isSubtle": true})
	}
	if len(closed) > 0 {
		body = append(body, element{"type": "TextBlock", "text": EscapeMarkdown(t("backlog.closed_title")), "weight": "Bolder", "wrap": true, "separator": true, "spacing": "Medium"})
		for _, it := range closed {
			body = append(body, backlogItem(it, o, true))
		}
		if o.MoreClosed > 0 {
			body = append(body, element{"type": "TextBlock", "text": EscapeMarkdown(l10n.N(lang, "backlog.more_closed", o.MoreClosed)), "wrap": true, "isSubtle": true})
		}
	}
	return adaptiveCard(body)
}

// backlogItem is one item: its title, a line of facts, and its actions.
func backlogItem(it models.ImprovementSummary, o BacklogOptions, closed bool) element {
	lang := o.Lang
	facts := []string{StatusLabel(lang, it.Status), l10n.N(lang, "backlog.detractor_cases", int(it.Linked))}
	if !closed {
		if it.Told > 0 {
			facts[1] += " " + l10n.N(lang, "backlog.told", int(it.Told))
		}
		owner := l10n.T(lang, "card.owner.nobody")
		if it.Owner != "" {
			owner = models.PersonName(it.Owner)
		}
		facts = append(facts, l10n.T(lang, "home.owner", "Owner", owner))
		if it.RootCause != "" {
			facts = append(facts, l10n.T(lang, "backlog.root_cause", "RootCause", it.RootCause))
		}
	} else if it.Status == models.ImprovementDone {
		if it.DoneAt != nil {
			facts = append(facts, l10n.T(lang, "backlog.done_at", "Date", l10n.Date(lang, *it.DoneAt)))
		}
		if it.Linked > 0 {
			facts = append(facts, l10n.N(lang, "backlog.told_of", int(it.Linked), "Told", l10n.Number(lang, int(it.Told))))
		}
	}
	title := element{"type": "RichTextBlock", "inlines": []any{
		element{"type": "TextRun", "text": fmt.Sprintf("#%d %s", it.ID, clipRunes(oneLine(it.Title), maxItemTitle)), "weight": "Bolder"}}}
	items := []any{title, plain(strings.Join(facts, " · "))}
	if o.Manage {
		var actions []any
		if !closed && (o.Viewer == "" || !strings.EqualFold(it.Owner, o.Viewer)) {
			actions = append(actions, itemExecute(it.ID, VerbItemTake, l10n.T(lang, "backlog.button.take"), "positive", nil))
		}
		if next := models.NextImprovementStatuses(it.Status); len(next) > 0 {
			choice := choiceSet(lang, InputItemStatus(it.ID), l10n.T(lang, "backlog.new_status"), next, func(s string) string { return StatusLabel(lang, s) })
			intro := element{"type": "TextBlock", "wrap": true, "text": EscapeMarkdown(l10n.T(lang, "backlog.status_title", "ItemID", it.ID)), "weight": "Bolder"}
			inputs := []any{intro}
			if it.Linked > 0 {
				inputs = append(inputs, element{"type": "TextBlock", "wrap": true, "text": l10n.N(lang, "backlog.status_done_effect", int(it.Linked))})
			}
			inputs = append(inputs, choice)
			actions = append(actions, showCard(l10n.T(lang, "backlog.button.status"), inputs,
				itemExecute(it.ID, VerbItemStatus, l10n.T(lang, "form.save"), "positive", nil)))
		}
		if !closed {
			in := element{"type": "Input.Text", "id": InputItemTitle(it.ID), "label": l10n.T(lang, "backlog.title_label"),
				"placeholder": l10n.T(lang, "backlog.rename_placeholder"), "value": clipRunes(oneLine(it.Title), maxItemTitle),
				"maxLength": maxItemTitle, "isRequired": true, "errorMessage": l10n.T(lang, "backlog.title_label")}
			actions = append(actions, showCard(l10n.T(lang, "backlog.button.rename"), []any{in},
				itemExecute(it.ID, VerbItemRename, l10n.T(lang, "backlog.rename_submit"), "positive", nil)))
		}
		if len(actions) > 0 {
			items = append(items, element{"type": "ActionSet", "actions": actions})
		}
	}
	return element{"type": "Container", "items": items, "separator": true, "spacing": "Medium"}
}

// itemExecute is a backlog Action.Execute with its Action.Submit fallback.
func itemExecute(itemID int64, verb, title, style string, extra map[string]any) element {
	data := element{DataItemID: itemID, DataVerb: verb}
	for k, v := range extra {
		data[k] = v
	}
	a := element{"type": "Action.Execute", "title": title, "verb": verb, "data": data,
		"fallback": element{"type": "Action.Submit", "title": title, "data": data}}
	if style != "" {
		a["style"] = style
	}
	return a
}

// StatusLabel is an item status as people read it in lang.
func StatusLabel(lang, status string) string { return l10n.T(lang, "backlog.status."+status) }

// FixDoneText is the "you said, we did" message for the customers who read
// one language, as the form shows it for confirming or editing.
type FixDoneText struct {
	Lang      string
	Customers int
	Body      string // a template over the customer message fields
}

// FixDoneForm is the card shown when an item is set to done and customers
// are to be emailed: one editable text per customer language, prefilled
// with the configured fix_done message; confirming marks the item done and
// sends the texts as they stand.
func FixDoneForm(lang string, it models.ImprovementSummary, texts []FixDoneText) map[string]any {
	t := func(id string, kv ...any) string { return l10n.T(lang, id, kv...) }
	body := []any{
		element{"type": "TextBlock", "text": EscapeMarkdown(t("backlog.status_title", "ItemID", it.ID)), "weight": "Bolder", "size": "Medium", "wrap": true},
		plain(fmt.Sprintf("#%d %s", it.ID, clipRunes(oneLine(it.Title), maxItemTitle))),
		element{"type": "TextBlock", "text": EscapeMarkdown(t("backlog.fix_done_intro",
			"CustomerName", "{{.CustomerName}}", "OwnerName", "{{.OwnerName}}", "WhatWasDone", "{{.WhatWasDone}}")), "wrap": true, "isSubtle": true},
	}
	for _, fd := range texts {
		label := l10n.N(lang, "backlog.fix_done_label", fd.Customers, "Language", l10n.T(lang, "language."+l10n.Lang(fd.Lang)))
		body = append(body, element{"type": "Input.Text", "id": InputFixDonePrefix + fd.Lang, "label": label, "isMultiline": true,
			"value": clipRunes(fd.Body, 3000), "maxLength": 3000})
	}
	done := itemExecute(it.ID, VerbItemStatus, t("form.save"), "positive",
		map[string]any{InputItemStatus(it.ID): models.ImprovementDone, InputReviewed: "true"})
	card := adaptiveCard(body)
	card["actions"] = []any{done, itemExecute(it.ID, VerbBacklog, t("form.cancel"), "", nil)}
	return card
}

// maxItemTitle is the longest title the rename field takes, as on Slack.
const maxItemTitle = 300
