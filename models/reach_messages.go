package models

import "strconv"

// Ids of the chat messages about emails to customers and the outer loop;
// their texts are in bot/l10n's reach catalog.
const (
	MsgThankEmailed   = "reach.thread.thank_emailed"
	MsgResolveEmailed = "reach.thread.resolve_emailed"
	MsgToldByEmail    = "reach.thread.told_by_email"
	MsgFixDoneCall    = "reach.thread.fix_done_call"
	MsgFixDoneEmail   = "reach.thread.fix_done_email"
	// An email refused for good: these prefixes take the purpose, or
	// "thank_you_due" when the thank-you is due again.
	MsgEmailFailedThread    = "reach.thread.failed."
	MsgEmailFailedDM        = "reach.dm.failed."
	MsgFixDoneDMIntro       = "reach.fix_done_dm.intro"
	MsgFixDoneDMLine        = "reach.fix_done_dm.line"
	MsgFixDoneDMLineUnnamed = "reach.fix_done_dm.line_unnamed"
	MsgFixDoneDMOutro       = "reach.fix_done_dm.outro"
	MsgAnnounceDone         = "reach.announce.done"
	MsgAnnounceTold         = "reach.announce.told"
	MsgAnnounceEmailed      = "reach.announce.emailed"
)

// itemMessage is message id about an improvement item.
func itemMessage(id string, item *ImprovementItem) Message {
	return Message{ID: id, Args: map[string]string{"ItemID": strconv.FormatInt(item.ID, 10), "Title": item.Title}}
}

// counted sets the message's plural count.
func (m Message) counted(n int) Message {
	m.Count = &n
	return m
}
