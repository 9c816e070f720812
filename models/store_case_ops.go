package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Act applies an action to a case: it checks the actor's role and the
// case's state, moves the case, records the change in its trail, and queues
// the card update, the thread line and any DM — all in one transaction.
func (s *Store) Act(ctx context.Context, p *Policy, now time.Time, caseID int64, actor string, op Op) (CaseView, error) {
	now = now.UTC()
	op.Note = MaskCardNumbers(op.Note) // staff paste card numbers too
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.lockCase(tx, p, caseID, actor, op.Kind)
		if err != nil {
			return err
		}
		if op.Kind == OpContact {
			// Reading contact details changes nothing but is recorded: who saw what, when.
			ev := CaseEvent{CaseID: c.ID, At: now, Actor: actor, Kind: EventContactViewed, FromState: c.State, ToState: c.State}
			if err := tx.Create(&ev).Error; err != nil {
				return fmt.Errorf("record %s: %w", EventContactViewed, err)
			}
			return nil
		}
		from := c.State
		upd, detail, err := p.transition(&c, actor, op, now)
		if err != nil {
			return err
		}
		if len(upd) > 0 {
			upd["updated_at"] = now
			if err := tx.Model(&Case{}).Where("id = ?", c.ID).Updates(upd).Error; err != nil {
				return fmt.Errorf("update case %d: %w", c.ID, err)
			}
		}
		ev := CaseEvent{CaseID: c.ID, At: now, Actor: actor, Kind: string(op.Kind), FromState: from, ToState: c.State, Detail: detail}
		if err := tx.Create(&ev).Error; err != nil {
			return fmt.Errorf("record %s: %w", op.Kind, err)
		}
		if op.Kind == OpResolve && op.Systemic {
			if err := linkImprovement(tx, p, now, &c); err != nil {
				return err
			}
		}
		line := threadLine(op, &c, actor)
		note := fmt.Sprintf("%s: %s", actor, detail)
		if purpose, d := op.customerEmail(); purpose != "" {
			sender := c
			sender.Owner = actor // the person who sends it signs it and gets the replies
			if err := s.queueCaseEmail(tx, p, now, &sender, purpose, d); err != nil {
				return err
			}
			note, line = emailedLine(purpose, actor)
		}
		if err := s.queueCardRefreshMessage(tx, now, c.ID, note, line); err != nil {
			return err
		}
		newOwner := (op.Kind == OpAssign || op.Kind == OpReopen) && !strings.EqualFold(c.Owner, actor)
		if newOwner && c.Owner != "" {
			team, _ := p.Team(c.TeamID)
			return enqueue(tx, now, fanOutDM(p, []string{c.Owner},
				OutboxMessage{Kind: KindCaseDM, CaseID: c.ID, NextAttemptAt: p.DMAt(team, now, false)}, caseDMKey(c.ID))...)
		}
		return nil
	})
	if err != nil {
		return CaseView{}, err
	}
	return s.CaseView(ctx, caseID)
}

// lockCase loads a case for a change, locked against concurrent changes on
// PostgreSQL (SQLite has one writer), and checks that actor may do op.
func (s *Store) lockCase(tx *gorm.DB, p *Policy, caseID int64, actor string, op OpKind) (Case, error) {
	var c Case
	q := tx
	if s.postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Take(&c, caseID).Error; err != nil {
		return c, notFound(err, fmt.Sprintf("case %d", caseID))
	}
	return c, p.Authorize(actor, op, &c)
}

// linkImprovement joins a systemic case to the open improvement item of its
// root cause, opening one when there is none.
func linkImprovement(tx *gorm.DB, p *Policy, now time.Time, c *Case) error {
	var item ImprovementItem
	err := tx.Where("root_cause = ? AND status IN ?", c.RootCause, []string{ImprovementProposed, ImprovementInProgress}).
		Order("id").Take(&item).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		title := c.RootCause
		if p.ItemTitle != nil {
			title = p.ItemTitle(c.RootCause)
		}
		item = ImprovementItem{Title: title, RootCause: c.RootCause,
			Status: ImprovementProposed, CreatedAt: now, UpdatedAt: now}
		err = tx.Create(&item).Error
	}
	if err != nil {
		return fmt.Errorf("improvement item for %s: %w", c.RootCause, err)
	}
	c.ImprovementID = &item.ID
	if err := tx.Model(&Case{}).Where("id = ?", c.ID).Update("improvement_id", item.ID).Error; err != nil {
		return fmt.Errorf("link case %d to improvement %d: %w", c.ID, item.ID, err)
	}
	return nil
}

// Cases lists cases, soonest thank-you due first.
func (s *Store) Cases(ctx context.Context, f CaseFilter) ([]Case, error) {
	q := s.db.WithContext(ctx).Model(&Case{})
	if f.Owner != "" {
		q = q.Where("LOWER(owner) = ?", strings.ToLower(f.Owner))
	}
	if len(f.TeamIDs) > 0 {
		q = q.Where("team_id IN ?", f.TeamIDs)
	}
	if len(f.States) > 0 {
		q = q.Where("state IN ?", f.States)
	}
	if f.Overdue != nil {
		q = q.Where("overdue = ?", *f.Overdue)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var out []Case
	if err := q.Order("thank_you_due_at, id").Limit(f.Limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	return out, nil
}
