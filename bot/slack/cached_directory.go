package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/models"
)

// CachedDirectory resolves people between emails (how the configuration
// names them) and Slack user ids, both ways, caching the answers in the
// database (models.PlatformUser) so that replicas share them and restarts
// keep them. Answers are trusted for TTL (a day); "nobody has that email"
// for NegativeTTL, so that someone who joins Slack later is found soon. A
// stale answer still serves when Slack cannot be reached. It implements
// bot/slack.Directory.
type CachedDirectory struct {
	store  *models.Store
	lookup *LookupDirectory
	api    *slackgo.Client
	clock  models.Clock
	log    *slog.Logger

	TTL         time.Duration
	NegativeTTL time.Duration
}

var _ Directory = (*CachedDirectory)(nil)

// NewCachedDirectory resolves through api (users.lookupByEmail, users.info;
// scopes users:read and users:read.email) and caches in store.
func NewCachedDirectory(store *models.Store, api *slackgo.Client, clock models.Clock, log *slog.Logger) *CachedDirectory {
	if log == nil {
		log = slog.Default()
	}
	return &CachedDirectory{
		store: store, api: api, clock: clock, log: log,
		// The in-memory layer only merges a burst of lookups of one email
		// (a card, its DM and its thread line); the database holds the day.
		lookup:      NewLookupDirectory(api, time.Minute).WithClock(clock.Now),
		TTL:         DefaultDirectoryTTL,
		NegativeTTL: time.Hour,
	}
}

// ErrNoEmail is returned by Email when Slack shows no email for the user
// (a bot, or a token without users:read.email).
var ErrNoEmail = errors.New("slack shows no email address for this user")

// UserID returns the Slack user id of the person with that email. An email
// that resolves to nobody is a Permanent *bot.DeliveryError for which
// bot/slack.IsUserNotFound holds.
func (d *CachedDirectory) UserID(ctx context.Context, email string) (string, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	if key == "" {
		return d.lookup.UserID(ctx, key) // the lookup's own "empty email" error
	}
	now := d.clock.Now()
	cached, cerr := d.store.PlatformUser(ctx, models.TransportSlack, key)
	have := cerr == nil
	if have && cached.UserID != "" && now.Sub(cached.CheckedAt) < d.TTL {
		return cached.UserID, nil
	}
	if have && cached.UserID == "" && now.Sub(cached.CheckedAt) < d.NegativeTTL {
		return "", slackNotFound(key)
	}
	id, err := d.lookup.UserID(ctx, key)
	switch {
	case err == nil:
		d.save(ctx, models.PlatformUser{Platform: models.TransportSlack, Email: key, UserID: id, Name: cached.Name, CheckedAt: now})
		return id, nil
	case IsUserNotFound(err):
		d.save(ctx, models.PlatformUser{Platform: models.TransportSlack, Email: key, CheckedAt: now})
		return "", err
	case have && cached.UserID != "":
		// Slack is unreachable for now: yesterday's answer beats none.
		return cached.UserID, nil
	}
	return "", err
}

// Email returns the email of a Slack user, from the cache or users.info.
func (d *CachedDirectory) Email(ctx context.Context, userID string) (string, error) {
	if !IsUserID(userID) {
		return "", fmt.Errorf("%q is not a Slack user id", userID)
	}
	now := d.clock.Now()
	cached, cerr := d.store.PlatformUserByID(ctx, models.TransportSlack, userID)
	if cerr == nil && now.Sub(cached.CheckedAt) < d.TTL {
		return cached.Email, nil
	}
	u, err := d.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		if cerr == nil && !IsUserNotFound(err) {
			return cached.Email, nil
		}
		return "", Classify(fmt.Errorf("slack users.info: %w", err))
	}
	email := strings.ToLower(strings.TrimSpace(u.Profile.Email))
	if email == "" || u.IsBot || u.Deleted {
		return "", ErrNoEmail
	}
	name := u.RealName
	if name == "" {
		name = u.Name
	}
	// users.info answered with the locale too (include_locale): keep it, so
	// that writing to the person in their language costs no second call.
	loc := u.Locale
	if loc == "" {
		loc = models.LocaleNone
	}
	d.save(ctx, models.PlatformUser{Platform: models.TransportSlack, Email: email, UserID: u.ID, Name: name, Locale: loc, CheckedAt: now})
	return email, nil
}

// Unresolved returns those of the emails that resolve to nobody in Slack
// (the ChatOps.Unresolved hook of "/cx team"). Emails not known yet are
// looked up; a lookup that fails for now does not count.
func (d *CachedDirectory) Unresolved(ctx context.Context, emails []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range emails {
		key := strings.ToLower(strings.TrimSpace(e))
		if key == "" || seen[key] {
			continue
		}
		seen[key] = true
		if _, err := d.UserID(ctx, key); err != nil && IsUserNotFound(err) {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// Refresh resolves every email, asking Slack again about those whose
// answer is older than the TTL, and returns the ones that resolve to
// nobody. It is run at start and then daily.
func (d *CachedDirectory) Refresh(ctx context.Context, emails []string) ([]string, error) {
	missing := d.Unresolved(ctx, emails)
	return missing, ctx.Err()
}

func (d *CachedDirectory) save(ctx context.Context, u models.PlatformUser) {
	if err := d.store.SavePlatformUser(ctx, u); err != nil {
		d.log.Warn("slack: cache a user", "err", err)
	}
}

// slackNotFound is the error of an email known to resolve to nobody, shaped
// like the one users.lookupByEmail gives.
func slackNotFound(email string) error {
	return Classify(fmt.Errorf("slack users.lookupByEmail %s: %w", email, slackgo.SlackErrorResponse{Err: "users_not_found"}))
}

// ConfiguredEmails lists every person the policy names (admins, managers,
// members, champions), lower case, once each, sorted.
func ConfiguredEmails(p *models.Policy) []string {
	seen := map[string]bool{}
	var out []string
	add := func(list ...string) {
		for _, e := range list {
			k := strings.ToLower(strings.TrimSpace(e))
			if k != "" && !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	add(p.Admins...)
	for _, t := range p.Teams {
		add(t.Managers...)
		add(t.Members...)
		add(t.Champion)
	}
	sort.Strings(out)
	return out
}

// Locale returns the person's Slack locale ("pl-PL"), from the cache or
// users.info (include_locale); "" when Slack gives none. It implements
// bot/slack.LocaleDirectory.
func (d *CachedDirectory) Locale(ctx context.Context, email string) (string, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	now := d.clock.Now()
	cached, err := d.store.PlatformUser(ctx, models.TransportSlack, key)
	if err == nil && cached.Locale != "" && now.Sub(cached.CheckedAt) < d.TTL {
		return strings.TrimPrefix(cached.Locale, models.LocaleNone), nil
	}
	id, err := d.UserID(ctx, key)
	if err != nil {
		return "", err
	}
	u, err := d.api.GetUserInfoContext(ctx, id) // slack-go asks with include_locale=true
	if err != nil {
		return "", Classify(fmt.Errorf("slack users.info: %w", err))
	}
	loc := u.Locale
	if loc == "" {
		loc = models.LocaleNone
	}
	if err := d.store.SetPlatformLocale(ctx, models.TransportSlack, key, loc); err != nil {
		d.log.Warn("slack: cache a locale", "err", err)
	}
	return u.Locale, nil
}

// Lang is the language of a message to one person: their Slack locale when
// cxloop speaks it, else fallback (their team's).
func (d *CachedDirectory) Lang(ctx context.Context, email, fallback string) string {
	if d == nil || email == "" {
		return models.SupportedLanguage(fallback, models.LangEnglish)
	}
	loc, err := d.Locale(ctx, email)
	if err != nil {
		return models.SupportedLanguage(fallback, models.LangEnglish)
	}
	return models.SupportedLanguage(loc, models.SupportedLanguage(fallback, models.LangEnglish))
}
