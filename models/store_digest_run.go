package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ClaimDigest records the month as posted and queues its posts, in one
// transaction. The unique key on the month decides between concurrent
// claimers: exactly one succeeds; the others get ErrDigestPosted, as does a
// later claim unless force is set (a deliberate second post).
func (s *Store) ClaimDigest(ctx context.Context, now time.Time, post DigestPost, force bool) (DigestRun, error) {
	now = now.UTC()
	if _, _, err := ParseMonth(post.Month); err != nil {
		return DigestRun{}, err
	}
	var run DigestRun
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ins, args := valuesSQL("digest_runs", []string{"month", "via", "actor", "posts", "claimed_at", "last_post_at", "summary", "html", "chart_png"},
			[][]any{{post.Month, post.Via, post.Actor, 1, now, now, post.Summary, post.HTML, post.ChartPNG}})
		var ids []int64
		if err := tx.Raw(ins+" ON CONFLICT (month) DO NOTHING RETURNING id", args...).Scan(&ids).Error; err != nil {
			return fmt.Errorf("claim digest %s: %w", post.Month, err)
		}
		if len(ids) == 0 {
			if !force {
				return digestPosted(tx, post.Month)
			}
			err := tx.Model(&DigestRun{}).Where("month = ?", post.Month).Updates(map[string]any{
				"posts": gorm.Expr("posts + 1"), "via": post.Via, "actor": post.Actor, "last_post_at": now,
				"summary": post.Summary, "html": post.HTML, "chart_png": post.ChartPNG,
			}).Error
			if err != nil {
				return fmt.Errorf("record forced digest %s: %w", post.Month, err)
			}
		}
		msgs := make([]OutboxMessage, 0, len(post.Destinations))
		for _, d := range post.Destinations {
			msgs = append(msgs, OutboxMessage{Kind: KindDigest, Transport: d.Transport, Channel: d.Channel, Text: post.Summary,
				OrderKey: DigestOrderKey(post.Month, d)})
		}
		for _, to := range post.Emails {
			e := post.Email
			e.To = strings.TrimSpace(to)
			b, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("encode digest email: %w", err)
			}
			msgs = append(msgs, OutboxMessage{Kind: KindDigestEmail, Transport: TransportEmail, Recipient: e.To, Text: string(b),
				OrderKey: truncate("digest:"+post.Month+":"+TransportEmail+":"+strings.ToLower(e.To), 250)})
		}
		if err := enqueue(tx, now, msgs...); err != nil {
			return err
		}
		return tx.Where("month = ?", post.Month).Take(&run).Error
	})
	return run, err
}

// DigestRunFor loads the record of a posted month.
func (s *Store) DigestRunFor(ctx context.Context, month string) (DigestRun, error) {
	var run DigestRun
	if err := s.db.WithContext(ctx).Where("month = ?", month).Take(&run).Error; err != nil {
		return run, notFound(err, "digest run "+month)
	}
	return run, nil
}

// RefuseDigestPosted returns the refusal a second, unforced post of month
// gets (ErrDigestPosted, saying when and by whom the month was posted), or
// nil while the month is not posted.
func (s *Store) RefuseDigestPosted(ctx context.Context, month string) error {
	posted, err := s.DigestPosted(ctx, month)
	if err != nil || !posted {
		return err
	}
	return digestPosted(s.db.WithContext(ctx), month)
}

// digestPosted is the refusal of a second post of a posted month.
func digestPosted(tx *gorm.DB, month string) error {
	var prev DigestRun
	if err := tx.Select("id, month, via, actor, posts, claimed_at, last_post_at").Where("month = ?", month).Take(&prev).Error; err != nil {
		return fmt.Errorf("digest %s: %w", month, ErrDigestPosted)
	}
	return fmt.Errorf("digest %s was posted %s by %s: %w", month,
		prev.LastPostAt.UTC().Format("2006-01-02 15:04 MST"), orDash(prev.Actor, prev.Via), ErrDigestPosted)
}

// DigestPosted reports whether a month's digest was posted, without loading it.
func (s *Store) DigestPosted(ctx context.Context, month string) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&DigestRun{}).Where("month = ?", month).Count(&n).Error; err != nil {
		return false, fmt.Errorf("digest run %s: %w", month, err)
	}
	return n > 0, nil
}

// HasResponsesIn reports whether any response was submitted in the month
// (in loc); a month without any has no digest worth posting.
func (s *Store) HasResponsesIn(ctx context.Context, month string, loc *time.Location) (bool, error) {
	start, end, err := MonthBounds(month, loc)
	if err != nil {
		return false, err
	}
	var ids []int64
	err = s.db.WithContext(ctx).Model(&Response{}).Where("submitted_at >= ? AND submitted_at < ?", start.UTC(), end.UTC()).
		Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return false, fmt.Errorf("responses of %s: %w", month, err)
	}
	return len(ids) > 0, nil
}
