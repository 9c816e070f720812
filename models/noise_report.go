package models

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// NoiseReport is what the outbox queued for people over a period, beside
// what the same feedback would have sent without noise control: every
// detractor response its own card in the channel, every reminder its own
// DM, every DM the moment it was queued.
type NoiseReport struct {
	// ChannelPosts are the top-level posts in team channels: cards,
	// roll-ups, kudos, huddles and announcements.
	ChannelPosts int
	// Rollups are the roll-up posts among them; CardsInRollups the cards
	// posted in a roll-up's thread instead of the channel.
	Rollups, CardsInRollups int
	// Joined are the detractor responses that joined their customer's open
	// case instead of opening one of their own.
	Joined int
	// DMs are the direct messages; ReminderDMs of them carried
	// ReminderItems reminders between them.
	DMs, ReminderDMs, ReminderItems int
	// DMsOutsideHours were queued outside the recipient team's business
	// hours (or on its holidays); DMsDeliveredOutsideHours of them were due
	// to reach the person then anyway (urgent escalations, teams keeping no
	// quiet hours). The rest waited for the next business day.
	DMsOutsideHours, DMsDeliveredOutsideHours int
}

// ChannelPostsWithout is how many top-level channel posts there would have
// been without roll-ups and one open case per customer.
func (r NoiseReport) ChannelPostsWithout() int {
	return r.ChannelPosts - r.Rollups + r.CardsInRollups + r.Joined
}

// DMsWithout is how many DMs there would have been with one DM per
// reminder and a case, with its "case is yours" DM, for every response
// that joined an open one.
func (r NoiseReport) DMsWithout() int { return r.DMs - r.ReminderDMs + r.ReminderItems + r.Joined }

// topLevelKinds are the outbox kinds that post a new message in a channel.
var topLevelKinds = map[OutboxKind]bool{KindCardPost: true, KindRollupPost: true, KindKudos: true, KindHuddle: true,
	KindImprovementDone: true, KindDigest: true}

// NoiseReport counts the messages queued in [from, to) for chat; customer
// and digest emails are not counted.
func (s *Store) NoiseReport(ctx context.Context, p *Policy, from, to time.Time) (NoiseReport, error) {
	var r NoiseReport
	var rows []struct {
		Kind          OutboxKind
		Channel       string
		CreatedAt     time.Time
		NextAttemptAt time.Time
		Text          string
		TeamID        string
	}
	err := s.read(ctx).Table("outbox_messages").
		Select("outbox_messages.kind, outbox_messages.channel, outbox_messages.created_at, outbox_messages.next_attempt_at, "+
			"CASE WHEN outbox_messages.kind = ? THEN outbox_messages.text ELSE '' END AS text, COALESCE(cases.team_id, '') AS team_id", KindReminderDM).
		Joins("LEFT JOIN cases ON cases.id = outbox_messages.case_id").
		Where("outbox_messages.created_at >= ? AND outbox_messages.created_at < ?", from.UTC(), to.UTC()).
		Scan(&rows).Error
	if err != nil {
		return r, fmt.Errorf("count queued messages: %w", err)
	}
	for _, m := range rows {
		switch {
		case topLevelKinds[m.Kind] && m.Channel != "":
			r.ChannelPosts++
			if m.Kind == KindRollupPost {
				r.Rollups++
			}
		case m.Kind.IsDM():
			r.DMs++
			if m.Kind == KindReminderDM {
				var l ReminderList
				if err := json.Unmarshal([]byte(m.Text), &l); err != nil {
					return r, fmt.Errorf("read a reminder DM: %w", err)
				}
				r.ReminderDMs++
				r.ReminderItems += len(l.Items)
			}
			if team, ok := p.Team(m.TeamID); ok && outsideHours(p, team, m.CreatedAt) {
				r.DMsOutsideHours++
				if outsideHours(p, team, m.NextAttemptAt) {
					r.DMsDeliveredOutsideHours++
				}
			}
		}
	}
	// A card in a roll-up's thread was queued as a card post too.
	var inRollups int64
	err = s.read(ctx).Table("rollup_cases").Joins("JOIN channel_bursts ON channel_bursts.id = rollup_cases.burst_id").
		Where("channel_bursts.minute >= ? AND channel_bursts.minute < ?", from.UTC(), to.UTC()).Count(&inRollups).Error
	if err != nil {
		return r, fmt.Errorf("count cards in roll-ups: %w", err)
	}
	r.CardsInRollups = int(inRollups)
	r.ChannelPosts -= r.CardsInRollups
	var joined int64
	err = s.read(ctx).Model(&Response{}).Where("joined_case_id IS NOT NULL AND received_at >= ? AND received_at < ?", from.UTC(), to.UTC()).
		Count(&joined).Error
	if err != nil {
		return r, fmt.Errorf("count joined responses: %w", err)
	}
	r.Joined = int(joined)
	return r, nil
}

// outsideHours tells whether t is outside the team's business hours; a team
// without business hours has none to be outside of.
func outsideHours(p *Policy, team *TeamPolicy, t time.Time) bool {
	return !QuietUntil(t, team.Hours, p.TeamLocation(team), team.Holidays).Equal(t)
}
