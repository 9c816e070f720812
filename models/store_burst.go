package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// queueCardPosts queues the card posts of new cases in one channel within
// its burst budget: the first within the budget as top-level cards, the
// rest into the minute's roll-up, whose post the batch that first goes over
// the budget queues.
func (s *Store) queueCardPosts(tx *gorm.DB, now time.Time, d Destination, limit int, caseIDs []int64) ([]OutboxMessage, error) {
	var msgs []OutboxMessage
	post := func(id int64, at time.Time) {
		msgs = append(msgs, OutboxMessage{Kind: KindCardPost, Transport: d.Transport, Channel: d.Channel, CaseID: id,
			OrderKey: cardOrderKey(id, d), NextAttemptAt: at})
	}
	if limit <= 0 || len(caseIDs) == 0 {
		for _, id := range caseIDs {
			post(id, now)
		}
		return msgs, nil
	}
	var b ChannelBurst
	// The upsert locks the minute's row until commit: concurrent ingests
	// of the channel count one after the other, so the budget holds across
	// replicas, and it reads a roll-up reference committed meanwhile.
	err := tx.Raw(`INSERT INTO channel_bursts (transport, channel, minute, cards, ref) VALUES (?, ?, ?, ?, '')
ON CONFLICT (transport, channel, minute) DO UPDATE SET cards = channel_bursts.cards + excluded.cards
RETURNING id, cards, ref`, d.Transport, d.Channel, BurstMinute(now), len(caseIDs)).Scan(&b).Error
	if err != nil {
		return nil, fmt.Errorf("count the burst of %s %s: %w", d.Transport, d.Channel, err)
	}
	top, opens := BurstSplit(b.Cards-len(caseIDs), len(caseIDs), limit)
	for _, id := range caseIDs[:top] {
		post(id, now)
	}
	rest := caseIDs[top:]
	if len(rest) == 0 {
		return msgs, nil
	}
	rows := make([]RollupCase, len(rest))
	for i, id := range rest {
		rows[i] = RollupCase{BurstID: b.ID, CaseID: id}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return nil, fmt.Errorf("list cases in the roll-up: %w", err)
	}
	// A card waits for its roll-up to be posted, unless it already is.
	at := now.Add(rollupWait)
	if b.Ref != "" {
		at = now
	}
	for _, id := range rest {
		post(id, at)
	}
	switch {
	case opens:
		msgs = append(msgs, OutboxMessage{Kind: KindRollupPost, Transport: d.Transport, Channel: d.Channel, OrderKey: rollupOrderKey(b.ID)})
	case b.Ref != "":
		msgs = append(msgs, OutboxMessage{Kind: KindRollupUpdate, Transport: d.Transport, Channel: d.Channel, OrderKey: rollupOrderKey(b.ID)})
	}
	return msgs, nil
}

// rollupPosted records where a roll-up went and releases its cards, which
// waited for it, to be posted in its thread.
func rollupPosted(tx *gorm.DB, m *OutboxMessage, ref string, now time.Time) error {
	id, ok := RollupID(m)
	if !ok {
		return nil
	}
	if err := tx.Model(&ChannelBurst{}).Where("id = ?", id).Update("ref", ref).Error; err != nil {
		return fmt.Errorf("store roll-up reference: %w", err)
	}
	return releaseRollupCards(tx, id, m, now)
}

func releaseRollupCards(tx *gorm.DB, burstID int64, m *OutboxMessage, now time.Time) error {
	err := tx.Model(&OutboxMessage{}).
		Where("kind = ? AND state = ? AND transport = ? AND channel = ? AND case_id IN (?)", KindCardPost, OutboxPending, m.Transport, m.Channel,
			tx.Model(&RollupCase{}).Select("case_id").Where("burst_id = ?", burstID)).
		Update("next_attempt_at", now.UTC()).Error
	if err != nil {
		return fmt.Errorf("release the roll-up's cards: %w", err)
	}
	return nil
}

// ReleaseRollup lets a failed roll-up's cards go without it, to the channel.
func (s *Store) ReleaseRollup(ctx context.Context, m *OutboxMessage, now time.Time) error {
	id, ok := RollupID(m)
	if !ok {
		return nil
	}
	return releaseRollupCards(s.db.WithContext(ctx), id, m, now)
}

// queueRollupRefresh asks the roll-ups listing a case to be updated, as the
// case moved.
func queueRollupRefresh(tx *gorm.DB, now time.Time, caseID int64) error {
	var bursts []ChannelBurst
	err := tx.Where("ref <> '' AND id IN (?)", tx.Model(&RollupCase{}).Select("burst_id").Where("case_id = ?", caseID)).Find(&bursts).Error
	if err != nil {
		return fmt.Errorf("roll-ups of case %d: %w", caseID, err)
	}
	var msgs []OutboxMessage
	for _, b := range bursts {
		msgs = append(msgs, OutboxMessage{Kind: KindRollupUpdate, Transport: b.Transport, Channel: b.Channel, OrderKey: rollupOrderKey(b.ID)})
	}
	return enqueue(tx, now, msgs...)
}

// Rollup loads a roll-up for display.
func (s *Store) Rollup(ctx context.Context, id int64) (Rollup, error) {
	var r Rollup
	db := s.db.WithContext(ctx)
	if err := db.Take(&r.Burst, id).Error; err != nil {
		return r, notFound(err, fmt.Sprintf("roll-up %d", id))
	}
	err := db.Table("rollup_cases").
		Select("cases.id AS case_id, responses.metric, responses.score, responses.comment, cases.owner, cases.state").
		Joins("JOIN cases ON cases.id = rollup_cases.case_id").
		Joins("JOIN responses ON responses.id = cases.response_id").
		Where("rollup_cases.burst_id = ?", id).Order("cases.id").Scan(&r.Cases).Error
	if err != nil {
		return r, fmt.Errorf("cases of roll-up %d: %w", id, err)
	}
	return r, nil
}

// CardThread returns the reference of the roll-up whose thread holds the
// case's card in a channel; ok is false for a card of its own.
func (s *Store) CardThread(ctx context.Context, caseID int64, transport, channel string) (ref string, ok bool, err error) {
	var refs []string
	err = s.db.WithContext(ctx).Model(&ChannelBurst{}).
		Where("transport = ? AND channel = ? AND ref <> '' AND id IN (?)", transport, channel,
			s.db.Model(&RollupCase{}).Select("burst_id").Where("case_id = ?", caseID)).
		Limit(1).Pluck("ref", &refs).Error
	if err != nil {
		return "", false, fmt.Errorf("roll-up of case %d: %w", caseID, err)
	}
	if len(refs) == 0 {
		return "", false, nil
	}
	return refs[0], true, nil
}
