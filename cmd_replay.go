package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/handlers/providers"
	"github.com/cxloop/cxloop/models"
)

// replayCmd maps the pending dead letters again with the current YAML and
// stores those that now map.
func replayCmd(ctx context.Context, e *env) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	id := fs.Int64("id", 0, "replay only this dead letter")
	dry := fs.Bool("dry-run", false, "show what a replay would do; change nothing")
	if err := e.parseNoArgs(fs, e.args); err != nil {
		return err
	}
	cfg, store, err := open(ctx, e.getenv, e.log)
	if err != nil {
		return err
	}
	defer store.Close()
	m := providers.Mappings{TypeformForms: cfg.Org.Sources.Typeform.Forms, FormbricksSurveys: cfg.Org.Sources.Formbricks.Surveys}
	results, err := providers.Replay(ctx, store, cfg.Policy(), m, models.SystemClock{}.Now(), providers.ReplayOptions{ID: *id, DryRun: *dry})
	if err != nil {
		return err
	}
	if len(results) == 0 {
		fmt.Fprintln(e.stdout, "no dead letters are waiting")
		return nil
	}
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Status]++
		status := r.Status
		if *dry && status == providers.ReplayIngested {
			status = "would be stored"
		}
		detail := r.Detail
		if *dry && r.Status == providers.ReplayIngested {
			detail = ""
		}
		line := fmt.Sprintf("dead letter %d (%s, received %s): %s", r.DeadLetter.ID, r.DeadLetter.Provider,
			r.DeadLetter.ReceivedAt.UTC().Format(time.RFC3339), status)
		if detail != "" {
			line += ": " + detail
		}
		fmt.Fprintln(e.stdout, line)
	}
	var parts []string
	for _, s := range []string{providers.ReplayIngested, providers.ReplaySuperseded, providers.ReplayIgnored, providers.ReplayFailed} {
		if counts[s] == 0 {
			continue
		}
		name := s
		if s == providers.ReplayIngested {
			name = "stored"
			if *dry {
				name = "would be stored"
			}
		}
		parts = append(parts, fmt.Sprintf("%d %s", counts[s], name))
	}
	summary := fmt.Sprintf("%s: %s", plural(len(results), "dead letter", "dead letters"), strings.Join(parts, ", "))
	if *dry {
		summary += " (dry run: nothing changed)"
	}
	fmt.Fprintln(e.stdout, summary)
	if counts[providers.ReplayFailed] > 0 {
		fmt.Fprintln(e.stdout, "fix the sources section of the YAML for those still failing, then run cxloop replay again")
	}
	return nil
}

// parseInterspersed parses flags before, between and after positional
// arguments ("import FILE.csv --dry-run"), returning the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
