package slack

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"
)

// Directory resolves people, named by email in the configuration, to Slack
// user ids.
type Directory interface {
	// UserID returns the Slack user id of the person with that email. An
	// unknown email is a *bot.DeliveryError of class Permanent.
	UserID(ctx context.Context, email string) (string, error)
}

// DefaultDirectoryTTL is how long LookupDirectory trusts an answer. People
// rarely change email or leave; a day keeps users.lookupByEmail (Tier 3)
// calls to a handful per person per day.
const DefaultDirectoryTTL = 24 * time.Hour

// negativeTTL bounds how long "no such user" is remembered, so that someone
// who joins Slack after the configuration named them is found within the hour
// rather than the next day.
const negativeTTL = time.Hour

// LookupDirectory resolves emails with users.lookupByEmail and remembers the
// answers in memory. It is safe for concurrent use. A database-backed
// Directory can replace it where replicas should share the answers.
type LookupDirectory struct {
	api *slackgo.Client
	ttl time.Duration
	now func() time.Time // the clock, replaceable in tests

	mu    sync.Mutex
	cache map[string]dirEntry
}

type dirEntry struct {
	id      string
	err     error // the Permanent "not found" error, cached too
	expires time.Time
}

// NewLookupDirectory resolves through api; ttl <= 0 means DefaultDirectoryTTL.
// The token needs the users:read.email scope.
func NewLookupDirectory(api *slackgo.Client, ttl time.Duration) *LookupDirectory {
	if ttl <= 0 {
		ttl = DefaultDirectoryTTL
	}
	return &LookupDirectory{api: api, ttl: ttl, now: time.Now, cache: map[string]dirEntry{}}
}

// WithClock makes the directory tell time by now (for TTLs), so that it
// agrees with an injected clock; it returns d.
func (d *LookupDirectory) WithClock(now func() time.Time) *LookupDirectory {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = now
	return d
}

// UserID returns the user id for email, from the cache when it is fresh.
// Only definite answers are cached: a timeout or rate limit is returned and
// the next call asks Slack again.
func (d *LookupDirectory) UserID(ctx context.Context, email string) (string, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	if key == "" {
		return "", Classify(errors.New("slack users.lookupByEmail: empty email"))
	}
	d.mu.Lock()
	now := d.now()
	e, ok := d.cache[key]
	d.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.id, e.err
	}

	// The lock is not held across the call: a slow lookup must not stall
	// every other resolution. Two concurrent misses for one email both ask,
	// which is harmless.
	u, err := d.api.GetUserByEmailContext(ctx, key)
	if err != nil {
		err = fail("users.lookupByEmail", err)
		var api slackgo.SlackErrorResponse
		if errors.As(err, &api) && (api.Err == "users_not_found" || api.Err == "user_not_found") {
			d.store(key, dirEntry{err: err, expires: now.Add(min(negativeTTL, d.ttl))})
		}
		return "", err
	}
	d.store(key, dirEntry{id: u.ID, expires: now.Add(d.ttl)})
	return u.ID, nil
}

// Forget drops what the directory remembers about email, for when the
// configuration changes or a DM reports the user gone.
func (d *LookupDirectory) Forget(email string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.cache, strings.ToLower(strings.TrimSpace(email)))
}

func (d *LookupDirectory) store(key string, e dirEntry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cache[key] = e
}
