package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cxloop/cxloop/metrics"
	"github.com/cxloop/cxloop/models"
)

// Job is a scheduled piece of work.
type Job struct {
	Name    string
	Spec    string // cron, five fields, in the scheduler's time zone
	AtStart bool   // also run once when the service starts (catching up)
	// Location, when set, is the zone Spec is read in instead of the
	// scheduler's (a team's huddle in the team's zone).
	Location *time.Location
	Run      func(ctx context.Context, now time.Time) error
}

// Scheduler runs jobs on their cron schedules. Every replica runs the same
// schedule; each run takes the job's lock in the database, so exactly one
// replica does the work and the others skip.
type Scheduler struct {
	Store    *models.Store
	Location *time.Location
	Clock    models.Clock
	Log      *slog.Logger
	Metrics  *metrics.Set
	Jobs     []Job
}

// Run starts the schedule and blocks until ctx ends, then waits for the
// jobs in progress.
func (s *Scheduler) Run(ctx context.Context) error {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	c := cron.New(cron.WithLocation(loc))
	var wg sync.WaitGroup
	for _, j := range s.Jobs {
		sched, err := cron.ParseStandard(j.Spec)
		if err != nil {
			return fmt.Errorf("schedule %s (%q): %w", j.Name, j.Spec, err)
		}
		if spec, ok := sched.(*cron.SpecSchedule); ok && j.Location != nil && spec.Location == time.Local {
			spec.Location = j.Location
		}
		c.Schedule(sched, cron.FuncJob(func() {
			wg.Add(1)
			defer wg.Done()
			s.RunJob(ctx, j)
		}))
	}
	for _, j := range s.Jobs {
		if j.AtStart {
			s.RunJob(ctx, j)
		}
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	wg.Wait()
	return nil
}

// RunJob runs one job now under its lock, recording the outcome.
func (s *Scheduler) RunJob(ctx context.Context, j Job) (ran bool, err error) {
	start := time.Now()
	now := s.Clock.Now()
	ran, err = s.Store.WithJobLock(ctx, j.Name, func(ctx context.Context) error { return j.Run(ctx, now) })
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "error"
		s.Log.Error("job failed", "job", j.Name, "err", err, "duration", time.Since(start))
	case !ran:
		outcome = "skipped"
		s.Log.Debug("job running elsewhere", "job", j.Name)
	default:
		s.Log.Debug("job done", "job", j.Name, "duration", time.Since(start))
	}
	if s.Metrics != nil {
		s.Metrics.JobRuns.WithLabelValues(j.Name, outcome).Inc()
		if ran {
			s.Metrics.JobDuration.WithLabelValues(j.Name).Observe(time.Since(start).Seconds())
		}
	}
	return ran, err
}

// SLAJob is the minute-by-minute sweep of reminders and escalations.
func SLAJob(store *models.Store, p *models.Policy, log *slog.Logger, m *metrics.Set, queued func()) Job {
	return Job{Name: "sla", Spec: "* * * * *", AtStart: true, Run: func(ctx context.Context, now time.Time) error {
		res, err := store.SweepSLA(ctx, p, now)
		if err != nil {
			return err
		}
		if m != nil {
			m.Notifications.WithLabelValues("reminder").Add(float64(res.Reminders))
			m.Notifications.WithLabelValues("escalation").Add(float64(res.Escalations))
			m.Notifications.WithLabelValues("unowned").Add(float64(res.Unowned))
		}
		if res != (models.SweepResult{}) {
			log.Info("sla sweep", "reminders", res.Reminders, "escalations", res.Escalations, "unowned", res.Unowned)
			if queued != nil {
				queued()
			}
		}
		return nil
	}}
}

// RetentionJob removes, daily, the contact details and comments of
// responses past privacy.contact_retention and privacy.comment_retention
// whose cases are closed. With both off it does nothing.
func RetentionJob(store *models.Store, p *models.Policy, log *slog.Logger, queued func()) Job {
	return Job{Name: "retention", Spec: "41 2 * * *", AtStart: true, Run: func(ctx context.Context, now time.Time) error {
		if p.Retention == (models.Retention{}) {
			return nil
		}
		rep, err := store.ApplyRetention(ctx, p, now, p.Retention.Contact, p.Retention.Comment)
		if err != nil {
			return err
		}
		if rep.Contact.Responses+rep.Comment.Responses > 0 {
			log.Info("retention", "contact_details_removed", rep.Contact.Responses, "comments_removed", rep.Comment.Responses,
				"cases_refreshed", len(rep.Contact.CaseIDs)+len(rep.Comment.CaseIDs))
			if queued != nil {
				queued()
			}
		}
		return nil
	}}
}

// UpkeepJobs keep the database's plans good without autovacuum: every
// minute the outbox's tables are vacuumed and re-analysed (PostgreSQL) or
// PRAGMA optimize runs (SQLite); every hour all statistics are refreshed.
func UpkeepJobs(store *models.Store) []Job {
	return []Job{
		{Name: "optimize-outbox", Spec: "* * * * *", Run: func(ctx context.Context, _ time.Time) error { return store.Optimize(ctx) }},
		{Name: "analyze", Spec: "41 * * * *", Run: func(ctx context.Context, _ time.Time) error { return store.Analyze(ctx) }},
	}
}

// PruneJob forgets processed inbound event ids after a day.
func PruneJob(store *models.Store) Job {
	return Job{Name: "prune-events", Spec: "17 * * * *", Run: func(ctx context.Context, now time.Time) error {
		return store.ForgetEventsBefore(ctx, now.Add(-24*time.Hour))
	}}
}
