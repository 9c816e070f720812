package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// HuddleDay reads a team's feedback submitted on day (YYYY-MM-DD in loc).
func (s *Store) HuddleDay(ctx context.Context, teamID, day string, loc *time.Location) (HuddleDay, error) {
	h := HuddleDay{TeamID: teamID, Day: day}
	start, end, err := DayBounds(day, loc)
	if err != nil {
		return h, err
	}
	var rs []Response
	if err := s.read(ctx).Where("team_id = ? AND submitted_at >= ? AND submitted_at < ?", teamID, start.UTC(), end.UTC()).
		Order("submitted_at, id").Find(&rs).Error; err != nil {
		return h, fmt.Errorf("huddle of %s on %s: %w", teamID, day, err)
	}
	h.Responses = len(rs)
	var detractorIDs []int64
	for _, r := range rs {
		if r.Metric == MetricNPS {
			h.NPS.add(r.Segment, 1)
		}
		switch r.Segment {
		case SegmentDetractor:
			detractorIDs = append(detractorIDs, r.ID)
			h.Detractors = append(h.Detractors, HuddleDetractor{ResponseID: r.ID, Metric: r.Metric, Score: r.Score, Comment: r.Comment})
		case SegmentPromoter:
			if strings.TrimSpace(r.Comment) != "" {
				h.Praise = append(h.Praise, HuddlePraise{ResponseID: r.ID, Metric: r.Metric, Score: r.Score, Comment: r.Comment,
					Employee: strings.TrimSpace(r.Attributes["employee_email"])})
			}
		}
	}
	if len(detractorIDs) == 0 {
		return h, nil
	}
	// A response's case is its own, or the open case it joined.
	joined := map[int64]int64{}
	for _, r := range rs {
		if r.JoinedCaseID != nil {
			joined[r.ID] = *r.JoinedCaseID
		}
	}
	var cases []Case
	if err := s.read(ctx).Where("response_id IN ?", detractorIDs).Or("id IN ?", joinedIDs(joined)).Find(&cases).Error; err != nil {
		return h, fmt.Errorf("huddle cases of %s on %s: %w", teamID, day, err)
	}
	byResponse, byID := map[int64]Case{}, map[int64]Case{}
	for _, c := range cases {
		byResponse[c.ResponseID], byID[c.ID] = c, c
	}
	for i, d := range h.Detractors {
		c, ok := byResponse[d.ResponseID]
		if !ok {
			c, ok = byID[joined[d.ResponseID]]
		}
		if ok {
			h.Detractors[i].CaseID, h.Detractors[i].Owner, h.Detractors[i].State = c.ID, c.Owner, c.State
		}
	}
	return h, nil
}

// QueueHuddle queues a team's huddle of day to each of its channels, unless
// it was queued before; it reports whether it queued it. Callers hold the
// team's huddle job lock, so the check and the insert are not raced by
// another replica; a later run of the same day finds the first one's posts.
func (s *Store) QueueHuddle(ctx context.Context, now time.Time, teamID, day string, dests []Destination) (bool, error) {
	key := HuddleOrderKey(day, teamID)
	queued := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&OutboxMessage{}).Where("order_key = ? AND kind = ?", key, KindHuddle).Count(&n).Error; err != nil {
			return fmt.Errorf("huddle %s: %w", key, err)
		}
		if n > 0 || len(dests) == 0 {
			return nil
		}
		msgs := make([]OutboxMessage, 0, len(dests))
		for _, d := range dests {
			msgs = append(msgs, OutboxMessage{Kind: KindHuddle, Transport: d.Transport, Channel: d.Channel, OrderKey: key})
		}
		queued = true
		return enqueue(tx, now.UTC(), msgs...)
	})
	return queued, err
}
