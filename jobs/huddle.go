package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/models"
)

// HuddleJobs are the teams' huddle posts, one job per team with a
// teams[].huddle schedule, each read in its team's time zone. Every replica
// runs them; the job's lock and the queued post's key make one post a day.
func HuddleJobs(store *models.Store, p *models.Policy, log *slog.Logger, queued func()) []Job {
	var out []Job
	for i := range p.Teams {
		t := &p.Teams[i]
		if t.Huddle == "" {
			continue
		}
		id := t.ID
		out = append(out, Job{Name: "huddle:" + id, Spec: t.Huddle, Location: p.TeamLocation(t),
			Run: func(ctx context.Context, now time.Time) error {
				posted, err := QueueHuddle(ctx, store, p, id, now)
				if err != nil {
					return err
				}
				if posted {
					log.Info("huddle queued", "team", id, "day", models.PreviousDay(now, p.TeamLocation(t)))
					if queued != nil {
						queued()
					}
				}
				return nil
			}})
	}
	return out
}

// QueueHuddle queues the team's huddle of the day before now (in the
// team's zone) to its channels: nothing on a day without feedback, and
// nothing when that day's huddle was queued already. It reports whether it
// queued one.
func QueueHuddle(ctx context.Context, store *models.Store, p *models.Policy, teamID string, now time.Time) (bool, error) {
	t, ok := p.Team(teamID)
	if !ok {
		return false, fmt.Errorf("huddle: no team %q", teamID)
	}
	loc := p.TeamLocation(t)
	day := models.PreviousDay(now, loc)
	h, err := store.HuddleDay(ctx, teamID, day, loc)
	if err != nil || h.Responses == 0 {
		return false, err
	}
	return store.QueueHuddle(ctx, now, teamID, day, t.Destinations)
}

// sendHuddle writes a team's huddle as its channel reads it now: current
// owners and states, in the team's language.
func (d *Deliverer) sendHuddle(ctx context.Context, msgr bot.Messenger, m *models.OutboxMessage) (string, error) {
	day, teamID, ok := models.HuddleOf(m)
	if !ok {
		return "", bot.PermanentError(fmt.Errorf("a huddle message without its day and team (%q)", m.OrderKey))
	}
	t, ok := d.Policy.Team(teamID)
	if !ok {
		return "", bot.PermanentError(fmt.Errorf("huddle of %q: the team is no longer configured", teamID))
	}
	loc := d.Policy.TeamLocation(t)
	hd, err := d.Store.HuddleDay(ctx, teamID, day, loc)
	if err != nil {
		return "", err
	}
	h := bot.NewHuddle(hd, t.Name, d.Policy.TeamLanguage(teamID), loc)
	if hp, ok := msgr.(bot.HuddlePoster); ok {
		return hp.PostHuddle(ctx, m.Channel, h)
	}
	return msgr.PostText(ctx, m.Channel, bot.HuddleText(h))
}
