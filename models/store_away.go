package models

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// awayPeople is everyone away at now, by lower-case email.
func awayPeople(tx *gorm.DB, now time.Time) (map[string]bool, error) {
	var rows []Away
	if err := tx.Where("until IS NULL OR until > ?", now.UTC()).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("who is away: %w", err)
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.Person] = true
	}
	return out, nil
}

// AwayState returns whether the person is away at now and until when (zero
// while a status says so without an end).
func (s *Store) AwayState(ctx context.Context, person string, now time.Time) (away bool, until time.Time, err error) {
	var rows []Away
	err = s.db.WithContext(ctx).Where("person = ? AND (until IS NULL OR until > ?)", strings.ToLower(person), now.UTC()).Find(&rows).Error
	if err != nil {
		return false, until, fmt.Errorf("away state of %s: %w", person, err)
	}
	if len(rows) == 0 {
		return false, until, nil
	}
	if rows[0].Until != nil {
		until = *rows[0].Until
	}
	return true, until, nil
}

// SetAway marks a person away until the start of the day until (zero: until
// they are back), as told by source. A status never overrides what the
// person said with the command.
func (s *Store) SetAway(ctx context.Context, now time.Time, person string, until time.Time, source string) error {
	a := Away{Person: strings.ToLower(strings.TrimSpace(person)), Source: source, Since: now.UTC()}
	if !until.IsZero() {
		u := until.UTC()
		a.Until = &u
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur []Away
		if err := tx.Where("person = ?", a.Person).Find(&cur).Error; err != nil {
			return fmt.Errorf("away state: %w", err)
		}
		if len(cur) == 1 && source == AwayByStatus && cur[0].Source == AwayByCommand {
			return nil
		}
		if err := tx.Save(&a).Error; err != nil {
			return fmt.Errorf("mark %s away: %w", a.Person, err)
		}
		return nil
	})
}

// Back ends a person's absence (source "" ends any; AwayByStatus only one a
// status set) and queues one DM listing the cases that moved meanwhile. It
// returns the moves; was is false when they were not away.
func (s *Store) Back(ctx context.Context, p *Policy, now time.Time, person, source string) (moves []AwayMove, was bool, err error) {
	who := strings.ToLower(strings.TrimSpace(person))
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("person = ?", who)
		if source != "" {
			q = q.Where("source = ?", source)
		}
		del := q.Delete(&Away{})
		if del.Error != nil {
			return fmt.Errorf("mark %s back: %w", who, del.Error)
		}
		was = del.RowsAffected > 0
		if !was {
			return nil
		}
		return s.reportMoves(tx, p, now, who, &moves)
	})
	return moves, was, err
}

// reportMoves queues the "while you were away" DM once for what moved.
func (s *Store) reportMoves(tx *gorm.DB, p *Policy, now time.Time, who string, moves *[]AwayMove) error {
	if err := tx.Where("person = ? AND NOT reported", who).Order("id").Find(moves).Error; err != nil {
		return fmt.Errorf("what moved while %s was away: %w", who, err)
	}
	if len(*moves) == 0 {
		return nil
	}
	if err := tx.Model(&AwayMove{}).Where("person = ? AND NOT reported", who).Update("reported", true).Error; err != nil {
		return fmt.Errorf("report moves: %w", err)
	}
	ids := make([]string, len(*moves))
	for i, m := range *moves {
		ids[i] = strconv.FormatInt(m.CaseID, 10) + ":" + m.To
	}
	return enqueue(tx, now, fanOutDM(p, []string{who}, OutboxMessage{Kind: KindBackDM, Text: strings.Join(ids, ",")},
		func(tr, to string) string { return fmt.Sprintf("back:%s:%s", tr, to) })...)
}

// endExpiredAbsences brings back everyone whose "until" day has come.
func (s *Store) endExpiredAbsences(ctx context.Context, p *Policy, now time.Time) error {
	var rows []Away
	if err := s.db.WithContext(ctx).Where("until IS NOT NULL AND until <= ?", now.UTC()).Find(&rows).Error; err != nil {
		return fmt.Errorf("absences that ended: %w", err)
	}
	for _, r := range rows {
		if _, _, err := s.Back(ctx, p, now, r.Person, ""); err != nil {
			return err
		}
	}
	return nil
}

// coverCase moves an away owner's case to its cover: owner, trail, card
// and thread, a DM to the cover, and a record for the owner's return.
func (s *Store) coverCase(ctx context.Context, p *Policy, team *TeamPolicy, now time.Time, c *Case, to string) (bool, error) {
	from := c.Owner
	moved := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Case{}).Where("id = ? AND owner = ?", c.ID, from).Updates(map[string]any{"owner": to, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("move case %d to %s: %w", c.ID, to, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // moved meanwhile
		}
		moved = true
		detail := fmt.Sprintf("%s is away: the case moved to %s", from, to)
		ev := CaseEvent{CaseID: c.ID, At: now, Actor: "cxloop", Kind: "covered", FromState: c.State, ToState: c.State, Detail: detail}
		if err := tx.Create(&ev).Error; err != nil {
			return fmt.Errorf("record cover: %w", err)
		}
		if err := tx.Create(&AwayMove{Person: strings.ToLower(from), CaseID: c.ID, To: to, At: now}).Error; err != nil {
			return fmt.Errorf("record move: %w", err)
		}
		if err := s.queueCardRefresh(tx, now, c.ID, detail); err != nil {
			return err
		}
		return enqueue(tx, now, fanOutDM(p, []string{to},
			OutboxMessage{Kind: KindCaseDM, CaseID: c.ID, NextAttemptAt: p.DMAt(team, now, false)}, caseDMKey(c.ID))...)
	})
	if moved {
		c.Owner = to
	}
	return moved, err
}
