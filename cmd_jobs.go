package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/cxloop/cxloop/models"
)

// jobsCmd runs one pass of a scheduled job by hand: `cxloop jobs sla
// [--now RFC3339]` queues the reminders and escalations due at that instant;
// the service delivers them.
func jobsCmd(ctx context.Context, e *env) error {
	if len(e.args) == 0 || e.args[0] != "sla" {
		return usageError("usage: cxloop jobs sla [--now RFC3339]")
	}
	fs := flag.NewFlagSet("jobs sla", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	nowFlag := fs.String("now", "", "act as if the clock read this instant (RFC 3339)")
	if err := fs.Parse(e.args[1:]); err != nil {
		return usageError(err.Error() + "; usage: cxloop jobs sla [--now RFC3339]")
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usageError(fmt.Sprintf("--now %q is not an RFC 3339 time such as 2026-10-05T09:00:00Z", *nowFlag))
		}
		now = t
	}
	cfg, store, err := open(ctx, e.getenv, e.log)
	if err != nil {
		return err
	}
	defer store.Close()
	var res models.SweepResult
	ran, err := store.WithJobLock(ctx, "sla", func(ctx context.Context) error {
		var err error
		res, err = store.SweepSLA(ctx, cfg.Policy(), now)
		return err
	})
	if err != nil {
		return err
	}
	if !ran {
		fmt.Fprintln(e.stdout, "another cxloop is running the SLA sweep right now; nothing done")
		return nil
	}
	fmt.Fprintf(e.stdout, "SLA sweep at %s: %d reminders, %d escalations, %d owner notices queued\n",
		now.UTC().Format(time.RFC3339), res.Reminders, res.Escalations, res.Unowned)
	return nil
}
