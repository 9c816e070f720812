package models

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

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
