package models

import (
	"fmt"
	"strings"
)

// OutboxKind says what an outbox message is, and so how the delivery worker
// sends it.
type OutboxKind string

// Outbox message kinds.
const (
	KindCardPost    OutboxKind = "card.post"    // post the case card to a team channel
	KindCardUpdate  OutboxKind = "card.update"  // refresh the posted card in place
	KindThreadReply OutboxKind = "thread.reply" // a line in the card's thread
	KindKudos       OutboxKind = "kudos.post"   // a promoter's words for the kudos channel

	// A channel's roll-up of a burst of cases.
	KindRollupPost   OutboxKind = "rollup.post"
	KindRollupUpdate OutboxKind = "rollup.update"

	// Direct messages to people about cases; every one starts with "dm.".
	KindCaseDM        OutboxKind = "dm.assigned"     // tell the owner a case is theirs
	KindUnownedDM     OutboxKind = "dm.unowned"      // tell a manager a case has no owner
	KindReminderDM    OutboxKind = "dm.reminder"     // one person's reminders of one sweep; Text is a ReminderList
	KindEscalationDM  OutboxKind = "dm.escalation"   // a follow-up is overdue
	KindAlertDM       OutboxKind = "dm.alert"        // an operator alert: never alerts again when it fails
	KindEmailFailedDM OutboxKind = "dm.email_failed" // tell the owner an email could not be delivered
	KindFixDoneDM     OutboxKind = "dm.fix_done"     // tell a case owner which customers to call back
	KindBackDM        OutboxKind = "dm.back"         // tell a person back from away which cases moved meanwhile

	// KindImprovementDone announces a finished improvement in a team channel.
	KindImprovementDone OutboxKind = "improvement.done"

	// KindDigest is a digest post to a leadership channel. Its OrderKey is
	// "digest:YYYY-MM:transport:channel" (see DigestMonthOf).
	KindDigest OutboxKind = "digest.post"
	// KindDigestEmail is the digest as an email to one address of
	// digest.email, queued with the channel posts. Its OrderKey is
	// "digest:YYYY-MM:email:ADDRESS" and its Text a DigestEmail in JSON.
	KindDigestEmail OutboxKind = "digest.email"

	// KindHuddle is a team's huddle post: the previous day's feedback in the
	// team's channel. Its OrderKey is "huddle:YYYY-MM-DD:TEAM" (see
	// HuddleOf); the message is written at delivery, so owners and states are
	// those of the moment it is read.
	KindHuddle OutboxKind = "huddle.post"

	KindCustomerEmail OutboxKind = "email.customer" // a message to a customer
	KindWelcome       OutboxKind = "welcome.post"   // the bot's hello where it was just added (a Teams team's General channel)
)

// IsDM tells a direct message to a person from a channel post.
func (k OutboxKind) IsDM() bool { return strings.HasPrefix(string(k), "dm.") }

// Transports: the platforms an outbox message goes out on, also the names
// of the platforms in the store's platform tables.
const (
	TransportLog   = "log" // no platform connected: messages go to the log
	TransportSlack = "slack"
	TransportTeams = "teams"
	// Email to customers goes through the outbox like chat messages, on its
	// own transport.
	TransportEmail = "email"
)

// fanOutDM writes the direct message m once for each DM transport and each
// recipient (transports outermost); key names each copy's order key, so that
// one person's messages on one platform keep their order.
func fanOutDM(p *Policy, to []string, m OutboxMessage, key func(transport, recipient string) string) []OutboxMessage {
	out := make([]OutboxMessage, 0, len(p.DMTransports)*len(to))
	for _, tr := range p.DMTransports {
		for _, r := range to {
			c := m
			c.Transport, c.Recipient, c.OrderKey = tr, r, key(tr, r)
			out = append(out, c)
		}
	}
	return out
}

// caseDMKey orders the DMs about one case to one person on one platform.
func caseDMKey(caseID int64) func(transport, recipient string) string {
	return func(tr, to string) string { return fmt.Sprintf("dm:%d:%s:%s", caseID, tr, to) }
}
