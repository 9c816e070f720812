package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/models"
)

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestExampleFileLoads(t *testing.T) {
	cfg, err := config.Load(envFrom(map[string]string{"CXLOOP_CONFIG": "../deploy/cxloop.example.yaml"}))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Policy()
	if p.Location.String() != "Europe/Tallinn" || len(p.Teams) != 2 || p.DefaultTeam != "contact-center" {
		t.Fatalf("policy %+v", p)
	}
	cc, _ := p.Team("contact-center")
	if cc.Hours == nil || !cc.Hours.Days[time.Friday] || cc.Hours.Days[time.Saturday] || cc.Hours.Start != 9*time.Hour {
		t.Errorf("business hours %+v", cc.Hours)
	}
	if len(cc.Destinations) != 1 || cc.Destinations[0].Transport != "log" {
		t.Errorf("without platforms cards go to the log: %+v", cc.Destinations)
	}
	if p.SLA.ThankYou != 24*time.Hour || p.SLA.Resolution != 72*time.Hour || p.SLA.RemindBefore != 4*time.Hour {
		t.Errorf("sla %+v", p.SLA)
	}
	if len(p.Themes) != 2 || p.Themes[0].Name != "waiting" {
		t.Errorf("themes %+v, want file order", p.Themes)
	}
	in := models.ResponseInput{Touchpoint: "branch", Attributes: map[string]string{"country": "LV"}}
	if got := p.RouteTeam(&in, models.SegmentDetractor); got != "riga-branch" {
		t.Errorf("route = %s", got)
	}
	cfg.Env.SlackBotToken = "xoxb-1"
	p = cfg.Policy()
	cc, _ = p.Team("contact-center")
	if len(cc.Destinations) != 1 || cc.Destinations[0] != (models.Destination{Transport: "slack", Channel: "C0CONTACT"}) {
		t.Errorf("with Slack: %+v", cc.Destinations)
	}
}

func TestNoFileNoVariables(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(wd) })
	cfg, err := config.Load(envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Env.DatabaseURL != "sqlite://cxloop.db" || cfg.Env.HTTPAddr != ":8080" || cfg.Source != "built-in" {
		t.Errorf("defaults %+v %s", cfg.Env, cfg.Source)
	}
	p := cfg.Policy()
	if len(p.Teams) != 1 || p.DefaultTeam != p.Teams[0].ID || p.DMTransports[0] != "log" {
		t.Errorf("default policy %+v", p)
	}
	// a named file that does not exist is an error, not a silent default
	if _, err := config.Load(envFrom(map[string]string{"CXLOOP_CONFIG": filepath.Join(dir, "nope.yaml")})); err == nil {
		t.Error("missing CXLOOP_CONFIG file accepted")
	}
}

func TestInvalidOrg(t *testing.T) {
	base := `
teams:
  - id: contact-center
    members: [jaan@example.com]
  - id: web
    members: [jaan@example.com]
`
	tests := []struct {
		name, yaml, want string
	}{
		{"route to unknown team", base + "routes:\n  - when: {country: LV}\n    team: riga-branch\n", "routes[0].team: no team with id riga-branch"},
		{"bad duration", base + "sla:\n  thank_you: 1day\n", `sla.thank_you: invalid duration "1day"`},
		{"bad cron", base + "digest:\n  schedule: every month\n", `digest.schedule: "every month" is not a cron schedule`},
		{"unknown key", base + "slack_channels: x\n", "slack_channels: unknown key (line 7"},
		{"unknown team key", "teams:\n  - id: a\n    member: [x@example.com]\n", "teams[0].member: unknown key (line 3"},
		{"unknown key of a later team", base + "  - id: c\n    channel: C0X\n", "teams[2].channel: unknown key"},
		{"unknown nested key", base + "sla:\n  thank_yuo: 24h\n", "sla.thank_yuo: unknown key"},
		{"unknown hours key", "teams:\n  - id: a\n    business_hours: {days: [mon], start: \"09:00\", finish: \"17:00\"}\n", "teams[0].business_hours.finish: unknown key"},
		{"unknown route key", base + "routes:\n  - whenn: {country: LV}\n    team: web\n", "routes[0].whenn: unknown key"},
		{"unknown form key", base + "sources:\n  typeform:\n    forms:\n      F1: {metric: nps, scroe: q1}\n", "sources.typeform.forms.F1.scroe: unknown key"},
		{"duplicate team", base + "  - id: web\n", "teams[2].id: duplicate team id web"},
		{"bad strategy", "teams:\n  - id: a\n    assign: random\n", `teams[0].assign: must be round_robin, least_loaded or champion, not "random"`},
		{"champion missing", "teams:\n  - id: a\n    assign: champion\n", "teams[0].champion: required"},
		{"bad hours", "teams:\n  - id: a\n    business_hours: {days: [mon, funday], start: \"09:00\", end: \"17:00\"}\n", `teams[0].business_hours: days: "funday" is not a day`},
		{"bad zone", base + "timezone: Mars/Olympus\n", `timezone: unknown time zone "Mars/Olympus"`},
		{"bad default", base + "default_team: nobody\n", "default_team: no team with id nobody"},
		{"bad segment", base + "segments:\n  nps: {detractor_max: 9, promoter_min: 8}\n", "segments.nps: need 0 ≤ detractor_max < promoter_min ≤ 10"},
		{"no teams", "timezone: UTC\n", "teams: at least one team is required"},
		{"typeform without score", base + "sources:\n  typeform:\n    forms:\n      F1: {metric: nps}\n", "sources.typeform.forms.F1.score: required"},
		{"not yaml", "teams: [", "yaml:"},
		{"unknown language", base + "language: lv\n", `language: must be one of en, et, pl, ru, not "lv"`},
		{"team language a name", "teams:\n  - id: a\n    language: Estonian\n", `teams[0].language: must be one of en, et, pl, ru, not "Estonian"`},
		{"digest language", base + "digest:\n  language: EN\n", `digest.language: must be one of en, et, pl, ru, not "EN"`},
		{"bad share target", base + "targets: {thanked_in_sla: ninety}\n", `targets.thanked_in_sla: "ninety" is not a percentage`},
		{"share above 100%", base + "targets: {resolved_in_sla: 120%}\n", `targets.resolved_in_sla: "120%" is not a percentage`},
		{"nps out of range", "teams:\n  - id: a\n    targets: {nps: 130}\n", "teams[0].targets.nps: 130 is not an NPS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.ParseOrg([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := config.ParseOrg([]byte(base)); err != nil {
		t.Errorf("a member in two teams is allowed: %v", err)
	}
}

// A wrong top-level language is reported at its own key only, not again
// at every key that inherits it; a wrong key of its own is reported there.
func TestLanguageErrorsNameTheirOwnKey(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       []string
		not        []string
	}{
		{"top level", "language: EN\nteams:\n  - id: a\n", []string{`language: must be one of en, et, pl, ru, not "EN"`},
			[]string{"digest.language", "teams[0].language"}},
		{"digest", "digest:\n  language: EN\nteams:\n  - id: a\n", []string{`digest.language: must be one of en, et, pl, ru, not "EN"`},
			[]string{"teams[0].language"}},
		{"team and top level", "language: Eesti\nteams:\n  - id: a\n    language: EN\n  - id: b\n",
			[]string{`language: must be one of en, et, pl, ru, not "Eesti"`, `teams[0].language: must be one of en, et, pl, ru, not "EN"`},
			[]string{"teams[1].language", "digest.language"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.ParseOrg([]byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error %q also names %s", err, n)
				}
			}
			if got := strings.Count(err.Error(), "must be one of"); got != len(tt.want) {
				t.Errorf("%d language errors, want %d: %v", got, len(tt.want), err)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	o, err := config.ParseOrg([]byte(`
targets: {nps: 30, thanked_in_sla: "90%", resolved_in_sla: 80%}
teams:
  - id: a
    targets: {nps: 20}
  - id: b
`))
	if err != nil {
		t.Fatal(err)
	}
	p := (&config.Config{Org: *o}).Policy()
	a, b := p.TeamTargets("a"), p.TeamTargets("b")
	if *p.Targets.NPS != 30 || *p.Targets.ThankedInSLA != 0.9 || *p.Targets.ResolvedInSLA != 0.8 {
		t.Errorf("organisation targets %+v", p.Targets)
	}
	if *a.NPS != 20 || *a.ThankedInSLA != 0.9 || *b.NPS != 30 {
		t.Errorf("team a %v, team b %v: a team inherits what it does not set", *a.NPS, *b.NPS)
	}
	none, _ := config.ParseOrg([]byte("teams:\n  - id: a\n"))
	if q := (&config.Config{Org: *none}).Policy(); !q.Targets.Empty() || !q.TeamTargets("a").Empty() {
		t.Error("targets set without any in the file")
	}
}

func TestLanguageDefaults(t *testing.T) {
	org, err := config.ParseOrg([]byte(`
language: et
teams:
  - id: tallinn
  - id: warsaw
    language: pl
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Org: *org}
	p := cfg.Policy()
	for _, tt := range []struct{ team, want string }{{"tallinn", "et"}, {"warsaw", "pl"}, {"nobody", "et"}} {
		if got := p.TeamLanguage(tt.team); got != tt.want {
			t.Errorf("team %s reads %q, want %q", tt.team, got, tt.want)
		}
	}
	if p.DigestLanguage != "et" {
		t.Errorf("digest language %q, want the organisation's et", p.DigestLanguage)
	}
	if def := config.DefaultOrg(); def.Language != "en" || def.Teams[0].Language != "en" || def.Digest.Language != "en" {
		t.Errorf("built-in languages %q %q %q, want en", def.Language, def.Teams[0].Language, def.Digest.Language)
	}
}

func TestInvalidEnv(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CXLOOP_DATABASE_URL": "mysql://x"}, "CXLOOP_DATABASE_URL: must start with postgres:// or sqlite://"},
		{map[string]string{"CXLOOP_INGEST_SECRET": "abc"}, "CXLOOP_INGEST_SECRET: must start with whsec_"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET: required"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "http://x"}, "SLACK_API_URL: must end in /"},
		{map[string]string{"MICROSOFT_APP_ID": "id"}, "MICROSOFT_APP_PASSWORD: required"},
	}
	for _, tt := range tests {
		tt.env["CXLOOP_CONFIG"] = "../deploy/cxloop.example.yaml"
		_, err := config.Load(envFrom(tt.env))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("env %v: error %v, want %q", tt.env, err, tt.want)
		}
	}
}

func TestNoiseSettings(t *testing.T) {
	org, err := config.ParseOrg([]byte(`
teams:
  - id: a
  - id: b
    burst: 2
    quiet_hours: false
    huddle: "0 9 * * 1-5"
routes:
  - when: {segment_vip: "yes"}
    team: a
    urgent: true
`))
	if err != nil {
		t.Fatal(err)
	}
	p := (&config.Config{Org: *org}).Policy()
	a, _ := p.Team("a")
	b, _ := p.Team("b")
	if a.Burst != config.DefaultBurst || !a.QuietHours || a.Huddle != "" {
		t.Errorf("team a: burst %d, quiet %v, huddle %q; want the defaults", a.Burst, a.QuietHours, a.Huddle)
	}
	if b.Burst != 2 || b.QuietHours || b.Huddle != "0 9 * * 1-5" {
		t.Errorf("team b: burst %d, quiet %v, huddle %q; want 2, false, the schedule", b.Burst, b.QuietHours, b.Huddle)
	}
	if !p.Routes[0].Urgent {
		t.Error("the urgent route lost its flag")
	}
	if !p.Away.Says("", "Puhkusel") {
		t.Error("the default away words do not include puhkusel")
	}
	for _, bad := range []string{"teams: [{id: a, burst: 0}]", `teams: [{id: a, huddle: "at nine"}]`} {
		if _, err := config.ParseOrg([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestEnvChecks(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		want string // "" when valid
	}{
		{"sqlite in a folder that exists", map[string]string{"CXLOOP_DATABASE_URL": "sqlite://" + filepath.Join(dir, "cx.db")}, ""},
		{"sqlite in a missing folder", map[string]string{"CXLOOP_DATABASE_URL": "sqlite://" + filepath.Join(dir, "nope", "cx.db")},
			"CXLOOP_DATABASE_URL: the directory " + filepath.Join(dir, "nope") + " does not exist"},
		{"sqlite in memory", map[string]string{"CXLOOP_DATABASE_URL": "sqlite://file::memory:?cache=shared"}, ""},
		{"ingest rate", map[string]string{"CXLOOP_INGEST_RATE": "0.5"}, ""},
		{"ingest rate not a number", map[string]string{"CXLOOP_INGEST_RATE": "fast"}, "CXLOOP_INGEST_RATE: \"fast\" is not a number"},
		{"negative ingest rate", map[string]string{"CXLOOP_INGEST_RATE": "-1"}, "CXLOOP_INGEST_RATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"CXLOOP_CONFIG": "../deploy/cxloop.example.yaml"}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := config.Load(envFrom(env))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
			if tt.name == "ingest rate" && cfg.Env.IngestRate != 0.5 {
				t.Errorf("IngestRate %v", cfg.Env.IngestRate)
			}
		})
	}
}

func TestRootCauseAndThemeLabels(t *testing.T) {
	org, err := config.ParseOrg([]byte(`
teams: [{id: a}]
root_causes: [product, {id: price, et: Hind, pl: Cena, ru: Цена}]
themes:
  fees: [fee, tasu]
  waiting: {keywords: [wait, järjekord], et: Ootamine, pl: Oczekiwanie, ru: Ожидание}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := (&config.Config{Org: *org}).Policy()
	if strings.Join(p.RootCauses, ",") != "product,price" {
		t.Errorf("root causes %v", p.RootCauses)
	}
	for _, tt := range []struct{ lang, id, want string }{
		{"et", "price", "Hind"}, {"ru", "price", "Цена"}, {"en", "price", "price"}, {"pl", "product", "product"},
		{"pl", "waiting", "Oczekiwanie"}, {"et", "fees", "fees"},
	} {
		if got := p.RootCauseLabel(tt.lang)(tt.id); got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.lang, tt.id, got, tt.want)
		}
	}
	if len(p.Themes) != 2 || strings.Join(p.Themes[1].Keywords, ",") != "wait,järjekord" {
		t.Errorf("themes %+v", p.Themes)
	}
	for _, bad := range []string{
		"teams: [{id: a}]\nroot_causes: [{et: Hind}]\n",
		"teams: [{id: a}]\nroot_causes: [{id: price, lv: Cena}]\n",
		"teams: [{id: a}]\nthemes:\n  waiting: {keywords: [wait], de: Warten}\n",
	} {
		if _, err := config.ParseOrg([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// An improvement item opened for a root cause is titled in the
// organisation's language, with the root cause's label in it.
func TestItemTitleInTheOrganisationsLanguage(t *testing.T) {
	for _, tt := range []struct{ lang, want string }{
		{"en", "Fix the price issues customers report"},
		{"et", "Lahendada probleemid, millest kliendid teatavad: hind"},
		{"pl", "Rozwiązać problemy zgłaszane przez klientów: cena"},
		{"ru", "Устранить проблемы, о которых сообщают клиенты: цена"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			org, err := config.ParseOrg([]byte("language: " + tt.lang + "\nteams: [{id: a}]\nroot_causes: [{id: price, et: hind, pl: cena, ru: цена}]\n"))
			if err != nil {
				t.Fatal(err)
			}
			if got := (&config.Config{Org: *org}).Policy().ItemTitle("price"); got != tt.want {
				t.Errorf("title %q, want %q", got, tt.want)
			}
		})
	}
}
