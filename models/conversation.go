package models

import "time"

// Kinds of conversation a platform's bot remembers.
const (
	ConversationChannel  = "channel"  // a channel of a team or workspace
	ConversationPersonal = "personal" // the bot's 1:1 chat with one person
	ConversationGroup    = "group"    // a group chat
)

// Conversation is a place a platform's bot may post to on its own: saved when
// the bot is added to a team and refreshed from every activity it receives
// there. Ref is the platform's own reference (for Teams, the Bot Framework
// service URL, tenant and bot account), opaque here and owned by the
// platform's package.
type Conversation struct {
	Platform string `gorm:"primaryKey;size:20;index:ix_conversations_group,priority:1"`
	// ID is the platform's conversation id (a Teams channel id without any
	// ;messageid= suffix, or a personal chat id).
	ID   string `gorm:"primaryKey;size:300"`
	Kind string `gorm:"size:20;not null"`
	// Group is what the conversation belongs to: a channel's team, or the
	// person a personal chat is with (their platform user id).
	Group string `gorm:"size:300;not null;default:'';index:ix_conversations_group,priority:2"`
	Name  string `gorm:"size:300;not null;default:''"` // the channel's name, when known
	// Installed is false once the bot was removed from the group.
	Installed bool      `gorm:"not null"`
	Ref       string    `gorm:"type:text;not null;default:''"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}
