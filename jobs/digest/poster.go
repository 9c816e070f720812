package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// DefaultSchedule is 09:00 on the 1st of each month (DESIGN.md).
const DefaultSchedule = "0 9 1 * *"

// Report is one month's digest in every form.
type Report struct {
	Stats    *models.DigestStats
	Markdown []byte
	HTML     []byte
	PNG      []byte
	Summary  string
}

// Render builds every form of the digest from its statistics.
func Render(st *models.DigestStats) (*Report, error) {
	png, err := Chart(st)
	if err != nil {
		return nil, err
	}
	html, err := HTML(st, png)
	if err != nil {
		return nil, err
	}
	return &Report{Stats: st, Markdown: Markdown(st), HTML: html, PNG: png, Summary: Summary(st)}, nil
}

// Poster builds digests and posts them to the leadership channels through
// the outbox, once per month.
type Poster struct {
	Store  *models.Store
	Policy *models.Policy
	// Schedule is the cron expression (five fields, in Policy.Location);
	// empty means DefaultSchedule.
	Schedule string
	// Destinations are the leadership channels.
	Destinations []models.Destination
	// Emails are the digest.email addresses that get the digest as an HTML
	// email with the chart inline, queued with the channel posts. With
	// neither channels nor addresses, nothing is posted.
	Emails []string
	Log    *slog.Logger
	// Notify, when set, wakes the delivery worker after a post is queued.
	Notify func()
}

func (p *Poster) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

func (p *Poster) location() *time.Location {
	if p.Policy != nil && p.Policy.Location != nil {
		return p.Policy.Location
	}
	return time.UTC
}

// Build computes and renders a month's digest as of now.
func (p *Poster) Build(ctx context.Context, month string, now time.Time) (*Report, error) {
	st, err := p.Store.DigestStats(ctx, p.Policy, month, now)
	if err != nil {
		return nil, err
	}
	return Render(st)
}

// Post builds a month's digest and queues it for the leadership channels,
// recording the month as posted in the same transaction. A month already
// posted is refused with models.ErrDigestPosted unless force is set.
func (p *Poster) Post(ctx context.Context, month string, now time.Time, via, actor string, force bool) (models.DigestRun, *Report, error) {
	if !p.hasAudience() {
		return models.DigestRun{}, nil, errors.New("no leadership channel or address is configured (digest.slack_channel, digest.teams_channel, digest.email)")
	}
	if !force {
		// Cheap check first: the unique key decides, but there is no need
		// to build a report that will not be posted.
		if err := p.Store.RefuseDigestPosted(ctx, month); err != nil {
			return models.DigestRun{}, nil, err
		}
	}
	rep, err := p.Build(ctx, month, now)
	if err != nil {
		return models.DigestRun{}, nil, err
	}
	post := models.DigestPost{
		Month: month, Via: via, Actor: actor, Summary: rep.Summary, HTML: string(rep.HTML), ChartPNG: rep.PNG,
		Destinations: p.Destinations, Emails: p.Emails,
	}
	if len(p.Emails) > 0 {
		html, err := EmailHTML(rep.Stats, ChartCID)
		if err != nil {
			return models.DigestRun{}, rep, err
		}
		post.Email = models.DigestEmail{Subject: Title(rep.Stats.Language, month), Language: rep.Stats.Language,
			HTML: string(html), Text: string(rep.Markdown), ChartCID: ChartCID}
	}
	run, err := p.Store.ClaimDigest(ctx, now, post, force)
	if err != nil {
		return models.DigestRun{}, rep, err
	}
	if p.Notify != nil {
		p.Notify()
	}
	return run, rep, nil
}

// PreviousMonth is the calendar month before now's, in the organisation's
// time zone: the month a digest is about when none is named.
func (p *Poster) PreviousMonth(now time.Time) string {
	return models.AddMonths(models.MonthOf(now, p.location()), -1)
}

// Preview is the summary a month's digest would post as of now (the
// previous month when month is empty), headed for the one person who
// asked, in their language lang; the summary is in the digest's language,
// as management will read it.
func (p *Poster) Preview(ctx context.Context, lang, month string, now time.Time) (string, error) {
	if month == "" {
		month = p.PreviousMonth(now)
	}
	st, err := p.Store.DigestStats(ctx, p.Policy, month, now)
	if err != nil {
		return "", err
	}
	return l10n.T(lang, "preview.intro", "Summary", Summary(st)), nil
}

// Due returns the month whose digest the schedule calls for at now: the
// previous calendar month, once the schedule's first firing in the current
// month (in the organisation's time zone) has passed. A service that was
// down at that minute finds it due when it starts, later in the month.
func (p *Poster) Due(now time.Time) (month string, due bool, err error) {
	spec := p.Schedule
	if spec == "" {
		spec = DefaultSchedule
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return "", false, fmt.Errorf("digest schedule %q: %w", spec, err)
	}
	loc := p.location()
	local := now.In(loc)
	monthStart := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
	fire := sched.Next(monthStart.Add(-time.Second))
	if fire.IsZero() || fire.After(now) {
		return "", false, nil
	}
	return p.PreviousMonth(now), true, nil
}

// RunDue posts the previous month's digest when the schedule has fired
// since the month began and the month is not yet recorded as posted. It is
// safe to call every minute, at start and from several replicas at once:
// the month's unique key in digest_runs lets exactly one post through.
func (p *Poster) RunDue(ctx context.Context, now time.Time) error {
	month, due, err := p.Due(now)
	if err != nil || !due {
		return err
	}
	posted, err := p.Store.DigestPosted(ctx, month)
	if err != nil || posted {
		return err
	}
	if !p.hasAudience() {
		p.log().Debug("digest due but no leadership channel or address is configured", "month", month)
		return nil
	}
	// A fresh installation has nothing to say about the month before it:
	// management gets no empty digest.
	if any, err := p.Store.HasResponsesIn(ctx, month, p.location()); err != nil || !any {
		return err
	}
	run, _, err := p.Post(ctx, month, now, "schedule", "cxloop", false)
	if errors.Is(err, models.ErrDigestPosted) {
		return nil // another replica posted it first
	}
	if err != nil {
		return err
	}
	p.log().Info("monthly digest queued", "month", month, "run", run.ID, "destinations", len(p.Destinations), "emails", len(p.Emails))
	return nil
}

func (p *Poster) hasAudience() bool { return len(p.Destinations) > 0 || len(p.Emails) > 0 }

// ChartCID is the Content-ID of the trend chart in the digest email.
const ChartCID = "nps-trend@cxloop"

// RichPoster is a messenger that posts a digest with its chart and full
// report: Slack (a Block Kit summary with the chart and the HTML uploaded
// through the files upload flow) and Teams (an Adaptive Card with the
// chart), each with a link to the full report when there is one. Its
// parameter is bot.DigestPost so that platform packages implement it
// without importing this one. Messengers without it get the summary as
// plain text.
type RichPoster interface {
	PostDigest(ctx context.Context, channel string, post bot.DigestPost) (ref string, err error)
}

// Deliver sends one models.KindDigest outbox message: with the chart, the
// report stored for its month and a signed link to that report under
// publicURL (none when publicURL is empty) when the messenger is a
// RichPoster, as text otherwise. The link works for models.DigestLinkTTL
// from the month's post, so a retry carries the same link. The delivery
// worker calls it for that kind.
func Deliver(ctx context.Context, store *models.Store, msgr bot.Messenger, m *models.OutboxMessage, publicURL string) (string, error) {
	rich, ok := msgr.(RichPoster)
	month, known := models.DigestMonthOf(m)
	if !ok || !known {
		return msgr.PostText(ctx, m.Channel, m.Text)
	}
	run, err := store.DigestRunFor(ctx, month)
	if errors.Is(err, models.ErrNotFound) {
		return "", bot.PermanentError(err)
	}
	if err != nil {
		return "", err
	}
	summary := m.Text
	if summary == "" {
		summary = run.Summary
	}
	lang := languageOfReport(run.HTML)
	post := bot.DigestPost{Title: Title(lang, month), Summary: summary, Language: lang, ChartPNG: run.ChartPNG, ReportHTML: []byte(run.HTML)}
	if publicURL != "" {
		key, err := store.Key(ctx, models.DigestLinkKeyName)
		if err != nil {
			return "", err
		}
		post.ReportURL = models.DigestReportURL(publicURL, key, month, run.LastPostAt)
	}
	return rich.PostDigest(ctx, m.Channel, post)
}

// languageOfReport is the language a stored report was written in, from
// its <html lang>; English when it names none cxloop speaks.
func languageOfReport(html string) string {
	_, rest, ok := strings.Cut(html, `<html lang="`)
	if !ok {
		return models.LangEnglish
	}
	lang, _, _ := strings.Cut(rest, `"`)
	return models.SupportedLanguage(lang, models.LangEnglish)
}
