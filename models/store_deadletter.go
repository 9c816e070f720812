package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// AddDeadLetter keeps a delivery that could not be stored. The same body
// from the same provider again counts as a repeat delivery of the existing
// dead letter, whose reason is refreshed; one that had been replayed becomes
// pending again, since it failed anew. created reports a new dead letter.
func (s *Store) AddDeadLetter(ctx context.Context, provider string, body []byte, reason string, now time.Time) (DeadLetter, bool, error) {
	now = now.UTC()
	// Card numbers are masked before the body is kept (and hashed, so a
	// repeat is still the same dead letter); the body still replays.
	body = MaskCardNumbersJSON(body)
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	reason = truncate(MaskCardNumbers(reason), 4000)
	var d DeadLetter
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`INSERT INTO dead_letters (provider, body_hash, body, reason, received_at, last_received_at, deliveries, attempts)
			VALUES (?, ?, ?, ?, ?, ?, 1, 0)
			ON CONFLICT (provider, body_hash) DO UPDATE SET deliveries = dead_letters.deliveries + 1,
				last_received_at = excluded.last_received_at, reason = excluded.reason,
				replayed_at = NULL, response_id = NULL, outcome = ''`,
			provider, hash, body, reason, now, now)
		if res.Error != nil {
			return res.Error
		}
		return tx.Where("provider = ? AND body_hash = ?", provider, hash).Take(&d).Error
	})
	if err != nil {
		return d, false, fmt.Errorf("store dead letter: %w", err)
	}
	return d, d.Deliveries == 1, nil
}

// DeadLetters lists dead letters, oldest first: for admins to see, and for
// replay.
func (s *Store) DeadLetters(ctx context.Context, q DeadLetterQuery) ([]DeadLetter, error) {
	db := s.db.WithContext(ctx).Order("id")
	if q.ID != 0 {
		db = db.Where("id = ?", q.ID)
	}
	if q.Provider != "" {
		db = db.Where("provider = ?", q.Provider)
	}
	if q.Pending {
		db = db.Where("replayed_at IS NULL")
	}
	if q.Limit > 0 {
		db = db.Limit(q.Limit)
	}
	var out []DeadLetter
	if err := db.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return out, nil
}

// DeadLetter loads one dead letter.
func (s *Store) DeadLetter(ctx context.Context, id int64) (DeadLetter, error) {
	var d DeadLetter
	if err := s.db.WithContext(ctx).Take(&d, id).Error; err != nil {
		return d, notFound(err, fmt.Sprintf("dead letter %d", id))
	}
	return d, nil
}

// DeadLetterCounts returns the number of dead letters pending and replayed.
func (s *Store) DeadLetterCounts(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		Pending bool
		N       int64
	}
	err := s.db.WithContext(ctx).Model(&DeadLetter{}).
		Select("(replayed_at IS NULL) AS pending, count(*) AS n").Group("(replayed_at IS NULL)").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count dead letters: %w", err)
	}
	out := map[string]int64{DeadLetterPending: 0, DeadLetterReplayed: 0}
	for _, r := range rows {
		if r.Pending {
			out[DeadLetterPending] += r.N
		} else {
			out[DeadLetterReplayed] += r.N
		}
	}
	return out, nil
}

// DeadLetterFailed records a replay that still could not store the dead
// letter, with the reason as it stands now.
func (s *Store) DeadLetterFailed(ctx context.Context, id int64, reason string, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&DeadLetter{}).Where("id = ?", id).Updates(map[string]any{
		"reason": truncate(MaskCardNumbers(reason), 4000), "attempts": gorm.Expr("attempts + 1"), "last_tried_at": now.UTC(),
	}).Error
	if err != nil {
		return fmt.Errorf("update dead letter %d: %w", id, err)
	}
	return nil
}

// DeadLetterReplayed marks a dead letter dealt with: responseID is the
// response it became (0 for none: superseded or ignored), outcome what
// happened.
func (s *Store) DeadLetterReplayed(ctx context.Context, id, responseID int64, outcome string, now time.Time) error {
	upd := map[string]any{"replayed_at": now.UTC(), "last_tried_at": now.UTC(), "outcome": truncate(outcome, 300), "response_id": nil}
	if responseID != 0 {
		upd["response_id"] = responseID
	}
	if err := s.db.WithContext(ctx).Model(&DeadLetter{}).Where("id = ?", id).Updates(upd).Error; err != nil {
		return fmt.Errorf("mark dead letter %d replayed: %w", id, err)
	}
	return nil
}

// ResponseChangedAt returns when the response stored under (source,
// externalID) last changed; ok is false when there is none. Replay uses it
// to leave alone a response that a later delivery has already updated.
func (s *Store) ResponseChangedAt(ctx context.Context, source, externalID string) (id int64, at time.Time, ok bool, err error) {
	var r Response
	err = s.db.WithContext(ctx).Select("id", "updated_at").
		Where("source = ? AND external_id = ?", source, externalID).Take(&r).Error
	if err == gorm.ErrRecordNotFound {
		return 0, time.Time{}, false, nil
	}
	if err != nil {
		return 0, time.Time{}, false, fmt.Errorf("look up response %s/%s: %w", source, externalID, err)
	}
	return r.ID, r.UpdatedAt, true, nil
}
