package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SweepSLA runs one pass of reminders and escalations at now: the owner is
// reminded remind_before each due time (in the team's business hours); when
// a due time passes the case turns overdue, its card and thread say so and
// the team's managers are told; a case whose owner has left the team is
// reported to the managers. Each notice is sent once.
func (s *Store) SweepSLA(ctx context.Context, p *Policy, now time.Time) (SweepResult, error) {
	return s.SweepSLAAsOf(ctx, p, now, now)
}

// SweepSLAAsOf is SweepSLA deciding as if the clock read asOf, with the
// messages it queues deliverable from queueAt: a pass run by hand for a
// later instant sends what it finds at once, not when that instant comes.
func (s *Store) SweepSLAAsOf(ctx context.Context, p *Policy, asOf, queueAt time.Time) (SweepResult, error) {
	now := asOf.UTC()
	sw := sweep{now: now, queueAt: queueAt.UTC()}
	var res SweepResult
	var due []ReminderItem
	if err := s.endExpiredAbsences(ctx, p, now); err != nil {
		return res, err
	}
	away, err := awayPeople(s.db.WithContext(ctx), now)
	if err != nil {
		return res, err
	}
	// Every open case is looked at: owners can leave teams at any time, and
	// the notice table, not this query, decides what is already sent.
	const page = 500
	var lastID int64
	for {
		var cases []Case
		err := s.db.WithContext(ctx).
			Where("id > ? AND state IN ?", lastID, OpenStates).
			Order("id").Limit(page).Find(&cases).Error
		if err != nil {
			return res, fmt.Errorf("sla sweep: %w", err)
		}
		if len(cases) == 0 {
			break
		}
		lastID = cases[len(cases)-1].ID
		sent, err := s.sentNotices(ctx, cases)
		if err != nil {
			return res, err
		}
		for i := range cases {
			if err := s.chase(ctx, p, sw, &cases[i], sent, away, &res, &due); err != nil {
				return res, err
			}
		}
		if len(cases) < page {
			break
		}
	}
	if err := s.sweepFixFollowUps(ctx, p, sw, &res, &due); err != nil {
		return res, err
	}
	return res, s.sendReminders(ctx, p, sw, due, &res)
}

// sendReminders sends each person one DM listing all their reminders of
// this sweep, nearest due first. The notices and the DM are written in one
// transaction, so a reminder is listed exactly once however many sweeps
// run at once.
func (s *Store) sendReminders(ctx context.Context, p *Policy, sw sweep, items []ReminderItem, res *SweepResult) error {
	now := sw.now
	for _, b := range BundleReminders(items) {
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var listed []ReminderItem
			for _, it := range b.Items {
				n := FollowupNotice{CaseID: it.CaseID, Followup: it.Followup, Kind: NoticeReminder, At: now}
				ins := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&n)
				if ins.Error != nil {
					return fmt.Errorf("record reminder of case %d: %w", it.CaseID, ins.Error)
				}
				if ins.RowsAffected == 1 {
					listed = append(listed, it)
				}
			}
			if len(listed) == 0 {
				return nil // a concurrent sweep sent them
			}
			text, err := EncodeReminderList(listed)
			if err != nil {
				return err
			}
			team, _ := p.Team(listed[0].TeamID)
			at := sw.deliverable(p.DMAt(team, now, false))
			res.Reminders += len(listed)
			res.ReminderDMs++
			return enqueue(tx, sw.queueAt, fanOutDM(p, []string{b.To},
				OutboxMessage{Kind: KindReminderDM, CaseID: listed[0].CaseID, Text: text, NextAttemptAt: at},
				func(tr, to string) string { return fmt.Sprintf("reminders:%s:%s", tr, strings.ToLower(to)) })...)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// sweepFixFollowUps chases the third follow-up, "customer told of the fix",
// like the other two: a reminder to the owner before it is due, the
// managers told when it is late.
func (s *Store) sweepFixFollowUps(ctx context.Context, p *Policy, sw sweep, res *SweepResult, reminders *[]ReminderItem) error {
	now := sw.now
	var fus []FixFollowUp
	if err := s.db.WithContext(ctx).Where("told_at IS NULL").Order("id").Find(&fus).Error; err != nil {
		return fmt.Errorf("fix follow-ups: %w", err)
	}
	if len(fus) == 0 {
		return nil
	}
	ids := make([]int64, len(fus))
	for i, f := range fus {
		ids[i] = f.CaseID
	}
	var cases []Case
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&cases).Error; err != nil {
		return fmt.Errorf("cases of fix follow-ups: %w", err)
	}
	byID := make(map[int64]Case, len(cases))
	for _, c := range cases {
		byID[c.ID] = c
	}
	for _, f := range fus {
		c, ok := byID[f.CaseID]
		if !ok || c.CustomerToldAt != nil {
			continue
		}
		team, ok := p.Team(c.TeamID)
		if !ok {
			continue
		}
		loc := p.TeamLocation(team)
		switch {
		case !now.Before(f.DueAt):
			msg := caseMessage(MsgEscalationFixTold, c.ID, loc, "Owner", ownerOrDash(f.Owner)).at("Due", f.DueAt)
			done, err := s.notify(ctx, p, sw, &c, FollowupNotice{CaseID: c.ID, Followup: FollowupFixTold, Kind: NoticeOverdue},
				KindEscalationDM, managersOf(p, team), msg, "", nil, p.DMAt(team, now, c.Urgent))
			if err != nil {
				return err
			}
			if done {
				res.Escalations++
			}
		case !now.Before(RemindAt(f.DueAt, p.SLA.RemindBefore, team.Hours, loc, team.Holidays)):
			*reminders = append(*reminders, ReminderItem{CaseID: c.ID, Followup: FollowupFixTold, Owner: f.Owner, TeamID: c.TeamID, Due: f.DueAt})
		}
	}
	return nil
}

func (s *Store) sentNotices(ctx context.Context, cases []Case) (map[noticeKey]bool, error) {
	ids := make([]int64, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	var ns []FollowupNotice
	if err := s.db.WithContext(ctx).Where("case_id IN ?", ids).Find(&ns).Error; err != nil {
		return nil, fmt.Errorf("read notices: %w", err)
	}
	sent := make(map[noticeKey]bool, len(ns))
	for _, n := range ns {
		sent[noticeKey{n.CaseID, n.Followup, n.Kind}] = true
	}
	return sent, nil
}

// chase decides what one case is owed now.
func (s *Store) chase(ctx context.Context, p *Policy, sw sweep, c *Case, sent map[noticeKey]bool, away map[string]bool, res *SweepResult, due *[]ReminderItem) error {
	now := sw.now
	team, ok := p.Team(c.TeamID)
	if !ok {
		return nil
	}
	if to := coverAt(p, team, c, away, now); to != "" {
		moved, err := s.coverCase(ctx, p, team, now, c, to)
		if err != nil {
			return err
		}
		if moved {
			res.Covered++
		}
	}
	owed := owedAt(p, team, c, sent, now)
	for _, fu := range owed.Escalate {
		done, err := s.escalate(ctx, p, team, sw, c, fu.Name, fu.Label, fu.Due)
		if err != nil {
			return err
		}
		if done {
			res.Escalations++
		}
	}
	*due = append(*due, owed.Remind...)
	// An owner who left the team (or a case nobody owns) leaves the customer
	// waiting: the managers hear of it once per departed owner.
	if kind := owed.OwnerNotice; kind != "" {
		loc := p.TeamLocation(team)
		msg := caseMessage(MsgEscalationUnowned, c.ID, loc, "Team", team.Name)
		if kind != NoticeUnowned {
			msg = caseMessage(MsgEscalationOwnerLeft, c.ID, loc, "Owner", c.Owner, "Team", team.Name)
		}
		done, err := s.notify(ctx, p, sw, c, FollowupNotice{CaseID: c.ID, Followup: FollowupOwner, Kind: kind},
			KindEscalationDM, managersOf(p, team), msg, "", nil, p.DMAt(team, now, c.Urgent))
		if err != nil {
			return err
		}
		if done {
			res.Unowned++
		}
	}
	return nil
}

// escalate marks a follow-up overdue: the case flag, its trail, its card
// and thread, and a DM to the team's managers.
func (s *Store) escalate(ctx context.Context, p *Policy, team *TeamPolicy, sw sweep, c *Case, fu, label string, due time.Time) (bool, error) {
	now := sw.now
	loc := p.TeamLocation(team)
	escID, threadID := MsgOverdueThankYouDM, MsgOverdueThankYouLine
	if fu == FollowupResolution {
		escID, threadID = MsgOverdueResolutionDM, MsgOverdueResolutionLine
	}
	// Which follow-up, by how much, and who was told: the first things a
	// manager asks. People go by name.
	to := managersOf(p, team)
	names := make([]string, len(to))
	for i, m := range to {
		names[i] = PersonName(m)
	}
	owner := "—"
	if c.Owner != "" {
		owner = PersonName(c.Owner)
	}
	late := now.Sub(due)
	msg := caseMessage(escID, c.ID, loc, "Owner", owner, "To", strings.Join(names, ", ")).at("Due", due).lasting("Late", late)
	thread := caseMessage(threadID, c.ID, loc, "To", strings.Join(names, ", ")).at("Due", due).lasting("Late", late)
	// The trail keeps an English record; the thread line is written in the
	// team's language when it is delivered.
	detail := "OVERDUE: the " + label + " was due " + FormatDue(due, loc)
	return s.notify(ctx, p, sw, c, FollowupNotice{CaseID: c.ID, Followup: fu, Kind: NoticeOverdue},
		KindEscalationDM, managersOf(p, team), msg, detail, &thread, p.DMAt(team, now, c.Urgent))
}

// notify records a notice and queues its messages in one transaction; it
// reports false when another sweep already sent it. overdueNote, when set,
// also marks the case overdue and refreshes its card with that thread line.
func (s *Store) notify(ctx context.Context, p *Policy, sw sweep, c *Case, n FollowupNotice, kind OutboxKind, to []string, msg Message, overdueNote string, overdueLine *Message, at time.Time) (bool, error) {
	now := sw.now
	at = sw.deliverable(at)
	sentNow := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n.At = now
		ins := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&n)
		if ins.Error != nil {
			return fmt.Errorf("record %s notice of case %d: %w", n.Kind, c.ID, ins.Error)
		}
		if ins.RowsAffected == 0 {
			return nil // a concurrent sweep got there first
		}
		sentNow = true
		if overdueNote != "" {
			if err := tx.Model(&Case{}).Where("id = ?", c.ID).Updates(map[string]any{"overdue": true, "updated_at": now}).Error; err != nil {
				return fmt.Errorf("mark case %d overdue: %w", c.ID, err)
			}
			ev := CaseEvent{CaseID: c.ID, At: now, Actor: "cxloop", Kind: "overdue", FromState: c.State, ToState: c.State, Detail: overdueNote}
			if err := tx.Create(&ev).Error; err != nil {
				return fmt.Errorf("record overdue: %w", err)
			}
			if err := s.queueCardRefreshMessage(tx, sw.queueAt, c.ID, "", overdueLine); err != nil {
				return err
			}
		}
		return enqueue(tx, sw.queueAt, fanOutDM(p, to,
			OutboxMessage{Kind: kind, CaseID: c.ID, Message: &msg, NextAttemptAt: at}, caseDMKey(c.ID))...)
	})
	return sentNow, err
}

// Alert queues a message for the admins about something an operator must
// fix (a channel that no longer exists, a revoked token).
func (s *Store) Alert(ctx context.Context, p *Policy, now time.Time, text string) error {
	return enqueue(s.db.WithContext(ctx), now.UTC(), fanOutDM(p, p.Admins, OutboxMessage{Kind: KindAlertDM, Text: text},
		func(tr, to string) string { return "alert:" + tr + ":" + to })...)
}
