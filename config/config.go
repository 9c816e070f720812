// Package config turns the environment and the YAML file into one validated
// Config. Nothing else in cxloop reads the environment.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/mail"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/cxloop/cxloop/models"
)

// Env holds the deployment settings and secrets from the environment.
type Env struct {
	DatabaseURL  string
	ConfigPath   string
	HTTPAddr     string
	PublicURL    string
	IngestToken  string
	IngestSecret string

	SlackBotToken      string
	SlackSigningSecret string
	SlackAppToken      string
	SlackAPIURL        string

	MicrosoftAppID         string
	MicrosoftAppPassword   string
	MicrosoftAppTenantID   string
	TeamsOpenIDMetadataURL string
	TeamsTokenURL          string

	DelightedSecret  string
	TypeformSecret   string
	FormbricksSecret string

	// DeliveryHorizon is how long a message is retried before it is failed.
	DeliveryHorizon time.Duration
	deliveryHorizon string
	// DeliveryTimeout bounds each call to a platform.
	DeliveryTimeout time.Duration
	deliveryTimeout string
	logLevel        string

	// SMTPURL and SMTPFrom configure email to customers; without them no
	// email is offered.
	SMTPURL  string
	SMTPFrom string
	// IngestRate is the most requests per second each ingestion credential
	// may send; 0 is no limit.
	IngestRate float64
	ingestRate string
}

// envVar is one row of the settings table: the variable, its default, and
// where it lands. One table keeps parsing and documentation in step.
type envVar struct {
	name, def, help string
	dst             func(*Env) *string
	secret          bool
}

var envVars = []envVar{
	{"CXLOOP_DATABASE_URL", "sqlite://cxloop.db", "postgres://… or sqlite://PATH", func(e *Env) *string { return &e.DatabaseURL }, true},
	{"CXLOOP_CONFIG", "", "path of the YAML file (default cxloop.yaml if present)", func(e *Env) *string { return &e.ConfigPath }, false},
	{"CXLOOP_HTTP_ADDR", ":8080", "listen address", func(e *Env) *string { return &e.HTTPAddr }, false},
	{"CXLOOP_PUBLIC_URL", "http://localhost:8080", "the address users and platforms reach", func(e *Env) *string { return &e.PublicURL }, false},
	{"CXLOOP_INGEST_TOKEN", "", "bearer token for /api/v1/responses (none: the endpoint refuses all)", func(e *Env) *string { return &e.IngestToken }, true},
	{"CXLOOP_INGEST_SECRET", "", "Standard Webhooks secret (whsec_…) accepted instead of the token", func(e *Env) *string { return &e.IngestSecret }, true},
	{"SLACK_BOT_TOKEN", "", "Slack bot token (xoxb-…)", func(e *Env) *string { return &e.SlackBotToken }, true},
	{"SLACK_SIGNING_SECRET", "", "Slack signing secret", func(e *Env) *string { return &e.SlackSigningSecret }, true},
	{"SLACK_APP_TOKEN", "", "xapp-…: Socket Mode instead of HTTP", func(e *Env) *string { return &e.SlackAppToken }, true},
	{"SLACK_API_URL", "", "Slack Web API base, ending in /", func(e *Env) *string { return &e.SlackAPIURL }, false},
	{"MICROSOFT_APP_ID", "", "Bot Framework app id", func(e *Env) *string { return &e.MicrosoftAppID }, false},
	{"MICROSOFT_APP_PASSWORD", "", "Bot Framework app password", func(e *Env) *string { return &e.MicrosoftAppPassword }, true},
	{"MICROSOFT_APP_TENANT_ID", "", "Bot Framework tenant", func(e *Env) *string { return &e.MicrosoftAppTenantID }, false},
	{"TEAMS_OPENID_METADATA_URL", "", "Bot Framework OpenID metadata (empty: Microsoft's)", func(e *Env) *string { return &e.TeamsOpenIDMetadataURL }, false},
	{"TEAMS_TOKEN_URL", "", "Bot Framework token endpoint (empty: the tenant's at Microsoft)", func(e *Env) *string { return &e.TeamsTokenURL }, false},
	{"DELIGHTED_WEBHOOK_SECRET", "", "Delighted webhook signing secret", func(e *Env) *string { return &e.DelightedSecret }, true},
	{"TYPEFORM_WEBHOOK_SECRET", "", "Typeform webhook secret", func(e *Env) *string { return &e.TypeformSecret }, true},
	{"FORMBRICKS_WEBHOOK_SECRET", "", "Formbricks webhook secret (whsec_…)", func(e *Env) *string { return &e.FormbricksSecret }, true},
	{"CXLOOP_DELIVERY_TIMEOUT", "10s", "timeout of each call to Slack or Teams", func(e *Env) *string { return &e.deliveryTimeout }, false},
	{"CXLOOP_INGEST_RATE", "", "requests per second each ingestion token or webhook secret may send; over it 429 (none: no limit)", func(e *Env) *string { return &e.ingestRate }, false},
	{EnvLogLevel, "", "log level: debug, info, warn or error (none: info for serve, warn for the other commands)", func(e *Env) *string { return &e.logLevel }, false},
	{"CXLOOP_SMTP_URL", "", "smtp://user:pass@host:587 (STARTTLS) or smtps://…:465 (TLS): email to customers", func(e *Env) *string { return &e.SMTPURL }, true},
	{"CXLOOP_SMTP_FROM", "", "sender of customer emails, e.g. CX Team <cx@example.com>", func(e *Env) *string { return &e.SMTPFrom }, false},
	{"CXLOOP_DELIVERY_HORIZON", "24h", "how long a failing message is retried before it is reported failed", func(e *Env) *string { return &e.deliveryHorizon }, false},
}

// Config is everything cxloop is told.
type Config struct {
	Env Env
	Org Org
	// Source says where the organisation came from: a file path or "built-in".
	Source string
}

// SlackEnabled reports whether Slack credentials are set.
func (c *Config) SlackEnabled() bool { return c.Env.SlackBotToken != "" }

// TeamsEnabled reports whether Bot Framework credentials are set. An empty
// app id never disables authentication: Teams is simply off.
func (c *Config) TeamsEnabled() bool { return c.Env.MicrosoftAppID != "" }

// Load reads the environment through getenv and the YAML file it names (or
// cxloop.yaml when present), and validates both.
func Load(getenv func(string) string) (*Config, error) {
	var env Env
	for _, v := range envVars {
		val := strings.TrimSpace(getenv(v.name))
		if val == "" {
			val = v.def
		}
		*v.dst(&env) = val
	}
	cfg := &Config{Env: env}
	path := env.ConfigPath
	explicit := path != ""
	if !explicit {
		path = "cxloop.yaml"
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		org, err := ParseOrg(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		cfg.Org, cfg.Source = *org, path
	case errors.Is(err, os.ErrNotExist) && !explicit:
		cfg.Org, cfg.Source = DefaultOrg(), "built-in"
	default:
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	if err := cfg.validateEnv(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (c *Config) validateEnv() error {
	var errs []string
	e := c.Env
	if !strings.HasPrefix(e.DatabaseURL, "sqlite://") && !strings.HasPrefix(e.DatabaseURL, "postgres://") && !strings.HasPrefix(e.DatabaseURL, "postgresql://") {
		errs = append(errs, "CXLOOP_DATABASE_URL: must start with postgres:// or sqlite://")
	}
	if e.IngestSecret != "" && !strings.HasPrefix(e.IngestSecret, "whsec_") {
		errs = append(errs, "CXLOOP_INGEST_SECRET: must start with whsec_")
	}
	if e.FormbricksSecret != "" && !strings.HasPrefix(e.FormbricksSecret, "whsec_") {
		errs = append(errs, "FORMBRICKS_WEBHOOK_SECRET: must start with whsec_")
	}
	if e.SlackBotToken != "" && e.SlackSigningSecret == "" && e.SlackAppToken == "" {
		errs = append(errs, "SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN unless SLACK_APP_TOKEN (Socket Mode) is set")
	}
	if e.SlackAPIURL != "" && !strings.HasSuffix(e.SlackAPIURL, "/") {
		errs = append(errs, "SLACK_API_URL: must end in /")
	}
	if d, err := time.ParseDuration(e.deliveryHorizon); err != nil || d <= 0 {
		errs = append(errs, fmt.Sprintf("CXLOOP_DELIVERY_HORIZON: invalid duration %q (write e.g. 24h)", e.deliveryHorizon))
	} else {
		c.Env.DeliveryHorizon = d
	}
	if d, err := time.ParseDuration(e.deliveryTimeout); err != nil || d <= 0 {
		errs = append(errs, fmt.Sprintf("CXLOOP_DELIVERY_TIMEOUT: invalid duration %q (write e.g. 10s)", e.deliveryTimeout))
	} else {
		c.Env.DeliveryTimeout = d
	}
	if _, err := parseLogLevel(e.logLevel, slog.LevelInfo); err != nil {
		errs = append(errs, err.Error())
	}
	errs = append(errs, checkSMTP(e)...)
	if e.ingestRate != "" {
		r, err := strconv.ParseFloat(e.ingestRate, 64)
		if err != nil || r < 0 || math.IsInf(r, 0) || math.IsNaN(r) {
			errs = append(errs, fmt.Sprintf("CXLOOP_INGEST_RATE: %q is not a number of requests per second such as 20 or 0.5", e.ingestRate))
		} else {
			c.Env.IngestRate = r
		}
	}
	if dir, ok := sqliteDir(e.DatabaseURL); ok {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			errs = append(errs, fmt.Sprintf("CXLOOP_DATABASE_URL: the directory %s does not exist: create it or point the URL elsewhere", dir))
		}
	}
	if e.MicrosoftAppID != "" && e.MicrosoftAppPassword == "" {
		errs = append(errs, "MICROSOFT_APP_PASSWORD: required with MICROSOFT_APP_ID")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

// EnvLogLevel names the variable that sets how much cxloop logs.
const EnvLogLevel = "CXLOOP_LOG_LEVEL"

// LogLevel is the level CXLOOP_LOG_LEVEL sets, or def when it is unset.
// Commands build their log before they load the rest of the
// configuration, so it is read on its own.
func LogLevel(getenv func(string) string, def slog.Level) (slog.Level, error) {
	return parseLogLevel(strings.TrimSpace(getenv(EnvLogLevel)), def)
}

func parseLogLevel(s string, def slog.Level) (slog.Level, error) {
	if s == "" {
		return def, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return def, fmt.Errorf("%s: %q is not a log level (write debug, info, warn or error)", EnvLogLevel, s)
	}
	return l, nil
}

// EnvValue is one variable as Load reads it: trimmed, else its default.
// It is for commands that need a setting or two and none of the checks
// (building the Teams package needs the app id, not the bot password).
func EnvValue(getenv func(string) string, name string) string {
	for _, v := range envVars {
		if v.name == name {
			if val := strings.TrimSpace(getenv(name)); val != "" {
				return val
			}
			return v.def
		}
	}
	return strings.TrimSpace(getenv(name))
}

// sqliteDir is the directory an sqlite:// URL's file goes in; ok is false
// for other URLs and in-memory databases.
func sqliteDir(dbURL string) (string, bool) {
	path, ok := strings.CutPrefix(dbURL, "sqlite://")
	if !ok {
		return "", false
	}
	path, _, _ = strings.Cut(path, "?")
	path = strings.TrimPrefix(path, "file:")
	if path == "" || strings.Contains(path, ":memory:") || strings.HasPrefix(path, "mode=memory") {
		return "", false
	}
	return filepath.Dir(path), true
}

// EnvHelp lists the variables with their defaults, for the README and --help.
func EnvHelp() string {
	var b strings.Builder
	for _, v := range envVars {
		if v.def == "" {
			fmt.Fprintf(&b, "  %-28s %s\n", v.name, v.help)
			continue
		}
		fmt.Fprintf(&b, "  %-28s %s (default %s)\n", v.name, v.help, v.def)
	}
	return b.String()
}

// Org is the YAML file: the organisation's teams, routing, SLAs and taxonomy.
type Org struct {
	Timezone    string             `yaml:"timezone"`
	Language    string             `yaml:"language"`
	Admins      []string           `yaml:"admins"`
	Teams       []Team             `yaml:"teams"`
	Routes      []Route            `yaml:"routes"`
	DefaultTeam string             `yaml:"default_team"`
	SLA         SLA                `yaml:"sla"`
	Segments    map[string]Segment `yaml:"segments"`
	RootCauses  []Labelled         `yaml:"root_causes"`
	Themes      yaml.Node          `yaml:"themes"`
	Digest      Digest             `yaml:"digest"`
	Targets     Targets            `yaml:"targets"`
	Kudos       Kudos              `yaml:"kudos"`
	Sources     Sources            `yaml:"sources"`
	Away        Away               `yaml:"away"`
	Privacy     Privacy            `yaml:"privacy"`
	retention   models.Retention
	themes      []models.Theme // parsed from Themes, in file order
	location    *time.Location
	sla         models.SLAPolicy
	teamHours   map[string]*models.BusinessHours
	teamLoc     map[string]*time.Location
	// inherited names the language keys the defaults filled in from the
	// top-level language, so that a mistake there is reported once, at
	// its own key.
	inherited map[string]bool

	// CustomerMessages override the shipped emails to customers.
	CustomerMessages map[string]map[string]MessageText `yaml:"customer_messages"`
	messages         models.CustomerMessages
	targets          models.Targets
	teamTargets      map[string]models.Targets
}

// Team is one team of the organisation.
type Team struct {
	ID            string         `yaml:"id"`
	Name          string         `yaml:"name"`
	SlackChannel  string         `yaml:"slack_channel"`
	TeamsChannel  string         `yaml:"teams_channel"`
	Managers      []string       `yaml:"managers"`
	Members       []string       `yaml:"members"`
	Champion      string         `yaml:"champion"`
	Assign        string         `yaml:"assign"`
	BusinessHours *BusinessHours `yaml:"business_hours"`
	Timezone      string         `yaml:"timezone"`
	Holidays      []string       `yaml:"holidays"`
	Targets       Targets        `yaml:"targets"`
	Language      string         `yaml:"language"`
	// Burst caps new top-level case cards per channel per minute (default
	// 5); the rest go into one roll-up message per minute.
	Burst *int `yaml:"burst"`
	// QuietHours holds DMs outside business hours until the next business
	// day starts (default true).
	QuietHours *bool `yaml:"quiet_hours"`
	// Huddle is an optional cron schedule (in the team's time zone) for the
	// post of the previous day's feedback.
	Huddle string `yaml:"huddle"`
}

// BusinessHours are a team's working days and hours.
type BusinessHours struct {
	Days  []string `yaml:"days"`
	Start string   `yaml:"start"`
	End   string   `yaml:"end"`
}

// Route sends matching responses to a team.
type Route struct {
	When map[string]StringList `yaml:"when"`
	Team string                `yaml:"team"`
	// Urgent cases escalate at once, even in quiet hours.
	Urgent bool `yaml:"urgent"`
}

// StringList accepts a scalar or a list in YAML.
type StringList []string

// UnmarshalYAML takes "x" or [x, y].
func (s *StringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*s = []string{n.Value}
		return nil
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		*s = l
		return nil
	}
	return fmt.Errorf("line %d: want a value or a list of values", n.Line)
}

// Labelled is a configured name (a root cause, a theme) with its labels per
// language. YAML gives it as a plain string ("price") or as
// {id: price, et: Hind, pl: Cena, ru: Цена}.
type Labelled struct {
	ID     string
	Labels map[string]string // language → label
}

// UnmarshalYAML takes "price" or {id: price, et: Hind, …}.
func (l *Labelled) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		l.ID = n.Value
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a name or {id: NAME, et: …, pl: …, ru: …}", n.Line)
	}
	var m map[string]string
	if err := n.Decode(&m); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return l.set(m, n.Line)
}

func (l *Labelled) set(m map[string]string, line int) error {
	for k, v := range m {
		switch {
		case k == "id":
			l.ID = v
		case models.IsSupportedLanguage(k):
			if l.Labels == nil {
				l.Labels = map[string]string{}
			}
			l.Labels[k] = v
		default:
			return fmt.Errorf("line %d: %q is neither id nor one of %s", line, k, strings.Join(models.Languages, ", "))
		}
	}
	if strings.TrimSpace(l.ID) == "" {
		return fmt.Errorf("line %d: id is required", line)
	}
	return nil
}

// SLA holds the follow-up deadlines as written.
type SLA struct {
	ThankYou     string `yaml:"thank_you"`
	Resolution   string `yaml:"resolution"`
	RemindBefore string `yaml:"remind_before"`
}

// Segment overrides a metric's thresholds.
type Segment struct {
	DetractorMax *int `yaml:"detractor_max"`
	PromoterMin  *int `yaml:"promoter_min"`
}

// Digest configures the monthly digest.
type Digest struct {
	Schedule     string `yaml:"schedule"` // empty: the digest poster's default, 09:00 on the 1st
	SlackChannel string `yaml:"slack_channel"`
	TeamsChannel string `yaml:"teams_channel"`
	Language     string `yaml:"language"`
	// Email lists the addresses that get the digest as an HTML email with
	// the chart inline, once per month with the channel post (needs
	// CXLOOP_SMTP_URL and CXLOOP_SMTP_FROM).
	Email []string `yaml:"email"`
}

// Kudos names where promoter comments go.
type Kudos struct {
	SlackChannel string `yaml:"slack_channel"`
	TeamsChannel string `yaml:"teams_channel"`
}

// Privacy sets how long customer data is kept (e.g. "365d"; empty: for
// ever).
type Privacy struct {
	ContactRetention string `yaml:"contact_retention"`
	CommentRetention string `yaml:"comment_retention"`
}

// parseRetention reads "365d", "52w" or a Go duration ("8760h").
func parseRetention(s, at string, add func(string, ...any)) time.Duration {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			if v, err := strconv.Atoi(n); err == nil && v > 0 {
				return time.Duration(v) * unit
			}
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 24*time.Hour {
		return d
	}
	add("%s: invalid retention %q (write e.g. 365d; at least a day)", at, s)
	return 0
}

// Away says which Slack statuses mark a person away: a status emoji, or a
// status text containing one of the words (any case).
type Away struct {
	StatusEmoji []string `yaml:"status_emoji"`
	StatusWords []string `yaml:"status_words"`
}

// DefaultAwayEmoji and DefaultAwayWords are the statuses read as away when
// the YAML names none.
var (
	DefaultAwayEmoji = []string{":palm_tree:", "🌴"}
	DefaultAwayWords = []string{"vacation", "holiday", "out of office", "ooo", "puhkusel", "urlop", "отпуск"}
)

// DefaultBurst is teams[].burst when unset.
const DefaultBurst = 5

// Sources maps survey tools' questions to the response fields.
type Sources struct {
	Typeform   FormSet   `yaml:"typeform"`
	Formbricks SurveySet `yaml:"formbricks"`
}

// FormSet is Typeform's forms by id.
type FormSet struct {
	Forms map[string]models.FormMapping `yaml:"forms"`
}

// SurveySet is Formbricks' surveys by id.
type SurveySet struct {
	Surveys map[string]models.FormMapping `yaml:"surveys"`
}

// DefaultOrg is the built-in single-team setup used when no file exists.
func DefaultOrg() Org {
	o, err := ParseOrg([]byte(defaultYAML))
	if err != nil {
		panic("built-in configuration is invalid: " + err.Error()) // a build defect, caught by tests
	}
	return *o
}

const defaultYAML = `
timezone: UTC
teams:
  - id: default
    name: Customer Care
default_team: default
`

// ParseOrg decodes and validates the YAML, rejecting unknown keys.
func ParseOrg(data []byte) (*Org, error) {
	var o Org
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	if unknown := unknownKeys(&doc, reflect.TypeOf(o)); len(unknown) > 0 {
		return nil, errors.New(strings.Join(unknown, "\n"))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&o); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	o.applyDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &o, nil
}

func (o *Org) applyDefaults() {
	if o.Timezone == "" {
		o.Timezone = "UTC"
	}
	if o.Language == "" {
		o.Language = models.LangEnglish
	}
	o.inherited = map[string]bool{}
	if o.Digest.Language == "" {
		o.Digest.Language = o.Language
		o.inherited["digest.language"] = true
	}
	if o.SLA.ThankYou == "" {
		o.SLA.ThankYou = "24h"
	}
	if o.SLA.Resolution == "" {
		o.SLA.Resolution = "72h"
	}
	if o.SLA.RemindBefore == "" {
		o.SLA.RemindBefore = "4h"
	}
	if len(o.RootCauses) == 0 {
		for _, id := range []string{"product", "price", "process", "staff", "channel", "other"} {
			o.RootCauses = append(o.RootCauses, Labelled{ID: id})
		}
	}
	if o.DefaultTeam == "" && len(o.Teams) > 0 {
		o.DefaultTeam = o.Teams[0].ID
	}
	if len(o.Away.StatusEmoji) == 0 {
		o.Away.StatusEmoji = DefaultAwayEmoji
	}
	if len(o.Away.StatusWords) == 0 {
		o.Away.StatusWords = DefaultAwayWords
	}
	for i := range o.Teams {
		if o.Teams[i].Burst == nil {
			b := DefaultBurst
			o.Teams[i].Burst = &b
		}
		if o.Teams[i].QuietHours == nil {
			q := true
			o.Teams[i].QuietHours = &q
		}
		if o.Teams[i].Name == "" {
			o.Teams[i].Name = o.Teams[i].ID
		}
		if o.Teams[i].Assign == "" {
			o.Teams[i].Assign = string(models.AssignRoundRobin)
		}
		if o.Teams[i].Language == "" {
			o.Teams[i].Language = o.Language
			o.inherited[fmt.Sprintf("teams[%d].language", i)] = true
		}
	}
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func (o *Org) validate() error {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }

	loc, err := time.LoadLocation(o.Timezone)
	if err != nil {
		add("timezone: unknown time zone %q", o.Timezone)
		loc = time.UTC
	}
	o.location = loc
	checkLanguage("language", o.Language, add)
	o.retention = models.Retention{Contact: parseRetention(o.Privacy.ContactRetention, "privacy.contact_retention", add),
		Comment: parseRetention(o.Privacy.CommentRetention, "privacy.comment_retention", add)}
	if !o.inherited["digest.language"] {
		checkLanguage("digest.language", o.Digest.Language, add)
	}
	for _, a := range o.Digest.Email {
		if addr, err := mail.ParseAddress(a); err != nil || addr.Name != "" || !strings.Contains(addr.Address, "@") {
			add("digest.email: %q is not an email address", a)
		}
	}
	if len(o.Teams) == 0 {
		add("teams: at least one team is required")
	}
	ids := map[string]bool{}
	o.teamHours = map[string]*models.BusinessHours{}
	o.teamLoc = map[string]*time.Location{}
	for i, t := range o.Teams {
		at := fmt.Sprintf("teams[%d]", i)
		switch {
		case t.ID == "":
			add("%s.id: required", at)
		case ids[t.ID]:
			add("%s.id: duplicate team id %s", at, t.ID)
		}
		ids[t.ID] = true
		if !o.inherited[at+".language"] {
			checkLanguage(at+".language", t.Language, add)
		}
		switch models.AssignStrategy(t.Assign) {
		case models.AssignRoundRobin, models.AssignLeastLoaded:
		case models.AssignChampion:
			if t.Champion == "" {
				add("%s.champion: required with assign: champion", at)
			}
		default:
			add("%s.assign: must be round_robin, least_loaded or champion, not %q", at, t.Assign)
		}
		for j, m := range append(append([]string{}, t.Members...), t.Managers...) {
			if !strings.Contains(m, "@") {
				add("%s: %q (person %d) is not an email address", at, m, j)
			}
		}
		if t.Champion != "" && !strings.Contains(t.Champion, "@") {
			add("%s.champion: %q is not an email address", at, t.Champion)
		}
		if t.Timezone != "" {
			tl, err := time.LoadLocation(t.Timezone)
			if err != nil {
				add("%s.timezone: unknown time zone %q", at, t.Timezone)
			} else {
				o.teamLoc[t.ID] = tl
			}
		}
		for j, h := range t.Holidays {
			if _, err := time.Parse("2006-01-02", h); err != nil {
				add("%s.holidays[%d]: %q is not a date (YYYY-MM-DD)", at, j, h)
			}
		}
		if *t.Burst < 1 {
			add("%s.burst: must be at least 1, not %d", at, *t.Burst)
		}
		if t.Huddle != "" {
			if _, err := cron.ParseStandard(t.Huddle); err != nil {
				add("%s.huddle: %q is not a cron schedule: %v", at, t.Huddle, err)
			}
		}
		if t.BusinessHours != nil {
			bh, err := parseHours(t.BusinessHours)
			if err != nil {
				add("%s.business_hours: %v", at, err)
			} else {
				o.teamHours[t.ID] = bh
			}
		}
	}
	for i, r := range o.Routes {
		if !ids[r.Team] {
			add("routes[%d].team: no team with id %s", i, r.Team)
		}
		if len(r.When) == 0 {
			add("routes[%d].when: at least one condition is required", i)
		}
	}
	if o.DefaultTeam != "" && !ids[o.DefaultTeam] {
		add("default_team: no team with id %s", o.DefaultTeam)
	}
	o.sla.ThankYou = parseDur(o.SLA.ThankYou, "sla.thank_you", add)
	o.sla.Resolution = parseDur(o.SLA.Resolution, "sla.resolution", add)
	o.sla.RemindBefore = parseDur(o.SLA.RemindBefore, "sla.remind_before", add)
	for name, s := range o.Segments {
		m := models.Metric(name)
		lo, hi, ok := m.ScoreRange()
		if !ok {
			add("segments.%s: unknown metric (nps, csat or ces)", name)
			continue
		}
		th := models.DefaultThresholds()[m]
		if s.DetractorMax != nil {
			th.DetractorMax = *s.DetractorMax
		}
		if s.PromoterMin != nil {
			th.PromoterMin = *s.PromoterMin
		}
		if th.DetractorMax < lo || th.PromoterMin > hi || th.DetractorMax >= th.PromoterMin {
			add("segments.%s: need %d ≤ detractor_max < promoter_min ≤ %d", name, lo, hi)
		}
	}
	o.targets = parseTargets(o.Targets, "targets", add)
	o.teamTargets = map[string]models.Targets{}
	for i, t := range o.Teams {
		o.teamTargets[t.ID] = parseTargets(t.Targets, fmt.Sprintf("teams[%d].targets", i), add)
	}
	if o.Digest.Schedule != "" { // empty is the digest poster's default
		if _, err := cron.ParseStandard(o.Digest.Schedule); err != nil {
			add("digest.schedule: %q is not a cron schedule: %v", o.Digest.Schedule, err)
		}
	}
	themes, err := parseThemes(&o.Themes)
	if err != nil {
		add("themes: %v", err)
	}
	o.themes = themes
	for name, f := range o.Sources.Typeform.Forms {
		checkMapping(fmt.Sprintf("sources.typeform.forms.%s", name), f, add)
	}
	for name, f := range o.Sources.Formbricks.Surveys {
		checkMapping(fmt.Sprintf("sources.formbricks.surveys.%s", name), f, add)
	}
	o.messages = customerMessages(o.CustomerMessages, add)
	for i, a := range o.Admins {
		if !strings.Contains(a, "@") {
			add("admins[%d]: %q is not an email address", i, a)
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

func checkLanguage(at, lang string, add func(string, ...any)) {
	if !models.IsSupportedLanguage(lang) {
		add("%s: must be one of %s, not %q", at, strings.Join(models.Languages, ", "), lang)
	}
}

func checkMapping(at string, f models.FormMapping, add func(string, ...any)) {
	if f.Score == "" {
		add("%s.score: required", at)
	}
	if f.Metric != "" {
		if _, _, ok := models.Metric(f.Metric).ScoreRange(); !ok {
			add("%s.metric: must be nps, csat or ces, not %q", at, f.Metric)
		}
	}
}

func parseDur(s, at string, add func(string, ...any)) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		add("%s: invalid duration %q (write e.g. 24h or 90m)", at, s)
		return 0
	}
	return d
}

func parseHours(b *BusinessHours) (*models.BusinessHours, error) {
	var h models.BusinessHours
	if len(b.Days) == 0 {
		return nil, errors.New("days: at least one day is required")
	}
	for _, d := range b.Days {
		wd, ok := weekdays[strings.ToLower(d)]
		if !ok {
			return nil, fmt.Errorf("days: %q is not a day (mon, tue, …)", d)
		}
		h.Days[wd] = true
	}
	start, err := time.Parse("15:04", b.Start)
	if err != nil {
		return nil, fmt.Errorf("start: %q is not a time (HH:MM)", b.Start)
	}
	end, err := time.Parse("15:04", b.End)
	if err != nil {
		return nil, fmt.Errorf("end: %q is not a time (HH:MM)", b.End)
	}
	h.Start = time.Duration(start.Hour())*time.Hour + time.Duration(start.Minute())*time.Minute
	h.End = time.Duration(end.Hour())*time.Hour + time.Duration(end.Minute())*time.Minute
	if h.End <= h.Start {
		return nil, fmt.Errorf("end %s must be after start %s", b.End, b.Start)
	}
	return &h, nil
}

// parseThemes reads the themes mapping keeping the file's order.
func parseThemes(n *yaml.Node) ([]models.Theme, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping of theme name to keywords", n.Line)
	}
	var out []models.Theme
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, v := n.Content[i].Value, n.Content[i+1]
		var kws []string
		var labels map[string]string
		if v.Kind == yaml.MappingNode {
			// {keywords: [...], et: Ootamine, pl: Oczekiwanie, ru: Ожидание}
			for j := 0; j+1 < len(v.Content); j += 2 {
				k := v.Content[j].Value
				switch {
				case k == "keywords":
					if err := v.Content[j+1].Decode(&kws); err != nil {
						return nil, fmt.Errorf("%s.keywords: want a list of keywords", name)
					}
				case models.IsSupportedLanguage(k):
					if labels == nil {
						labels = map[string]string{}
					}
					labels[k] = v.Content[j+1].Value
				default:
					return nil, fmt.Errorf("%s: %q is neither keywords nor one of %s", name, k, strings.Join(models.Languages, ", "))
				}
			}
		} else if err := v.Decode(&kws); err != nil {
			return nil, fmt.Errorf("%s: want a list of keywords or {keywords: [...], et: …}", name)
		}
		out = append(out, models.Theme{Name: name, Keywords: kws, Labels: labels})
	}
	return out, nil
}
