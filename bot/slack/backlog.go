package slack

import (
	"fmt"
	"strconv"
	"strings"

	slackgo "github.com/slack-go/slack"

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

// statusLabels name the item statuses as people read them.
var statusLabels = map[string]string{
	models.ImprovementProposed:   "Proposed",
	models.ImprovementInProgress: "In progress",
	models.ImprovementDone:       "Done",
	models.ImprovementDropped:    "Dropped",
}

var statusEmoji = map[string]string{
	models.ImprovementProposed:   ":bulb:",
	models.ImprovementInProgress: ":hammer_and_wrench:",
	models.ImprovementDone:       ":white_check_mark:",
	models.ImprovementDropped:    ":wastebasket:",
}

// StatusLabel is an item status as people read it: "In progress".
func StatusLabel(status string) string {
	if l, ok := statusLabels[status]; ok {
		return l
	}
	return titleCase(strings.ReplaceAll(status, "_", " "))
}

// BacklogOptions says who looks at the backlog and what to tell them.
type BacklogOptions struct {
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
	blocks := []slackgo.Block{slackgo.NewHeaderBlock(plain("Improvement backlog"), slackgo.HeaderBlockOptionBlockID("backlog-header"))}
	if o.Notice != "" {
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(clip(o.Notice, MaxTextLen)), nil, nil, slackgo.SectionBlockOptionBlockID("backlog-notice")))
	}
	intro := "The systemic issues behind detractor cases, most detractors first. Marking an item *done* tells the owners of its cases to call their customers back."
	if !o.Manage {
		intro += " Admins and team managers can change items."
	}
	blocks = append(blocks, slackgo.NewContextBlock("backlog-intro", mrkdwn(intro)))
	if len(open) == 0 {
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn("Nothing is open: no systemic issue is waiting. Resolving a case as a _systemic issue_ adds one here."),
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
			mrkdwn(fmt.Sprintf("…and %d more open %s with fewer detractors.", moreOpen, pluralWord(moreOpen, "item", "items")))))
	}
	if len(closed) > 0 && len(blocks)+3 <= MaxBlocks {
		blocks = append(blocks, slackgo.NewDividerBlock(),
			slackgo.NewContextBlock("backlog-closed-title", mrkdwn("*Done and dropped*")))
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
				mrkdwn(fmt.Sprintf("…and %d more done or dropped.", moreClosed))))
		}
	}
	return blocks
}

// BacklogFallback is the notification text of a backlog answer, escaped.
func BacklogFallback(open int, notice string) string {
	s := "Improvement backlog: nothing open"
	if open > 0 {
		s = fmt.Sprintf("Improvement backlog: %d open %s", open, pluralWord(open, "item", "items"))
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
	fmt.Fprintf(&b, "*#%d %s*\n%s %s · %s", it.ID, esc(oneLine(it.Title), itemTitleLen), statusEmoji[it.Status], StatusLabel(it.Status),
		pluralWord64(it.Linked, "detractor case", "detractor cases"))
	if it.Told > 0 {
		fmt.Fprintf(&b, " (%d told of the fix)", it.Told)
	}
	b.WriteString(" · owner " + ownerText(it.Owner, o.OwnerIDs[strings.ToLower(it.Owner)]))
	if it.RootCause != "" {
		b.WriteString(" · root cause " + code(it.RootCause, maxValueLen))
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
		buttons = append(buttons, slackgo.NewButtonBlockElement(ActionItemTake, id, plain("Take ownership")).WithStyle(slackgo.StylePrimary))
	}
	if len(models.NextImprovementStatuses(it.Status)) > 0 {
		buttons = append(buttons, slackgo.NewButtonBlockElement(ActionItemStatus, id, plain("Set status…")))
	}
	buttons = append(buttons, slackgo.NewButtonBlockElement(ActionItemRename, id, plain("Rename…")))
	return append(blocks, slackgo.NewActionBlock("item-"+id+"-actions", buttons...))
}

func closedItemBlock(it models.ImprovementSummary, o BacklogOptions) slackgo.Block {
	id := strconv.FormatInt(it.ID, 10)
	text := fmt.Sprintf("%s #%d %s · %s · %s", statusEmoji[it.Status], it.ID, esc(oneLine(it.Title), itemTitleLen), StatusLabel(it.Status),
		pluralWord64(it.Linked, "detractor case", "detractor cases"))
	if it.Status == models.ImprovementDone {
		if it.DoneAt != nil {
			text += " · done " + slackDate(*it.DoneAt)
		}
		if it.Linked > 0 {
			text += fmt.Sprintf(" · %d of %d customers told", it.Told, it.Linked)
		}
	}
	var acc *slackgo.Accessory
	if o.Manage && len(models.NextImprovementStatuses(it.Status)) > 0 {
		acc = slackgo.NewAccessory(slackgo.NewButtonBlockElement(ActionItemStatus, id, plain("Set status…")))
	}
	return slackgo.NewSectionBlock(mrkdwn(text), nil, acc, slackgo.SectionBlockOptionBlockID("item-"+id+"-closed"))
}

// ItemStatusModal asks for an item's new status, offering the statuses it
// may move to (see models.NextImprovementStatuses); metadata travels back in
// the submission's private_metadata.
func ItemStatusModal(it models.ImprovementSummary, metadata string, fixDone ...FixDoneText) slackgo.ModalViewRequest {
	var opts []*slackgo.OptionBlockObject
	for _, st := range models.NextImprovementStatuses(it.Status) {
		opts = append(opts, slackgo.NewOptionBlockObject(st, plain(StatusLabel(st)), nil))
	}
	sel := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, plain("Choose"), "item_status_select", opts...)
	intro := fmt.Sprintf("*#%d %s* is %s.", it.ID, esc(oneLine(it.Title), itemTitleLen), strings.ToLower(StatusLabel(it.Status)))
	if it.Linked > 0 {
		intro += fmt.Sprintf("\nMarking it *done* asks the owners of its %s to tell their customers what changed, and announces it in the team channels.",
			pluralWord64(it.Linked, "linked case", "linked cases"))
	}
	blocks := []slackgo.Block{
		slackgo.NewSectionBlock(mrkdwn(intro), nil, nil),
		slackgo.NewInputBlock(BlockItemStatus, plain("New status"), nil, sel),
	}
	if len(fixDone) > 0 {
		blocks = append(blocks, slackgo.NewDividerBlock(),
			slackgo.NewSectionBlock(mrkdwn(Escape(TextFixDoneIntro)), nil, nil))
	}
	for _, fd := range fixDone {
		in := slackgo.NewPlainTextInputBlockElement(nil, "fix_done_input")
		in.Multiline, in.InitialValue, in.MaxLength = true, clip(fd.Body, 3000), 3000
		label := fmt.Sprintf(TextFixDoneLabel, fd.Customers, languageName(fd.Lang))
		blocks = append(blocks, slackgo.NewInputBlock(BlockFixDonePrefix+fd.Lang, plain(clip(label, 2000)), nil, in).WithOptional(true))
	}
	return modal(ModalItemStatus, fmt.Sprintf("Improvement #%d", it.ID), "Save", metadata, blocks...)
}

// FixDoneText is the "you said, we did" message for the customers who read
// one language, as the modal shows it for confirming or editing.
type FixDoneText struct {
	Lang      string
	Customers int
	Body      string // a template over the customer message fields
}

// BlockFixDonePrefix starts the block id of each language's message.
const BlockFixDonePrefix = "fix_done_"

// Sentences of the fix_done part of the status modal.
const (
	TextFixDoneIntro = "When you mark it done, these customers are emailed what changed. Check the message first: " +
		"{{.CustomerName}} and {{.OwnerName}} are filled in for each customer, {{.WhatWasDone}} with the improvement's title."
	TextFixDoneLabel = "Email to %d customers in %s"
)

func languageName(code string) string {
	if n, ok := map[string]string{"en": "English", "et": "Estonian", "pl": "Polish", "ru": "Russian"}[code]; ok {
		return n
	}
	return code
}

// ItemRenameModal asks for an item's new title, the current one filled in.
func ItemRenameModal(it models.ImprovementSummary, metadata string) slackgo.ModalViewRequest {
	in := slackgo.NewPlainTextInputBlockElement(plain("What will be fixed?"), "item_title_input").
		WithInitialValue(clip(oneLine(it.Title), MaxItemTitle)).WithMaxLength(MaxItemTitle)
	return modal(ModalItemRename, fmt.Sprintf("Rename #%d", it.ID), "Rename", metadata,
		slackgo.NewInputBlock(BlockItemTitle, plain("Title"), nil, in),
	)
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func pluralWord64(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
