package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Kinds of Teams conversation the bot remembers.
const (
	TeamsChannel  = "channel"  // a channel of a team; the General channel's id is the team's id
	TeamsPersonal = "personal" // the bot's 1:1 chat with one person
	TeamsGroup    = "groupChat"
)

// TeamsConversation is a Bot Framework conversation reference: what the bot
// needs to post to a Teams channel or chat proactively. It is saved when the
// bot is added to a team and refreshed from every activity the bot receives
// there, because the service URL can change. Every value in it comes from an
// activity whose token was verified, including the service URL (the token's
// serviceurl claim must equal it).
type TeamsConversation struct {
	// ID is the conversation id: a channel id (19:…@thread.tacv2) without
	// any ;messageid= suffix, or a personal chat id (a:…).
	ID          string `gorm:"primaryKey;size:300"`
	Kind        string `gorm:"size:20;not null"`
	TeamID      string `gorm:"size:300;index"`
	TeamName    string `gorm:"size:300"`
	ChannelName string `gorm:"size:300"`
	TenantID    string `gorm:"size:100;not null;index"`
	ServiceURL  string `gorm:"size:500;not null"`
	BotID       string `gorm:"size:200;not null"` // 28:<app id>
	BotName     string `gorm:"size:200"`
	// UserID is the person of a personal chat (29:…), with their Entra id.
	UserID      string `gorm:"size:200;index"`
	AADObjectID string `gorm:"size:100"`
	// Installed is false once the bot was removed from the team.
	Installed bool      `gorm:"not null;default:true"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// SaveTeamsConversation stores or refreshes a conversation reference. Empty
// names keep the names already stored (most activities carry none), and the
// first time it was seen is kept.
func (s *Store) SaveTeamsConversation(ctx context.Context, c TeamsConversation) error {
	now := c.UpdatedAt.UTC()
	if now.IsZero() {
		now = time.Now().UTC()
	}
	c.UpdatedAt, c.CreatedAt = now, now
	cols := []string{"kind", "tenant_id", "service_url", "bot_id", "installed", "updated_at"}
	for col, v := range map[string]string{"team_id": c.TeamID, "team_name": c.TeamName, "channel_name": c.ChannelName,
		"bot_name": c.BotName, "user_id": c.UserID, "aad_object_id": c.AADObjectID} {
		if v != "" {
			cols = append(cols, col)
		}
	}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns(cols),
	}).Create(&c).Error
	if err != nil {
		return fmt.Errorf("save teams conversation %s: %w", c.ID, err)
	}
	return nil
}

// TeamsConversation returns the reference of one conversation.
func (s *Store) TeamsConversation(ctx context.Context, id string) (TeamsConversation, error) {
	var c TeamsConversation
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		return c, notFound(err, "teams conversation "+id)
	}
	return c, nil
}

// TeamsConversations lists the references of kind (all kinds when empty) in
// teams the bot is installed in, most recently refreshed first.
func (s *Store) TeamsConversations(ctx context.Context, kind string) ([]TeamsConversation, error) {
	q := s.db.WithContext(ctx).Where("installed = ?", true)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	var out []TeamsConversation
	if err := q.Order("updated_at DESC, id").Limit(1000).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list teams conversations: %w", err)
	}
	return out, nil
}

// TeamsPersonalChat returns the bot's 1:1 chat with a Teams user (29:…).
func (s *Store) TeamsPersonalChat(ctx context.Context, userID string) (TeamsConversation, error) {
	var c TeamsConversation
	err := s.db.WithContext(ctx).Where("kind = ? AND user_id = ?", TeamsPersonal, userID).
		Order("updated_at DESC").Take(&c).Error
	if err != nil {
		return c, notFound(err, "teams personal chat of "+userID)
	}
	return c, nil
}

// SetTeamsTeamInstalled marks every conversation of a team as installed or
// not: the bot was added to the team again, or removed from it.
func (s *Store) SetTeamsTeamInstalled(ctx context.Context, teamID string, installed bool, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&TeamsConversation{}).Where("team_id = ?", teamID).
		Updates(map[string]any{"installed": installed, "updated_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("mark team %s installed=%t: %w", teamID, installed, err)
	}
	return nil
}

// QueueTeamsText queues a plain message to a Teams conversation through the
// outbox (the welcome after an install), so that it is delivered and retried
// like every other message.
func (s *Store) QueueTeamsText(ctx context.Context, now time.Time, conversationID, text string) error {
	m := OutboxMessage{Kind: KindTeamsText, Transport: TransportTeams, Channel: conversationID, Text: text,
		OrderKey: truncate("teams:"+conversationID, 250)}
	return enqueue(s.db.WithContext(ctx), now.UTC(), m)
}
