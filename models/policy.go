package models

import (
	"time"
)

// Policy is the organisation's rules as the domain needs them: teams,
// routing, SLAs, segments and themes. It is built from the configuration by
// the caller; models never reads files or the environment.
type Policy struct {
	Location    *time.Location
	Teams       []TeamPolicy
	Routes      []Route
	DefaultTeam string
	SLA         SLAPolicy
	Segments    map[Metric]Thresholds
	Themes      []Theme
	Admins      []string
	RootCauses  []string
	// Labels names root causes and themes per language: Labels[id][lang].
	// An id or language missing from it reads as the id.
	Labels map[string]map[string]string
	// Language is the organisation's language (one of Languages), the
	// default of every team's; DigestLanguage the digest's.
	Language       string
	DigestLanguage string
	// ItemTitle is the working title of an improvement item opened for a
	// root cause, in the organisation's language; a manager renames it.
	// Unset, the title is the root cause itself.
	ItemTitle func(rootCause string) string
	// DMTransports names the transports that deliver direct messages to people
	// (for example "slack", "teams"); "log" when no platform is connected.
	DMTransports []string
	// KudosDestinations receive promoter comments; empty when none is set.
	KudosDestinations []Destination
	// Away says which platform statuses mark a person away.
	Away AwayStatus
	// EmailEnabled is true when an SMTP server is configured: only then are
	// customers emailed.
	EmailEnabled bool
	// CustomerMessages are the templates of the emails to customers.
	CustomerMessages CustomerMessages
	// Targets are the organisation's goals; teams inherit what they do not set.
	Targets Targets
	// Retention is how long customer data is kept.
	Retention Retention
}

// Retention is how long contact details and comments of responses whose
// cases are closed are kept; zero keeps them.
type Retention struct{ Contact, Comment time.Duration }

// TeamPolicy is one team: who is in it, where its cards go, how it assigns.
type TeamPolicy struct {
	ID       string
	Name     string
	Members  []string
	Managers []string
	Champion string
	Assign   AssignStrategy
	Hours    *BusinessHours
	Location *time.Location
	Holidays []string // YYYY-MM-DD in the team's time zone
	// Language is what the team's channel reads, one of Languages.
	Language     string
	Destinations []Destination
	// Burst is the most new top-level cards per channel per minute; 0
	// means no limit.
	Burst int
	// QuietHours holds DMs outside the business hours until the next
	// business day starts.
	QuietHours bool
	// Huddle is the cron schedule, in the team's time zone, of the post of
	// the previous day's feedback; empty for none.
	Huddle  string
	Targets Targets // the team's own; see Policy.TeamTargets
}

// Destination is one channel on one transport.
type Destination struct {
	Transport string // "log", "slack", "teams"
	Channel   string
}

// AssignStrategy picks the owner of a new case.
type AssignStrategy string

const (
	AssignRoundRobin  AssignStrategy = "round_robin"
	AssignLeastLoaded AssignStrategy = "least_loaded"
	AssignChampion    AssignStrategy = "champion"
)

// Route sends responses whose fields all match to a team.
type Route struct {
	When map[string][]string
	Team string
	// Urgent cases escalate at once, even in quiet hours.
	Urgent bool
}

// SLAPolicy holds the follow-up deadlines, in business hours where a team has them.
type SLAPolicy struct {
	ThankYou     time.Duration
	Resolution   time.Duration
	RemindBefore time.Duration
}

// Theme is a named set of keywords.
type Theme struct {
	Name     string
	Keywords []string
	// Labels names the theme per language (language → label), from the YAML.
	Labels map[string]string
}

// Team returns the team with the given id.
func (p *Policy) Team(id string) (*TeamPolicy, bool) {
	for i := range p.Teams {
		if p.Teams[i].ID == id {
			return &p.Teams[i], true
		}
	}
	return nil, false
}

// TeamLocation is the time zone the team's SLA is counted in.
func (p *Policy) TeamLocation(t *TeamPolicy) *time.Location {
	if t != nil && t.Location != nil {
		return t.Location
	}
	if p.Location != nil {
		return p.Location
	}
	return time.UTC
}

// TeamLanguage is the language the team reads: its own, else the
// organisation's, else English.
func (p *Policy) TeamLanguage(teamID string) string {
	if t, ok := p.Team(teamID); ok && t.Language != "" {
		return t.Language
	}
	if p.Language != "" {
		return p.Language
	}
	return LangEnglish
}

// PersonLanguage is the language of the first team the person belongs to
// (as member or manager), else the organisation's: what they read when
// neither a case nor their platform says otherwise.
func (p *Policy) PersonLanguage(email string) string {
	for i := range p.Teams {
		if p.Teams[i].IsMember(email) || p.Teams[i].IsManager(email) {
			return p.TeamLanguage(p.Teams[i].ID)
		}
	}
	return p.TeamLanguage("")
}

// RootCauseLabel names root causes (and themes) in lang, as the YAML
// labels them; an id without a label in lang is shown as written.
func (p *Policy) RootCauseLabel(lang string) func(id string) string {
	return func(id string) string {
		if l := p.Labels[id][lang]; l != "" {
			return l
		}
		return id
	}
}

// IsAdmin reports whether email is one of the admins.
func (p *Policy) IsAdmin(email string) bool { return containsFold(p.Admins, email) }

// IsManager reports whether email manages the team.
func (t *TeamPolicy) IsManager(email string) bool { return containsFold(t.Managers, email) }

// IsMember reports whether email is a member of the team.
func (t *TeamPolicy) IsMember(email string) bool { return containsFold(t.Members, email) }
