package slack

import (
	"fmt"
	"strconv"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// Action ids of the improvement backlog's buttons (/cx backlog). Each
// button's value is the item id.
const (
	ActionItemTake   = "item.take"
	ActionItemStatus = "item.status"
	ActionItemRename = "item.rename"
)

// Callback ids of the backlog's modals, and the block ids of their inputs.
const (
	ModalItemStatus = "item_status_modal"
	ModalItemRename = "item_rename_modal"

	BlockItemStatus = "item_status"
	BlockItemTitle  = "item_title"
)

// MaxItemTitle is the longest title an improvement item may have.
const MaxItemTitle = 300

// itemTitleLen bounds an item's title once escaped, which can make it five
// times longer.
const itemTitleLen = 5 * MaxItemTitle

var statusEmoji = map[string]string{
	models.ImprovementProposed:   ":bulb:",
	models.ImprovementInProgress: ":hammer_and_wrench:",
	models.ImprovementDone:       ":white_check_mark:",
	models.ImprovementDropped:    ":wastebasket:",
}

// StatusLabel is an item status as people read it in lang: "In progress".
func StatusLabel(lang, status string) string {
	if _, ok := statusEmoji[status]; ok {
		return l10n.T(lang, "backlog.status."+status)
	}
	return titleCase(strings.ReplaceAll(status, "_", " "))
}

// BacklogOptions says who looks at the backlog and what to tell them.
type BacklogOptions struct {
	// Lang is the language of the answer: the viewer's.
	Lang string
	// Viewer is the email of the person the (private) answer is for.
	Viewer string
	// Manage shows the buttons: the viewer may change items (admins and
	// managers). Others read the list.
	Manage bool
	// OwnerIDs maps owners' emails (lower case) to Slack user ids.
	OwnerIDs map[string]string
	// Notice is a line of escaped mrkdwn shown first, such as the outcome
	// of the action that refreshed the list.
	Notice string
	// MoreOpen and MoreClosed count the items left out of the lists.
	MoreOpen, MoreClosed int
}

// BacklogBlocks renders the improvement backlog: the open items (proposed
// and in progress, most linked detractors first, as given) each with its
// buttons Take ownership, Set status… and Rename…; then the closed ones
// (done and dropped) in a line each, a dropped one with Set status… to
// bring it back. Titles and emails are escaped. The result stays within
// MaxBlocks; items that do not fit are counted.
func BacklogBlocks(open, closed []models.ImprovementSummary, o BacklogOptions) []slackgo.Block {
	lang := o.Lang
	blocks := []slackgo.Block{slackgo.NewHeaderBlock(plain(l10n.T(lang, "backlog.title")), slackgo.HeaderBlockOptionBlockID("backlog-header"))}
	if o.Notice != "" {
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(clip(o.Notice, MaxTextLen)), nil, nil, slackgo.SectionBlockOptionBlockID("backlog-notice")))
	}
	intro := l10n.T(lang, "backlog.intro")
	if !o.Manage {
		intro = l10n.T(lang, "backlog.intro_readonly")
	}
	blocks = append(blocks, slackgo.NewContextBlock("backlog-intro", mrkdwn(intro)))
	if len(open) == 0 {
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(l10n.T(lang, "backlog.empty")),
			nil, nil, slackgo.SectionBlockOptionBlockID("backlog-empty")))
	}
	// Room for the closed list's divider and title, one closed item and
	// the two "more" lines.
	const reserve = 5
	moreOpen := o.MoreOpen
	for i, it := range open {
		ib := itemBlocks(it, o)
		if len(blocks)+len(ib)+reserve > MaxBlocks {
			moreOpen += len(open) - i
			break
		}
		blocks = append(blocks, ib...)
	}
	if moreOpen > 0 {
		blocks = append(blocks, slackgo.NewContextBlock("backlog-more-open",
			mrkdwn(l10n.N(lang, "backlog.more_open", moreOpen))))
	}
	if len(closed) > 0 && len(blocks)+3 <= MaxBlocks {
		blocks = append(blocks, slackgo.NewDividerBlock(),
			slackgo.NewContextBlock("backlog-closed-title", mrkdwn("*"+l10n.T(lang, "backlog.closed_title")+"*")))
		moreClosed := o.MoreClosed
		for i, it := range closed {
			if len(blocks)+2 > MaxBlocks {
				moreClosed += len(closed) - i
				break
			}
			blocks = append(blocks, closedItemBlock(it, o))
		}
		if moreClosed > 0 && len(blocks) < MaxBlocks {
			blocks = append(blocks, slackgo.NewContextBlock("backlog-more-closed",
				mrkdwn(l10n.N(lang, "backlog.more_closed", moreClosed))))
		}
	}
	return blocks
}

// BacklogFallback is the notification text of a backlog answer, escaped.
func BacklogFallback(lang string, open int, notice string) string {
	s := l10n.T(lang, "backlog.fallback_none")
	if open > 0 {
		s = l10n.N(lang, "backlog.fallback", open)
	}
	if notice != "" {
		s = notice + " · " + s
	}
	return s
}

// itemLine is an item's summary: number, title, status, detractors, owner,
// root cause.
func itemLine(it models.ImprovementSummary, o BacklogOptions) string {
	var b strings.Builder
	lang := o.Lang
	fmt.Fprintf(&b, "*#%d %s*\n%s %s · %s", it.ID, esc(oneLine(it.Title), itemTitleLen), statusEmoji[it.Status], StatusLabel(lang, it.Status),
		l10n.N(lang, "backlog.detractor_cases", int(it.Linked)))
	if it.Told > 0 {
		b.WriteString(" " + l10n.N(lang, "backlog.told", int(it.Told)))
	}
	b.WriteString(" · " + l10n.T(lang, "home.owner", "Owner", personText(lang, it.Owner, o.OwnerIDs[strings.ToLower(it.Owner)])))
	if it.RootCause != "" {
		b.WriteString(" · " + l10n.T(lang, "backlog.root_cause", "RootCause", code(it.RootCause, maxValueLen)))
	}
	return b.String()
}

func itemBlocks(it models.ImprovementSummary, o BacklogOptions) []slackgo.Block {
	id := strconv.FormatInt(it.ID, 10)
	blocks := []slackgo.Block{slackgo.NewSectionBlock(mrkdwn(itemLine(it, o)), nil, nil, slackgo.SectionBlockOptionBlockID("item-"+id+"-summary"))}
	if !o.Manage {
		return blocks
	}
	var buttons []slackgo.BlockElement
	if !strings.EqualFold(it.Owner, o.Viewer) || o.Viewer == "" {
		buttons = append(buttons, slackgo.NewButtonBlockElement(ActionItemTake, id, plain(l10n.T(o.Lang, "backlog.button.take"))).WithStyle(slackgo.StylePrimary))
	}
	if len(models.NextImprovementStatuses(it.Status)) > 0 {
		buttons = append(buttons, slackgo.NewButtonBlockElement(ActionItemStatus, id, plain(l10n.T(o.Lang, "backlog.button.status"))))
	}
	buttons = append(buttons, slackgo.NewButtonBlockElement(ActionItemRename, id, plain(l10n.T(o.Lang, "backlog.button.rename"))))
	return append(blocks, slackgo.NewActionBlock("item-"+id+"-actions", buttons...))
}

func closedItemBlock(it models.ImprovementSummary, o BacklogOptions) slackgo.Block {
	id := strconv.FormatInt(it.ID, 10)
	lang := o.Lang
	text := fmt.Sprintf("%s #%d %s · %s · %s", statusEmoji[it.Status], it.ID, esc(oneLine(it.Title), itemTitleLen), StatusLabel(lang, it.Status),
		l10n.N(lang, "backlog.detractor_cases", int(it.Linked)))
	if it.Status == models.ImprovementDone {
		if it.DoneAt != nil {
			text += " · " + l10n.T(lang, "backlog.done_at", "Date", slackDate(lang, *it.DoneAt))
		}
		if it.Linked > 0 {
			text += " · " + l10n.N(lang, "backlog.told_of", int(it.Linked), "Told", l10n.Number(lang, int(it.Told)))
		}
	}
	var acc *slackgo.Accessory
	if o.Manage && len(models.NextImprovementStatuses(it.Status)) > 0 {
		acc = slackgo.NewAccessory(slackgo.NewButtonBlockElement(ActionItemStatus, id, plain(l10n.T(lang, "backlog.button.status"))))
	}
	return slackgo.NewSectionBlock(mrkdwn(text), nil, acc, slackgo.SectionBlockOptionBlockID("item-"+id+"-closed"))
}

// ItemStatusModal asks for an item's new status, offering the statuses it
// may move to (see models.NextImprovementStatuses); metadata travels back in
// the submission's private_metadata.
func ItemStatusModal(lang string, it models.ImprovementSummary, metadata string, fixDone ...FixDoneText) slackgo.ModalViewRequest {
	var opts []*slackgo.OptionBlockObject
	for _, st := range models.NextImprovementStatuses(it.Status) {
		opts = append(opts, slackgo.NewOptionBlockObject(st, plain(StatusLabel(lang, st)), nil))
	}
	sel := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, plain(l10n.T(lang, "form.choose")), "item_status_select", opts...)
	intro := l10n.T(lang, "backlog.status_intro", "Item", fmt.Sprintf("#%d %s", it.ID, esc(oneLine(it.Title), itemTitleLen)), "Status", StatusLabel(lang, it.Status))
	if it.Linked > 0 {
		intro += "\n" + l10n.N(lang, "backlog.status_done_effect", int(it.Linked))
	}
	blocks := []slackgo.Block{
		slackgo.NewSectionBlock(mrkdwn(intro), nil, nil),
		slackgo.NewInputBlock(BlockItemStatus, plain(l10n.T(lang, "backlog.new_status")), nil, sel),
	}
	if len(fixDone) > 0 {
		blocks = append(blocks, slackgo.NewDividerBlock(),
			slackgo.NewSectionBlock(mrkdwn(Escape(l10n.T(lang, "backlog.fix_done_intro",
				"CustomerName", "{{.CustomerName}}", "OwnerName", "{{.OwnerName}}", "WhatWasDone", "{{.WhatWasDone}}"))), nil, nil))
	}
	for _, fd := range fixDone {
		in := slackgo.NewPlainTextInputBlockElement(nil, "fix_done_input")
		in.Multiline, in.InitialValue, in.MaxLength = true, clip(fd.Body, 3000), 3000
		label := l10n.N(lang, "backlog.fix_done_label", fd.Customers, "Language", l10n.T(lang, "language."+l10n.Lang(fd.Lang)))
		blocks = append(blocks, slackgo.NewInputBlock(BlockFixDonePrefix+fd.Lang, plain(clip(label, 2000)), nil, in).WithOptional(true))
	}
	return modal(lang, ModalItemStatus, l10n.T(lang, "backlog.status_title", "ItemID", it.ID), l10n.T(lang, "form.save"), metadata, blocks...)
}

// FixDoneText is the "you said, we did" message for the customers who read
// one language, as the modal shows it for confirming or editing.
type FixDoneText struct {
	Lang      string
	Customers int
	Body      string // a template over the customer message fields
}

// BlockFixDonePrefix starts the block id of each language's message; it is
// models' field name for an edit that does not parse.
const BlockFixDonePrefix = models.FixDoneField

// ItemRenameModal asks for an item's new title, the current one filled in.
func ItemRenameModal(lang string, it models.ImprovementSummary, metadata string) slackgo.ModalViewRequest {
	in := slackgo.NewPlainTextInputBlockElement(plain(l10n.T(lang, "backlog.rename_placeholder")), "item_title_input").
		WithInitialValue(clip(oneLine(it.Title), MaxItemTitle)).WithMaxLength(MaxItemTitle)
	return modal(lang, ModalItemRename, l10n.T(lang, "backlog.rename_title", "ItemID", it.ID), l10n.T(lang, "backlog.rename_submit"), metadata,
		slackgo.NewInputBlock(BlockItemTitle, plain(l10n.T(lang, "backlog.title_label")), nil, in),
	)
}
