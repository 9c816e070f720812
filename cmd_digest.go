package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/jobs/digest"
	"github.com/cxloop/cxloop/models"
)

// digestCmd builds a month's digest: `cxloop digest --month YYYY-MM
// [--format md|html|png] [--out PATH] [--post] [--force]`. Without --month
// it is the previous calendar month in the configured time zone. --post
// queues the post to the leadership channels (the running service delivers
// it) and records the month, refusing a month already posted unless
// --force.
func digestCmd(ctx context.Context, e *env) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	month := fs.String("month", "", "the calendar month, YYYY-MM (default: the previous month)")
	format := fs.String("format", "", "md, html or png (default: from the --out file's extension, else md)")
	out := fs.String("out", "", "write to this file (default: standard output)")
	post := fs.Bool("post", false, "queue the digest for the leadership channels")
	force := fs.Bool("force", false, "with --post: post a month again")
	nowFlag := fs.String("now", "", "act as if the clock read this time ("+models.TimeFormats+")")
	if err := e.parseNoArgs(fs, e.args); err != nil {
		return err
	}
	fmtName, err := digestFormat(*format, *out)
	if err != nil {
		return err
	}
	*format = fmtName
	if *force && !*post {
		return usageError("--force only goes with --post")
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	now, err := parseNow(*nowFlag, time.Now(), cfg.Policy().Location)
	if err != nil {
		return err
	}
	if *month != "" {
		if _, _, err := models.ParseMonth(*month); err != nil {
			return usageError(fmt.Sprintf("--month %q: want YYYY-MM", *month))
		}
	}
	cfg, store, err := open(ctx, e.getenv, e.log)
	if err != nil {
		return err
	}
	defer store.Close()
	poster := newDigestPoster(cfg, store, e.log)
	if *month == "" {
		*month = poster.PreviousMonth(now)
	}

	var rep *digest.Report
	if *post {
		run, r, err := poster.Post(ctx, *month, now, "cli", "cli:"+currentUser(e.getenv), *force)
		if errors.Is(err, models.ErrDigestPosted) {
			return fmt.Errorf("%w; add --force to post it again", err)
		}
		if err != nil {
			return err
		}
		rep = r
		var where []string
		for _, d := range poster.Destinations {
			where = append(where, d.Transport+":"+d.Channel)
		}
		for _, to := range poster.Emails {
			where = append(where, "email:"+to)
		}
		fmt.Fprintf(e.stderr, "digest %s queued for %s (post #%d); the running service delivers it\n", *month, strings.Join(where, ", "), run.Posts)
		if *out == "" {
			return nil
		}
	} else {
		rep, err = poster.Build(ctx, *month, now)
		if err != nil {
			return err
		}
	}
	var data []byte
	switch *format {
	case "html":
		data = rep.HTML
	case "png":
		data = rep.PNG
	default:
		data = rep.Markdown
	}
	if *out == "" || *out == "-" {
		_, err := e.stdout.Write(data)
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(e.stderr, "digest %s written to %s (%d bytes)\n", *month, *out, len(data))
	return nil
}

// digestExtensions maps the extensions of the digest's files to formats.
var digestExtensions = map[string]string{".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".png": "png"}

// digestFormat decides the format of the digest: --format when given,
// else the --out file's extension, else Markdown. A --format that
// contradicts the extension is refused rather than writing, say, Markdown
// into a .html file.
func digestFormat(format, out string) (string, error) {
	switch format {
	case "markdown":
		format = "md"
	case "", "md", "html", "png":
	default:
		return "", usageError(fmt.Sprintf("--format %q: want md, html or png", format))
	}
	ext := strings.ToLower(filepath.Ext(out))
	fromExt, known := digestExtensions[ext]
	switch {
	case out == "" || out == "-":
	case format == "" && known:
		format = fromExt
	case format != "" && known && format != fromExt:
		return "", usageError(fmt.Sprintf("--out %s is a %s file but --format is %s: change one", out, fromExt, format))
	}
	if format == "" {
		format = "md"
	}
	return format, nil
}

// newDigestPoster is the digest poster of the configuration: the schedule
// and the leadership channels of the YAML's digest section, on the
// connected platforms; with no platform connected, the log transport.
func newDigestPoster(cfg *config.Config, store *models.Store, log *slog.Logger) *digest.Poster {
	p := &digest.Poster{Store: store, Policy: cfg.Policy(), Schedule: cfg.Org.Digest.Schedule,
		Destinations: digestDestinations(cfg), Log: log}
	if len(cfg.Org.Digest.Email) > 0 {
		if cfg.EmailEnabled() {
			p.Emails = cfg.Org.Digest.Email
		} else {
			log.Warn("digest.email is set but email is not (CXLOOP_SMTP_URL, CXLOOP_SMTP_FROM): the digest goes to the channels only")
		}
	}
	return p
}

// digestDestinations lists the leadership channels.
func digestDestinations(cfg *config.Config) []models.Destination {
	var out []models.Destination
	if cfg.SlackEnabled() && cfg.Org.Digest.SlackChannel != "" {
		out = append(out, models.Destination{Transport: models.TransportSlack, Channel: cfg.Org.Digest.SlackChannel})
	}
	if cfg.TeamsEnabled() && cfg.Org.Digest.TeamsChannel != "" {
		out = append(out, models.Destination{Transport: models.TransportTeams, Channel: cfg.Org.Digest.TeamsChannel})
	}
	if !cfg.SlackEnabled() && !cfg.TeamsEnabled() {
		out = append(out, models.Destination{Transport: models.TransportLog, Channel: "leadership"})
	}
	return out
}

func currentUser(getenv func(string) string) string {
	if u := getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}
