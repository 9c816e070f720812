package models

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

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

// SaveConversation stores or refreshes a conversation; the first time it was
// seen is kept. The platform's package merges what an activity leaves out
// (most carry no names) before it saves.
func (s *Store) SaveConversation(ctx context.Context, c Conversation) error {
	now := c.UpdatedAt.UTC()
	if now.IsZero() {
		now = time.Now().UTC()
	}
	c.UpdatedAt, c.CreatedAt = now, now
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "platform"}, {Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"kind", "group", "name", "installed", "ref", "updated_at"}),
	}).Create(&c).Error
	if err != nil {
		return fmt.Errorf("save %s conversation %s: %w", c.Platform, c.ID, err)
	}
	return nil
}

// Conversation returns one conversation of a platform.
func (s *Store) Conversation(ctx context.Context, platform, id string) (Conversation, error) {
	var c Conversation
	if err := s.db.WithContext(ctx).Where("platform = ? AND id = ?", platform, id).Take(&c).Error; err != nil {
		return c, notFound(err, platform+" conversation "+id)
	}
	return c, nil
}

// Conversations lists a platform's conversations of kind (all kinds when
// empty) where the bot is installed, most recently refreshed first.
func (s *Store) Conversations(ctx context.Context, platform, kind string) ([]Conversation, error) {
	q := s.db.WithContext(ctx).Where("platform = ? AND installed = ?", platform, true)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	var out []Conversation
	if err := q.Order("updated_at DESC, id").Limit(1000).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list %s conversations: %w", platform, err)
	}
	return out, nil
}

// PersonalConversation returns the bot's 1:1 chat with a platform user.
func (s *Store) PersonalConversation(ctx context.Context, platform, userID string) (Conversation, error) {
	var c Conversation
	err := s.db.WithContext(ctx).Where(`platform = ? AND "group" = ? AND kind = ?`, platform, userID, ConversationPersonal).
		Order("updated_at DESC").Take(&c).Error
	if err != nil {
		return c, notFound(err, platform+" personal chat of "+userID)
	}
	return c, nil
}

// SetGroupInstalled marks every conversation of a team as installed or not:
// the bot was added to the team again, or removed from it.
func (s *Store) SetGroupInstalled(ctx context.Context, platform, group string, installed bool, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&Conversation{}).Where(`platform = ? AND "group" = ?`, platform, group).
		Updates(map[string]any{"installed": installed, "updated_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("mark %s group %s installed=%t: %w", platform, group, installed, err)
	}
	return nil
}

// QueueWelcome queues the bot's hello to a conversation of transport it was
// just added to, through the outbox, so that it is delivered and retried
// like every other message.
func (s *Store) QueueWelcome(ctx context.Context, now time.Time, transport, conversationID, text string) error {
	m := OutboxMessage{Kind: KindWelcome, Transport: transport, Channel: conversationID, Text: text,
		OrderKey: truncate(transport+":"+conversationID, 250)}
	return enqueue(s.db.WithContext(ctx), now.UTC(), m)
}

// legacyTeamsConversation is the Teams-only table of schema 4, read once by
// the migration to schema 5.
type legacyTeamsConversation struct {
	ID, Kind, TeamID, TeamName, ChannelName string
	TenantID, ServiceURL, BotID, BotName    string
	UserID, AADObjectID                     string
	Installed                               bool
	CreatedAt, UpdatedAt                    time.Time
}

// moveTeamsConversations copies schema 4's teams_conversations into
// conversations and drops it. The Bot Framework details become the ref
// under the JSON names the Teams package reads.
func moveTeamsConversations(tx *gorm.DB) error {
	const legacy = "teams_conversations"
	if !tx.Migrator().HasTable(legacy) {
		return nil
	}
	var rows []legacyTeamsConversation
	if err := tx.Table(legacy).Order("id").Find(&rows).Error; err != nil {
		return fmt.Errorf("read %s: %w", legacy, err)
	}
	for _, r := range rows {
		c := r.conversation()
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&c).Error; err != nil {
			return fmt.Errorf("copy teams conversation %s: %w", r.ID, err)
		}
	}
	if err := tx.Migrator().DropTable(legacy); err != nil {
		return fmt.Errorf("drop %s: %w", legacy, err)
	}
	return nil
}

func (r legacyTeamsConversation) conversation() Conversation {
	group, kind := r.TeamID, r.Kind
	switch r.Kind {
	case ConversationPersonal:
		group = r.UserID
	case "groupChat":
		kind = ConversationGroup
	}
	ref := map[string]string{"tenantId": r.TenantID, "serviceUrl": r.ServiceURL, "botId": r.BotID,
		"botName": r.BotName, "aadObjectId": r.AADObjectID, "teamName": r.TeamName}
	for k, v := range ref {
		if v == "" {
			delete(ref, k)
		}
	}
	b, _ := json.Marshal(ref) // a map of strings always encodes
	return Conversation{Platform: TransportTeams, ID: r.ID, Kind: kind, Group: group, Name: r.ChannelName,
		Installed: r.Installed, Ref: string(b), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}
