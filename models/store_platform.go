package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// SetPlatformLocale records a person's locale on a platform, keeping the
// rest of their entry; a person not cached yet gets an entry of their own.
func (s *Store) SetPlatformLocale(ctx context.Context, platform, email, locale string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	db := s.db.WithContext(ctx)
	res := db.Model(&PlatformUser{}).Where("platform = ? AND email = ?", platform, email).Update("locale", locale)
	if res.Error != nil {
		return fmt.Errorf("save locale of %s: %w", email, res.Error)
	}
	if res.RowsAffected == 0 {
		u := PlatformUser{Platform: platform, Email: email, Locale: locale}
		if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&u).Error; err != nil {
			return fmt.Errorf("save locale of %s: %w", email, err)
		}
	}
	return nil
}

// PlatformUser returns the cached entry of email on platform.
func (s *Store) PlatformUser(ctx context.Context, platform, email string) (PlatformUser, error) {
	var u PlatformUser
	err := s.db.WithContext(ctx).Where("platform = ? AND email = ?", platform, strings.ToLower(email)).Take(&u).Error
	if err != nil {
		return u, notFound(err, "platform user "+email)
	}
	return u, nil
}

// PlatformUserByID finds the email behind a platform's user id; when the
// person's email changed, the most recently checked entry wins.
func (s *Store) PlatformUserByID(ctx context.Context, platform, userID string) (PlatformUser, error) {
	var u PlatformUser
	err := s.db.WithContext(ctx).Where("platform = ? AND user_id = ?", platform, userID).Order("checked_at DESC").Take(&u).Error
	if err != nil {
		return u, notFound(err, "platform user "+userID)
	}
	return u, nil
}

// SavePlatformUser stores or refreshes a cache entry.
func (s *Store) SavePlatformUser(ctx context.Context, u PlatformUser) error {
	u.Email = strings.ToLower(u.Email)
	// A refresh that does not know the locale keeps the one recorded.
	cols := []string{"user_id", "name", "extra", "checked_at"}
	if u.Locale != "" {
		cols = append(cols, "locale")
	}
	onConflict := clause.OnConflict{Columns: []clause.Column{{Name: "platform"}, {Name: "email"}}, DoUpdates: clause.AssignmentColumns(cols)}
	if err := s.db.WithContext(ctx).Clauses(onConflict).Create(&u).Error; err != nil {
		return fmt.Errorf("save platform user %s: %w", u.Email, err)
	}
	return nil
}

// FirstSeen records an event id and reports whether this is its first
// delivery. The primary key decides, so replicas agree.
func (s *Store) FirstSeen(ctx context.Context, platform, eventID string, now time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&ProcessedEvent{Platform: platform, EventID: eventID, At: now.UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("record event %s: %w", eventID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ForgetEventsBefore prunes the event log; platforms retry within minutes.
func (s *Store) ForgetEventsBefore(ctx context.Context, t time.Time) error {
	if err := s.db.WithContext(ctx).Where("at < ?", t.UTC()).Delete(&ProcessedEvent{}).Error; err != nil {
		return fmt.Errorf("prune events: %w", err)
	}
	return nil
}
