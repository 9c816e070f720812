package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/models"
)

// Platform is the platform name of Teams rows in the store.
const Platform = models.TransportTeams

// Directory cache lifetimes.
const (
	// DirectoryTTL is how long a roster entry is trusted.
	DirectoryTTL = 24 * time.Hour
	// NegativeTTL is how long "no Teams account has this email" is trusted,
	// so someone who joins a team is found within the hour.
	NegativeTTL = time.Hour
	// RosterRefresh is the least time between two roster fetches of a team.
	RosterRefresh = 10 * time.Minute
)

// Store is what the Teams transport keeps in the database: conversation
// references and the roster cache. *models.Store implements it.
type Store interface {
	ConversationStore
	PlatformUser(ctx context.Context, platform, email string) (models.PlatformUser, error)
	PlatformUserByID(ctx context.Context, platform, userID string) (models.PlatformUser, error)
	SavePlatformUser(ctx context.Context, u models.PlatformUser) error
	SetPlatformLocale(ctx context.Context, platform, email, locale string) error
}

// Person is a Teams user as cxloop knows them.
type Person struct {
	Email       string
	Name        string
	UserID      string // 29:… (this bot's id for the user)
	AADObjectID string
	TenantID    string
	ServiceURL  string // where the roster came from
}

// personExtra is PlatformUser.Extra for Teams.
type personExtra struct {
	AADObjectID string `json:"aadObjectId,omitempty"`
	TenantID    string `json:"tenantId,omitempty"`
	ServiceURL  string `json:"serviceUrl,omitempty"`
}

// Directory matches the configuration's emails to Teams users through the
// teams' rosters (the Bot Connector's members endpoints), cached in the
// database as models.PlatformUser with platform "teams" (UserID = the 29:…
// id). It is safe for concurrent use.
type Directory struct {
	store Store
	conn  *Connector
	now   func() time.Time

	mu         sync.Mutex
	rosterSeen map[string]time.Time // team id → last roster fetch
}

// NewDirectory returns a Directory; now may be nil (time.Now).
func NewDirectory(store Store, conn *Connector, now func() time.Time) *Directory {
	if now == nil {
		now = time.Now
	}
	return &Directory{store: store, conn: conn, now: now, rosterSeen: map[string]time.Time{}}
}

// EmailOf returns the email of the Teams user userID (29:…) who acts in a
// conversation, from the cache or by asking the Bot Connector for that
// member of the conversation (for a channel, of its team).
func (d *Directory) EmailOf(ctx context.Context, serviceURL, conversationID, userID string) (string, error) {
	if userID == "" {
		return "", errors.New("teams: no user id")
	}
	if u, err := d.store.PlatformUserByID(ctx, Platform, userID); err == nil && u.Email != "" && d.now().Sub(u.CheckedAt) < DirectoryTTL {
		return u.Email, nil
	}
	m, err := d.conn.Member(ctx, serviceURL, conversationID, userID)
	if err != nil {
		return "", err
	}
	p := personOf(m, serviceURL)
	if p.Email == "" {
		return "", fmt.Errorf("teams: user %s has no email in the roster", userID)
	}
	if err := d.save(ctx, p); err != nil {
		return "", err
	}
	return p.Email, nil
}

// Person returns the Teams user with that email, refreshing the rosters of
// the teams the bot is in when the cache does not know them. An email that
// matches nobody is a Permanent *bot.DeliveryError.
func (d *Directory) Person(ctx context.Context, email string) (Person, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	if key == "" {
		return Person{}, bot.PermanentError(errors.New("teams: empty email"))
	}
	u, err := d.store.PlatformUser(ctx, Platform, key)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return Person{}, err
	}
	age := d.now().Sub(u.CheckedAt)
	switch {
	case err == nil && u.UserID != "" && age < DirectoryTTL:
		return fromUser(u), nil
	case err == nil && u.UserID == "" && age < NegativeTTL:
		return Person{}, bot.PermanentError(fmt.Errorf("teams: no member of the bot's teams has the email %s", key))
	}
	if err := d.refreshRosters(ctx); err != nil {
		return Person{}, err
	}
	u, err = d.store.PlatformUser(ctx, Platform, key)
	if err == nil && u.UserID != "" {
		return fromUser(u), nil
	}
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return Person{}, err
	}
	if err := d.store.SavePlatformUser(ctx, models.PlatformUser{Platform: Platform, Email: key, CheckedAt: d.now()}); err != nil {
		return Person{}, err
	}
	return Person{}, bot.PermanentError(fmt.Errorf("teams: no member of the bot's teams has the email %s", key))
}

// Known returns the Teams user cached for an email, without asking the
// Bot Connector: for what may go without (a card's refresh list, the names
// it shows), so that posting a card costs no roster fetch. Rosters are
// cached when the bot joins a team and whenever anyone is looked up (a DM,
// a mention), and a user's id never changes.
func (d *Directory) Known(ctx context.Context, email string) (Person, bool) {
	u, err := d.store.PlatformUser(ctx, Platform, strings.ToLower(strings.TrimSpace(email)))
	if err != nil || u.UserID == "" {
		return Person{}, false
	}
	return fromUser(u), true
}

// Unresolved returns the emails that match no Teams user, for status lines.
// It reads the cache only.
func (d *Directory) Unresolved(ctx context.Context, emails []string) []string {
	var out []string
	for _, e := range emails {
		u, err := d.store.PlatformUser(ctx, Platform, e)
		if err == nil && u.UserID == "" {
			out = append(out, e)
		}
	}
	return out
}

// refreshRosters fetches the roster of every team the bot is installed in
// (at most every RosterRefresh per team) and caches everyone in it.
func (d *Directory) refreshRosters(ctx context.Context) error {
	convs, err := NewConversations(d.store).Channels(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var firstErr error
	for _, c := range convs {
		if c.TeamID == "" || seen[c.TeamID] {
			continue
		}
		seen[c.TeamID] = true
		if !d.rosterDue(c.TeamID) {
			continue
		}
		members, err := d.conn.Members(ctx, c.ServiceURL, c.TeamID)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, m := range members {
			if p := personOf(m, c.ServiceURL); p.Email != "" {
				if err := d.save(ctx, p); err != nil {
					return err
				}
			}
		}
	}
	if len(seen) == 0 {
		// Nobody can be found before the bot is in a team; retry later.
		return &bot.DeliveryError{Class: bot.Transient, Err: errors.New("teams: the bot has not been added to any team yet")}
	}
	return firstErr
}

// LoadRoster caches everyone in a team's roster now, as when the bot is
// added to it: its cards can then list the team's people for refresh from
// the first one.
func (d *Directory) LoadRoster(ctx context.Context, serviceURL, teamID string) error {
	if !d.rosterDue(teamID) {
		return nil
	}
	members, err := d.conn.Members(ctx, serviceURL, teamID)
	if err != nil {
		return err
	}
	for _, m := range members {
		if p := personOf(m, serviceURL); p.Email != "" {
			if err := d.save(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Directory) rosterDue(teamID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if last, ok := d.rosterSeen[teamID]; ok && now.Sub(last) < RosterRefresh {
		return false
	}
	d.rosterSeen[teamID] = now
	return true
}

func (d *Directory) save(ctx context.Context, p Person) error {
	extra, _ := json.Marshal(personExtra{AADObjectID: p.AADObjectID, TenantID: p.TenantID, ServiceURL: p.ServiceURL})
	return d.store.SavePlatformUser(ctx, models.PlatformUser{Platform: Platform, Email: p.Email, UserID: p.UserID,
		Name: p.Name, Extra: string(extra), CheckedAt: d.now()})
}

func personOf(m Member, serviceURL string) Person {
	email := strings.TrimSpace(m.Email)
	if email == "" && strings.Contains(m.UserPrincipalName, "@") {
		email = m.UserPrincipalName
	}
	return Person{Email: strings.ToLower(email), Name: m.Name, UserID: m.ID, AADObjectID: m.AADObjectID,
		TenantID: m.TenantID, ServiceURL: serviceURL}
}

func fromUser(u models.PlatformUser) Person {
	var x personExtra
	_ = json.Unmarshal([]byte(u.Extra), &x)
	return Person{Email: u.Email, Name: u.Name, UserID: u.UserID, AADObjectID: x.AADObjectID, TenantID: x.TenantID, ServiceURL: x.ServiceURL}
}

// Locale returns the Teams locale last seen on an activity from the person
// ("pl-PL"), or "" when none was seen.
func (d *Directory) Locale(ctx context.Context, email string) (string, error) {
	u, err := d.store.PlatformUser(ctx, Platform, email)
	if errors.Is(err, models.ErrNotFound) || u.Locale == models.LocaleNone {
		return "", nil
	}
	return u.Locale, err
}

// RememberLocale records the locale of an activity the person sent, so that
// later messages to them, sent proactively, are in their language.
func (d *Directory) RememberLocale(ctx context.Context, email, locale string) error {
	if strings.TrimSpace(locale) == "" || strings.TrimSpace(email) == "" {
		return nil
	}
	u, err := d.store.PlatformUser(ctx, Platform, email)
	if err == nil && u.Locale == locale {
		return nil
	}
	return d.store.SetPlatformLocale(ctx, Platform, email, locale)
}
