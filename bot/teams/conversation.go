package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cxloop/cxloop/models"
)

// Conversation is a Bot Framework conversation reference: what the bot needs
// to post to a Teams channel or chat on its own. Every value in it comes from
// an activity whose token was verified, including the service URL (the
// token's serviceurl claim must equal it). It is kept as a
// models.Conversation whose ref holds the Bot Framework details.
type Conversation struct {
	// ID is a channel id (19:…@thread.tacv2) without any ;messageid=
	// suffix, or a chat id (a:…, 19:…@thread.v2).
	ID          string
	Kind        string // models.ConversationChannel, …Personal or …Group
	TeamID      string // a channel's team; the General channel's id is the team's id
	TeamName    string
	ChannelName string
	TenantID    string
	ServiceURL  string
	BotID       string // 28:<app id>
	BotName     string
	// UserID is the person of a personal chat (29:…), with their Entra id.
	UserID      string
	AADObjectID string
	// Installed is false once the bot was removed from the team.
	Installed bool
	UpdatedAt time.Time
}

// reference is models.Conversation.Ref for Teams. The JSON names are also
// those schema 5's migration writes.
type reference struct {
	TenantID    string `json:"tenantId,omitempty"`
	ServiceURL  string `json:"serviceUrl,omitempty"`
	BotID       string `json:"botId,omitempty"`
	BotName     string `json:"botName,omitempty"`
	AADObjectID string `json:"aadObjectId,omitempty"`
	TeamName    string `json:"teamName,omitempty"`
}

func (c Conversation) row() models.Conversation {
	group := c.TeamID
	if c.Kind == models.ConversationPersonal {
		group = c.UserID
	}
	ref, _ := json.Marshal(reference{TenantID: c.TenantID, ServiceURL: c.ServiceURL, BotID: c.BotID,
		BotName: c.BotName, AADObjectID: c.AADObjectID, TeamName: c.TeamName}) // strings always encode
	return models.Conversation{Platform: Platform, ID: c.ID, Kind: c.Kind, Group: group, Name: c.ChannelName,
		Installed: c.Installed, Ref: string(ref), UpdatedAt: c.UpdatedAt}
}

func conversationOf(r models.Conversation) (Conversation, error) {
	var ref reference
	if err := json.Unmarshal([]byte(r.Ref), &ref); err != nil {
		return Conversation{}, fmt.Errorf("teams: conversation %s: read its reference: %w", r.ID, err)
	}
	c := Conversation{ID: r.ID, Kind: r.Kind, ChannelName: r.Name, TeamName: ref.TeamName,
		TenantID: ref.TenantID, ServiceURL: ref.ServiceURL, BotID: ref.BotID, BotName: ref.BotName,
		AADObjectID: ref.AADObjectID, Installed: r.Installed, UpdatedAt: r.UpdatedAt}
	if r.Kind == models.ConversationPersonal {
		c.UserID = r.Group
	} else {
		c.TeamID = r.Group
	}
	return c, nil
}

// ConversationStore is the part of the database that keeps conversations.
// *models.Store implements it.
type ConversationStore interface {
	Conversation(ctx context.Context, platform, id string) (models.Conversation, error)
	Conversations(ctx context.Context, platform, kind string) ([]models.Conversation, error)
	PersonalConversation(ctx context.Context, platform, userID string) (models.Conversation, error)
	SaveConversation(ctx context.Context, c models.Conversation) error
	SetGroupInstalled(ctx context.Context, platform, group string, installed bool, now time.Time) error
}

// Conversations are the Teams conversations the bot knows.
type Conversations struct{ store ConversationStore }

// NewConversations reads and writes Teams conversations in store.
func NewConversations(store ConversationStore) Conversations { return Conversations{store: store} }

// Get returns one conversation; models.ErrNotFound when it is unknown.
func (cs Conversations) Get(ctx context.Context, id string) (Conversation, error) {
	r, err := cs.store.Conversation(ctx, Platform, id)
	if err != nil {
		return Conversation{}, err
	}
	return conversationOf(r)
}

// Channels lists the channels of the teams the bot is installed in, most
// recently refreshed first.
func (cs Conversations) Channels(ctx context.Context) ([]Conversation, error) {
	rows, err := cs.store.Conversations(ctx, Platform, models.ConversationChannel)
	if err != nil {
		return nil, err
	}
	out := make([]Conversation, 0, len(rows))
	for _, r := range rows {
		c, err := conversationOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// PersonalChat returns the bot's 1:1 chat with a Teams user (29:…).
func (cs Conversations) PersonalChat(ctx context.Context, userID string) (Conversation, error) {
	r, err := cs.store.PersonalConversation(ctx, Platform, userID)
	if err != nil {
		return Conversation{}, err
	}
	return conversationOf(r)
}

// Save stores or refreshes a conversation. What c leaves empty (most
// activities carry no names) keeps what is stored.
func (cs Conversations) Save(ctx context.Context, c Conversation) error {
	stored, err := cs.store.Conversation(ctx, Platform, c.ID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	// A stored reference that cannot be read is replaced whole.
	if old, rerr := conversationOf(stored); err == nil && rerr == nil {
		for _, f := range []struct{ to, from *string }{{&c.TeamID, &old.TeamID}, {&c.TeamName, &old.TeamName},
			{&c.ChannelName, &old.ChannelName}, {&c.BotName, &old.BotName}, {&c.UserID, &old.UserID},
			{&c.AADObjectID, &old.AADObjectID}} {
			if *f.to == "" {
				*f.to = *f.from
			}
		}
	}
	return cs.store.SaveConversation(ctx, c.row())
}

// SetTeamInstalled marks every conversation of a team as installed or not:
// the bot was added to the team again, or removed from it.
func (cs Conversations) SetTeamInstalled(ctx context.Context, teamID string, installed bool, now time.Time) error {
	return cs.store.SetGroupInstalled(ctx, Platform, teamID, installed, now)
}
