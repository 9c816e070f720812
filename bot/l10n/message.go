package l10n

import (
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
	for k, t := range m.Times {
		kv = append(kv, k, DateTime(lang, t.In(loc)))
	}
	if m.Count != nil {
		return N(lang, m.ID, *m.Count, kv...)
	}
	return T(lang, m.ID, kv...)
}
