package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/importer"
	"github.com/cxloop/cxloop/models"
)

// jobsCmd runs one pass of a scheduled job by hand: `cxloop jobs sla
// [--now RFC3339]` queues the reminders and escalations due at that instant;
// the service delivers them.
func jobsCmd(ctx context.Context, e *env) error {
	if len(e.args) == 0 || e.args[0] != "sla" {
		if wantsHelp(e.args) {
			return e.help(nil)
		}
		return usageError("want: cxloop jobs sla")
	}
	fs := flag.NewFlagSet("jobs sla", flag.ContinueOnError)
	nowFlag := fs.String("now", "", "decide as if the clock read this time ("+models.TimeFormats+"; without an offset, in the configured zone); what it queues is sent at once")
	if err := e.parseNoArgs(fs, e.args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	queueAt := time.Now()
	now, err := parseNow(*nowFlag, queueAt, cfg.Policy().Location)
	if err != nil {
		return err
	}
	cfg, store, err := open(ctx, e.getenv, e.log)
	if err != nil {
		return err
	}
	defer store.Close()
	var res models.SweepResult
	ran, err := store.WithJobLock(ctx, "sla", func(ctx context.Context) error {
		var err error
		res, err = store.SweepSLAAsOf(ctx, cfg.Policy(), now, queueAt)
		return err
	})
	if err != nil {
		return err
	}
	if !ran {
		fmt.Fprintln(e.stdout, "another cxloop is running the SLA sweep right now; nothing done")
		return nil
	}
	fmt.Fprintf(e.stdout, "SLA sweep at %s: %s, %s, %s queued\n", now.UTC().Format(time.RFC3339),
		plural(res.Reminders, "reminder", "reminders"), plural(res.Escalations, "escalation", "escalations"),
		plural(res.Unowned, "owner notice", "owner notices"))
	return nil
}

// parseNow reads a --now flag: empty is now; otherwise any time
// models.ParseTime reads, in loc when it has no offset.
func parseNow(v string, now time.Time, loc *time.Location) (time.Time, error) {
	if v == "" {
		return now, nil
	}
	t, err := models.ParseTime(v, loc)
	if err != nil {
		return time.Time{}, usageError("--now: " + err.Error())
	}
	return t, nil
}

// plural writes a count with its noun: "1 row", "2 rows", "1,024 rows".
func plural(n int, one, many string) string { return plural64(int64(n), one, many) }

func plural64(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return importer.Thousands(n) + " " + many
}
