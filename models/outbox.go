package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ClaimOutbox leases up to n due messages to worker until now+lease. A
// message is due when pending, its next attempt has come, no live lease holds
// it, and no earlier pending message shares its order key (so a card's update
// never overtakes its post). On PostgreSQL rows locked by another replica's
// claim are skipped, so replicas never claim the same message at once; an
// expired lease (a crashed worker) makes the message claimable again.
func (s *Store) ClaimOutbox(ctx context.Context, worker string, now time.Time, lease time.Duration, n int) ([]OutboxMessage, error) {
	now = now.UTC()
	lock := ""
	if s.postgres {
		lock = "FOR UPDATE SKIP LOCKED"
	}
	sql := `UPDATE outbox_messages SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
WHERE id IN (
  SELECT o.id FROM outbox_messages o
  WHERE o.state = 'pending' AND o.next_attempt_at <= ? AND (o.lease_until IS NULL OR o.lease_until < ?)
    AND NOT EXISTS (SELECT 1 FROM outbox_messages e WHERE e.order_key = o.order_key AND e.state = 'pending' AND e.id < o.id)
  ORDER BY o.id LIMIT ? ` + lock + `)
RETURNING *`
	var msgs []OutboxMessage
	if err := s.db.WithContext(ctx).Raw(sql, worker, now.Add(lease), now, now, n).Scan(&msgs).Error; err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	return msgs, nil
}

// MarkDelivered records a delivery; for a card post the platform's message
// reference is stored in the same transaction, so later updates find it.
func (s *Store) MarkDelivered(ctx context.Context, m *OutboxMessage, ref string, now time.Time) error {
	now = now.UTC()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Model(&OutboxMessage{}).Where("id = ?", m.ID).Updates(map[string]any{
			"state": OutboxDelivered, "delivered_at": now, "lease_owner": "", "lease_until": nil, "last_error": "",
		}).Error
		if err != nil {
			return fmt.Errorf("mark message %d delivered: %w", m.ID, err)
		}
		if m.Kind == KindCardPost && ref != "" {
			cr := CardRef{CaseID: m.CaseID, Transport: m.Transport, Channel: m.Channel, Ref: ref, PostedAt: now}
			err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&cr).Error
			if err != nil {
				return fmt.Errorf("store card reference: %w", err)
			}
		}
		return nil
	})
}

// MarkRetry releases a message for another attempt at next.
func (s *Store) MarkRetry(ctx context.Context, id int64, next time.Time, reason string) error {
	err := s.db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ?", id).Updates(map[string]any{
		"next_attempt_at": next.UTC(), "lease_owner": "", "lease_until": nil, "last_error": truncate(reason, 2000),
	}).Error
	if err != nil {
		return fmt.Errorf("reschedule message %d: %w", id, err)
	}
	return nil
}

// MarkFailed gives up on a message for good.
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string) error {
	err := s.db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ?", id).Updates(map[string]any{
		"state": OutboxFailed, "lease_owner": "", "lease_until": nil, "last_error": truncate(reason, 2000),
	}).Error
	if err != nil {
		return fmt.Errorf("mark message %d failed: %w", id, err)
	}
	return nil
}

// ReleaseLease hands a claimed message back without counting the attempt,
// as a worker does when it shuts down before delivering.
func (s *Store) ReleaseLease(ctx context.Context, id int64) error {
	err := s.db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ? AND state = ?", id, OutboxPending).Updates(map[string]any{
		"lease_owner": "", "lease_until": nil, "attempts": gorm.Expr("attempts - 1"),
	}).Error
	if err != nil {
		return fmt.Errorf("release message %d: %w", id, err)
	}
	return nil
}

// CardRef returns where a case's card was posted on one channel.
func (s *Store) CardRef(ctx context.Context, caseID int64, transport, channel string) (CardRef, error) {
	var cr CardRef
	err := s.db.WithContext(ctx).Where("case_id = ? AND transport = ? AND channel = ?", caseID, transport, channel).Take(&cr).Error
	if err != nil {
		return cr, notFound(err, fmt.Sprintf("card of case %d", caseID))
	}
	return cr, nil
}

// OutboxCounts returns the number of messages in each state.
func (s *Store) OutboxCounts(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		State string
		N     int64
	}
	err := s.db.WithContext(ctx).Model(&OutboxMessage{}).Select("state, count(*) AS n").Group("state").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count outbox: %w", err)
	}
	out := map[string]int64{OutboxPending: 0, OutboxDelivered: 0, OutboxFailed: 0}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

// CaseView is a case with its response and trail, as cards show it.
type CaseView struct {
	Case     Case
	Response Response
	Events   []CaseEvent
}

// CaseView loads a case for display.
func (s *Store) CaseView(ctx context.Context, caseID int64) (CaseView, error) {
	var v CaseView
	db := s.db.WithContext(ctx)
	if err := db.Take(&v.Case, caseID).Error; err != nil {
		return v, notFound(err, fmt.Sprintf("case %d", caseID))
	}
	if err := db.Take(&v.Response, v.Case.ResponseID).Error; err != nil {
		return v, notFound(err, fmt.Sprintf("response of case %d", caseID))
	}
	if err := db.Where("case_id = ?", caseID).Order("id").Find(&v.Events).Error; err != nil {
		return v, fmt.Errorf("events of case %d: %w", caseID, err)
	}
	return v, nil
}

// Response loads one response.
func (s *Store) Response(ctx context.Context, id int64) (Response, error) {
	var r Response
	if err := s.db.WithContext(ctx).Take(&r, id).Error; err != nil {
		return r, notFound(err, fmt.Sprintf("response %d", id))
	}
	return r, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
