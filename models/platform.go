package models

import (
	"time"
)

// PlatformUser caches who an email is on a chat platform (a Slack user id,
// a Teams account), so people are looked up once a day, not on every card.
type PlatformUser struct {
	Platform string `gorm:"primaryKey;size:20"`
	Email    string `gorm:"primaryKey;size:300"` // lower case
	UserID   string `gorm:"size:200;index"`      // empty: the email resolves to nobody
	Name     string `gorm:"size:300"`
	Extra    string `gorm:"type:text"` // platform details (JSON), e.g. a Teams account
	// Locale is the person's platform locale ("pl-PL"); LocaleNone when the
	// platform was asked and told none, empty when not asked yet.
	Locale    string `gorm:"size:35;not null;default:''"`
	CheckedAt time.Time
}

// LocaleNone records that a platform gave a person no locale.
const LocaleNone = "-"

// ProcessedEvent remembers an inbound event id (a Slack event_id, a Bot
// Framework activity id) so retries are acknowledged but not processed twice.
type ProcessedEvent struct {
	Platform string    `gorm:"primaryKey;size:20"`
	EventID  string    `gorm:"primaryKey;size:200"`
	At       time.Time `gorm:"not null;index"`
}
