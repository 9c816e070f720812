package l10n_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// sameAsEnglish lists the texts that rightly read the same in a language as
// in English: templates of names and numbers only.
var sameAsEnglish = map[string]bool{
	"state.with_overdue":            true, // "{{.State}} · {{.Overdue}}"
	"card.headline":                 true, // segment, metric, score, team: all placeholders
	"backlog.status_intro":          true, // "*{{.Item}}*: {{.Status}}."
	"thread.note_note":              true, // "{{.Actor}}: {{.Note}}"
	"teamscard.assign.person_email": true, // "{{.Name}} ({{.Email}})"
	// The digest: NPS is the metric's name in every language, and
	// attributions are segment, metric and score.
	"report.chart.axis":     true,
	"report.col.nps":        true,
	"report.headline.nps":   true,
	"report.kpi.nps":        true,
	"report.summary.nps":    true,
	"report.quote.by":       true,
	"report.quote.by_where": true,
	"cards.span.minutes":    true, // "{{.Count}} min": the unit is international
	"cards.span.hours":      true, // "{{.Count}} h" in Estonian as in English
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(s string) string {
	set := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		set[m[1]] = true
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// Every English message exists in every catalog, is not empty, is
// translated, and uses the same placeholders in every plural form; no
// catalog has a message English lacks.
func TestCatalogsComplete(t *testing.T) {
	c := l10n.Default()
	en := c.Messages[models.LangEnglish]
	if len(en) < 50 {
		t.Fatalf("English catalog has %d messages", len(en))
	}
	for _, lang := range models.Languages[1:] {
		msgs := c.Messages[lang]
		for _, id := range c.IDs(models.LangEnglish) {
			m, ok := msgs[id]
			if !ok {
				t.Errorf("%s: %s missing", lang, id)
				continue
			}
			if m.Description == "" {
				t.Errorf("%s: %s has no description", lang, id)
			}
			want := placeholders(en[id].Other)
			for form, text := range l10n.Forms(m) {
				if strings.TrimSpace(text) == "" {
					t.Errorf("%s: %s.%s is empty", lang, id, form)
				}
				if got := placeholders(text); got != want {
					t.Errorf("%s: %s.%s uses placeholders {%s}, English {%s}", lang, id, form, got, want)
				}
			}
			if m.Other == en[id].Other && !sameAsEnglish[id] {
				t.Errorf("%s: %s is not translated: %q", lang, id, m.Other)
			}
		}
		for id := range msgs {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %s is not in the English catalog", lang, id)
			}
		}
	}
	for id, m := range en {
		if m.Description == "" {
			t.Errorf("en: %s has no description", id)
		}
	}
}

// A plural message has every form its language's CLDR rules use.
func TestPluralForms(t *testing.T) {
	need := map[string][]string{
		models.LangEnglish: {"one", "other"}, models.LangEstonian: {"one", "other"},
		models.LangPolish: {"one", "few", "many", "other"}, models.LangRussian: {"one", "few", "many", "other"},
	}
	c := l10n.Default()
	for id, m := range c.Messages[models.LangEnglish] {
		if m.One == "" {
			continue // not a plural message
		}
		for lang, forms := range need {
			got := l10n.Forms(c.Messages[lang][id])
			for _, f := range forms {
				if got[f] == "" {
					t.Errorf("%s: %s lacks the %q form", lang, id, f)
				}
			}
		}
	}
}

func TestPluralsPolishRussian(t *testing.T) {
	tests := []struct {
		lang string
		n    int
		want string
	}{
		{"ru", 1, "1 случай"}, {"ru", 2, "2 случая"}, {"ru", 5, "5 случаев"}, {"ru", 21, "21 случай"},
		{"ru", 22, "22 случая"}, {"ru", 25, "25 случаев"}, {"ru", 111, "111 случаев"},
		{"pl", 1, "1 przypadek"}, {"pl", 2, "2 przypadki"}, {"pl", 5, "5 przypadków"}, {"pl", 21, "21 przypadków"},
		{"pl", 22, "22 przypadki"}, {"pl", 25, "25 przypadków"}, {"pl", 111, "111 przypadków"},
		{"et", 1, "1 juhtum"}, {"et", 2, "2 juhtumit"}, {"et", 21, "21 juhtumit"},
		{"en", 1, "1 case"}, {"en", 21, "21 cases"},
	}
	for _, tt := range tests {
		if got := l10n.N(tt.lang, "count.cases", tt.n); got != tt.want {
			t.Errorf("%s %d: %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
	if got := l10n.N("ru", "count.customers", 22); got != "22 клиента" {
		t.Errorf("ru 22 customers: %q", got)
	}
	if got := l10n.N("pl", "count.responses", 1234); got != "1\u00a0234 odpowiedzi" {
		t.Errorf("pl 1234 responses: %q", got)
	}
}

func TestFallbacks(t *testing.T) {
	if got := l10n.T("de", "card.button.take"); got != "Take it" {
		t.Errorf("a language cxloop does not speak reads English, got %q", got)
	}
	if got := l10n.T("et", "no.such.message"); got != "no.such.message" {
		t.Errorf("an unknown id shows itself, got %q", got)
	}
	if got := l10n.T("et", "card.button.take"); got != "Võta endale" {
		t.Errorf("et take: %q", got)
	}
}

func TestDatesAndNumbers(t *testing.T) {
	tallinn, err := time.LoadLocation("Europe/Tallinn")
	if err != nil {
		t.Skip("no time zone data")
	}
	at := time.Date(2026, 11, 2, 13, 4, 0, 0, time.UTC).In(tallinn) // a Monday, 15:04 EET
	tests := []struct{ lang, date, dateTime, month, number, decimal, percent string }{
		{"en", "2 Nov 2026", "Mon 2 Nov 15:04 EET", "October 2026", "12,345", "-3.5", "42.5%"},
		{"et", "2. nov 2026", "E, 2. nov 15:04 EET", "oktoober 2026", "12\u00a0345", "\u22123,5", "42,5%"},
		{"pl", "2 lis 2026", "pon. 2 lis 15:04 EET", "październik 2026", "12\u00a0345", "-3,5", "42,5%"},
		{"ru", "2 нояб. 2026 г.", "пн, 2 нояб. 15:04 EET", "октябрь 2026 г.", "12\u00a0345", "-3,5", "42,5\u00a0%"},
	}
	for _, tt := range tests {
		got := []string{l10n.Date(tt.lang, at), l10n.DateTime(tt.lang, at), l10n.MonthYear(tt.lang, 2026, time.October),
			l10n.Number(tt.lang, 12345), l10n.Decimal(tt.lang, -3.5, 1), l10n.Percent(tt.lang, 0.425, 1)}
		want := []string{tt.date, tt.dateTime, tt.month, tt.number, tt.decimal, tt.percent}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: %q, want %q", tt.lang, got[i], want[i])
			}
		}
	}
}

func TestRenderMessage(t *testing.T) {
	due := time.Date(2026, 11, 2, 13, 4, 0, 0, time.UTC)
	m := models.Message{ID: "reminder.resolution", Args: map[string]string{"CaseID": "12"},
		Times: map[string]time.Time{"Due": due}, Zone: "Europe/Warsaw"}
	if got, want := l10n.Render("pl", m), "Przypomnienie: rozwiąż przypadek #12 do pon. 2 lis 14:04 CET."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := l10n.Render("en", m), "Reminder: resolve case #12 by Mon 2 Nov 14:04 CET."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Every message models writes has a text.
func TestDomainMessagesInCatalog(t *testing.T) {
	for _, id := range models.MessageIDs {
		if _, ok := l10n.Default().Messages[models.LangEnglish][id]; !ok {
			t.Errorf("models writes %s, which the catalog lacks", id)
		}
	}
}

func TestLoadAreaFiles(t *testing.T) {
	msg := func(id, text string) string { return id + ":\n  description: \"d\"\n  other: \"" + text + "\"\n" }
	all := func(files map[string]string) fstest.MapFS {
		fsys := fstest.MapFS{}
		for name, data := range files {
			fsys["locales/"+name] = &fstest.MapFile{Data: []byte(data)}
		}
		return fsys
	}
	each := func(area, data string) map[string]string {
		out := map[string]string{}
		for _, l := range models.Languages {
			out[area+"."+l+".yaml"] = data
		}
		return out
	}
	tests := []struct {
		name    string
		files   map[string]string
		wantErr string
	}{
		{"two areas", merge(each("card", msg("a.one", "One")), each("dm", msg("b.two", "Two"))), ""},
		{"an id in two areas", merge(each("card", msg("a.one", "One")), each("dm", msg("a.one", "Again"))), "is in both"},
		{"a language without files", map[string]string{"card.en.yaml": msg("a.one", "One")}, "no catalog for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := l10n.Load(all(tt.files))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load: %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Localize("et", "b.two", nil); got != "Two" {
				t.Errorf("b.two = %q, want the text from the dm area", got)
			}
		})
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
