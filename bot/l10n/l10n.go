// Package l10n holds the message catalogs cxloop speaks (English, Estonian,
// Polish and Russian) and formats dates and numbers per language. Every
// sentence a person reads is looked up here by an id that says where it
// appears ("card.button.take"); the catalogs are embedded in the binary.
//
// The catalogs are read-only data compiled into the program, so they are
// loaded once and shared: T, N and Render may be called from any goroutine.
package l10n

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"

	"github.com/cxloop/cxloop/models"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

// Catalog is the messages of every language.
type Catalog struct {
	bundle *i18n.Bundle
	locs   map[string]*i18n.Localizer
	// Messages holds each language's messages by id, as written.
	Messages map[string]map[string]*i18n.Message
}

// std is the embedded catalog; Load fails only on a defect in the files,
// which the package's tests catch.
var std = mustLoad()

func mustLoad() *Catalog {
	c, err := Load(localeFiles)
	if err != nil {
		panic("l10n: embedded catalogs: " + err.Error())
	}
	return c
}

// Default is the catalog embedded in the binary.
func Default() *Catalog { return std }

// Load reads every locales/AREA.LANG.yaml for each language cxloop speaks.
// The catalog is split by area (card, digest, email, …) so that each file
// stays short; an id defined in two files is an error.
func Load(fsys fs.FS) (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	c := &Catalog{bundle: b, locs: map[string]*i18n.Localizer{}, Messages: map[string]map[string]*i18n.Message{}}
	for _, lang := range models.Languages {
		names, err := fs.Glob(fsys, path.Join("locales", "*."+lang+".yaml"))
		if err != nil {
			return nil, fmt.Errorf("list %s catalogs: %w", lang, err)
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("no catalog for %s in locales/", lang)
		}
		msgs := map[string]*i18n.Message{}
		from := map[string]string{}
		for _, name := range names {
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			mf, err := b.ParseMessageFileBytes(data, name)
			if err != nil {
				return nil, fmt.Errorf("parse %s: %w", name, err)
			}
			for _, m := range mf.Messages {
				if prev, dup := from[m.ID]; dup {
					return nil, fmt.Errorf("message %q is in both %s and %s", m.ID, prev, name)
				}
				from[m.ID] = name
				msgs[m.ID] = m
			}
		}
		c.Messages[lang] = msgs
		c.locs[lang] = i18n.NewLocalizer(b, lang)
	}
	return c, nil
}

// Lang is lang when cxloop speaks it, else English.
func Lang(lang string) string {
	return models.SupportedLanguage(lang, models.LangEnglish)
}

// T is the message id in lang, its template filled from key, value pairs:
// T("et", "card.header", "CaseID", 12).
func T(lang, id string, kv ...any) string { return std.Localize(lang, id, nil, kv...) }

// N is the plural message id for count in lang; the template sees the
// count, formatted for the language, as .Count.
func N(lang, id string, count int, kv ...any) string {
	return std.Localize(lang, id, &count, append(kv, "Count", Number(lang, count))...)
}

// Localize looks id up in lang, falling back to English and then to the id
// itself, so a missing text shows where it belongs instead of nothing.
func (c *Catalog) Localize(lang, id string, count *int, kv ...any) string {
	lang = Lang(lang)
	data := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			data[k] = kv[i+1]
		}
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if count != nil {
		cfg.PluralCount = *count
	}
	for _, l := range []string{lang, models.LangEnglish} {
		if _, ok := c.Messages[l][id]; !ok {
			continue
		}
		s, err := c.locs[l].Localize(cfg)
		if err == nil {
			return s
		}
		var nf *i18n.MessageNotFoundErr
		if !errors.As(err, &nf) {
			return id
		}
	}
	return id
}

// IDs lists the message ids of lang, sorted.
func (c *Catalog) IDs(lang string) []string {
	ids := make([]string, 0, len(c.Messages[lang]))
	for id := range c.Messages[lang] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Forms returns the texts of a message: its plural forms in CLDR order,
// or just "other".
func Forms(m *i18n.Message) map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other} {
		if strings.TrimSpace(v) != "" {
			out[k] = v
		}
	}
	return out
}
