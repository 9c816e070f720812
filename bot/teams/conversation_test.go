package teams_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// schema4Conversation is the Teams-only table of schema 4, as an
// installation upgrading to schema 5 holds it.
type schema4Conversation struct {
	ID          string `gorm:"primaryKey;size:300"`
	Kind        string `gorm:"size:20;not null"`
	TeamID      string `gorm:"size:300;index"`
	TeamName    string `gorm:"size:300"`
	ChannelName string `gorm:"size:300"`
	TenantID    string `gorm:"size:100;not null;index"`
	ServiceURL  string `gorm:"size:500;not null"`
	BotID       string `gorm:"size:200;not null"`
	BotName     string `gorm:"size:200"`
	UserID      string `gorm:"size:200;index"`
	AADObjectID string `gorm:"size:100"`
	Installed   bool   `gorm:"not null"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (schema4Conversation) TableName() string { return "teams_conversations" }

// An installation upgrading from schema 4 keeps reaching every channel and
// chat it knew: the migration moves each reference into the neutral table,
// where the Teams transport reads it back unchanged.
func TestSchema5KeepsTeamsConversations(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)
	before := []schema4Conversation{
		{ID: "19:feedback@thread.tacv2", Kind: "channel", TeamID: "19:general@thread.tacv2", TeamName: "Contact Center",
			ChannelName: "Feedback", TenantID: "tenant-1", ServiceURL: "https://smba.trafficmanager.net/emea/",
			BotID: "28:app", BotName: "cxloop", Installed: true, CreatedAt: at, UpdatedAt: at},
		{ID: "19:old@thread.tacv2", Kind: "channel", TeamID: "19:gone@thread.tacv2", TenantID: "tenant-1",
			ServiceURL: "https://smba.trafficmanager.net/emea/", BotID: "28:app", Installed: false, CreatedAt: at, UpdatedAt: at},
		{ID: "a:1on1", Kind: "personal", TenantID: "tenant-1", ServiceURL: "https://smba.trafficmanager.net/emea/",
			BotID: "28:app", UserID: "29:mari", AADObjectID: "aad-mari", Installed: true, CreatedAt: at, UpdatedAt: at},
		{ID: "19:chat@thread.v2", Kind: "groupChat", TenantID: "tenant-1", ServiceURL: "https://smba.trafficmanager.net/emea/",
			BotID: "28:app", Installed: true, CreatedAt: at, UpdatedAt: at},
	}
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			s, err := models.Open(ctx, db.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.DB().AutoMigrate(&schema4Conversation{}); err != nil {
				t.Fatal(err)
			}
			if err := s.DB().Create(&before).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("migrate from schema 4: %v", err)
			}
			if s.DB().Migrator().HasTable("teams_conversations") {
				t.Error("the schema 4 table is still there after the migration")
			}
			convs := teams.NewConversations(s)
			for _, old := range before {
				got, err := convs.Get(ctx, old.ID)
				if err != nil {
					t.Fatalf("%s after the migration: %v", old.ID, err)
				}
				kind := old.Kind
				if kind == "groupChat" {
					kind = models.ConversationGroup
				}
				want := teams.Conversation{ID: old.ID, Kind: kind, TeamID: old.TeamID, TeamName: old.TeamName,
					ChannelName: old.ChannelName, TenantID: old.TenantID, ServiceURL: old.ServiceURL, BotID: old.BotID,
					BotName: old.BotName, UserID: old.UserID, AADObjectID: old.AADObjectID, Installed: old.Installed}
				got.UpdatedAt = time.Time{}
				if got != want {
					t.Errorf("%s after the migration:\n got %+v\nwant %+v", old.ID, got, want)
				}
			}
			chat, err := convs.PersonalChat(ctx, "29:mari")
			if err != nil || chat.ID != "a:1on1" {
				t.Errorf("Mari's chat after the migration: %+v, %v", chat, err)
			}
			channels, err := convs.Channels(ctx)
			if err != nil || len(channels) != 1 || channels[0].ID != "19:feedback@thread.tacv2" {
				t.Errorf("installed channels after the migration: %+v, %v", channels, err)
			}
			// Migrating again (another replica, a restart) changes nothing.
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if again, err := convs.Channels(ctx); err != nil || len(again) != 1 {
				t.Errorf("installed channels after a second migration: %+v, %v", again, err)
			}
		})
	}
}

// Most activities carry no names: saving the reference one brings keeps the
// team's and channel's names and the person's Entra id already known, while
// the service URL, which Teams may move, follows the newest activity.
func TestConversationSaveKeepsWhatAnActivityLeavesOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		convs := teams.NewConversations(s)
		first := teams.Conversation{ID: "19:feedback@thread.tacv2", Kind: models.ConversationChannel, TeamID: "19:general@thread.tacv2",
			TeamName: "Contact Center", ChannelName: "Feedback", TenantID: "tenant-1", ServiceURL: "https://smba.trafficmanager.net/emea/",
			BotID: "28:app", BotName: "cxloop", Installed: true}
		if err := convs.Save(ctx, first); err != nil {
			t.Fatal(err)
		}
		later := teams.Conversation{ID: first.ID, Kind: models.ConversationChannel, TenantID: "tenant-1",
			ServiceURL: "https://smba.trafficmanager.net/emea2/", BotID: "28:app", Installed: true}
		if err := convs.Save(ctx, later); err != nil {
			t.Fatal(err)
		}
		got, err := convs.Get(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := first
		want.ServiceURL = later.ServiceURL
		got.UpdatedAt = time.Time{}
		if got != want {
			t.Errorf("after a nameless activity:\n got %+v\nwant %+v", got, want)
		}
		if err := convs.SetTeamInstalled(ctx, first.TeamID, false, time.Now()); err != nil {
			t.Fatal(err)
		}
		if got, err := convs.Get(ctx, first.ID); err != nil || got.Installed {
			t.Errorf("after the bot was removed from the team: %+v, %v", got, err)
		}
		if _, err := convs.Get(ctx, "19:unknown@thread.tacv2"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("an unknown conversation: %v, want ErrNotFound", err)
		}
	})
}
