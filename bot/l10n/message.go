package l10n

import (
	"strings"
	"time"

	"github.com/cxloop/cxloop/models"
)

// Render writes a domain message in lang: its arguments as given, its
// times as DateTime in the message's zone (UTC when it names none or an
// unknown one), its count choosing the plural form.
func Render(lang string, m models.Message) string {
	kv := make([]any, 0, 2*(len(m.Args)+len(m.Times)))
	for k, v := range m.Args {
		kv = append(kv, k, v)
	}
	loc := time.UTC
	if m.Zone != "" {
		if l, err := time.LoadLocation(m.Zone); err == nil {
			loc = l
		}
	}
	for k, id := range m.Terms {
		text := T(lang, id)
		if text == id { // not in the catalog: the value as the domain has it
			_, text, _ = strings.Cut(id, ".")
		}
		kv = append(kv, k, text)
	}
	for k, t := range m.Times {
		kv = append(kv, k, DateTime(lang, t.In(loc)))
	}
	for k, t := range m.Dates {
		kv = append(kv, k, Date(lang, t.In(loc)))
	}
	for k, d := range m.Spans {
		kv = append(kv, k, Span(lang, d))
	}
	var text string
	if m.Count != nil {
		text = N(lang, m.ID, *m.Count, kv...)
	} else {
		text = T(lang, m.ID, kv...)
	}
	for _, line := range m.Lines {
		text += "\n" + Render(lang, line)
	}
	return text
}
