package models

import (
	"strings"

	"golang.org/x/text/language"
)

// The languages cxloop speaks. A response may carry any ISO 639-1 code; the
// people and messages cxloop writes to use one of these.
const (
	LangEnglish  = "en"
	LangEstonian = "et"
	LangPolish   = "pl"
	LangRussian  = "ru"
)

// Languages lists the languages cxloop speaks, English first.
var Languages = []string{LangEnglish, LangEstonian, LangPolish, LangRussian}

// IsSupportedLanguage reports whether lang is one of Languages.
func IsSupportedLanguage(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// NormalizeLanguage turns a language tag as platforms and survey tools send
// it ("et", "ET", "pl-PL", "ru_RU", "EN-GB") into its ISO 639-1 code. ok is
// false when s is not a tag of that form.
func NormalizeLanguage(s string) (code string, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	if len(s) != 2 || s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z' {
		return "", false
	}
	return s, true
}

// SupportedLanguage is the locale's language when cxloop speaks it, else
// fallback: Slack's "pl-PL" reads Polish, "de-DE" the fallback.
func SupportedLanguage(locale, fallback string) string {
	if l, ok := NormalizeLanguage(locale); ok && IsSupportedLanguage(l) {
		return l
	}
	return fallback
}

// IsLanguageCode reports whether s is a tag NormalizeLanguage reads whose
// language is a registered ISO 639-1 code: "et" and "pl-PL" are, "xx" is
// not.
func IsLanguageCode(s string) bool {
	code, ok := NormalizeLanguage(s)
	if !ok {
		return false
	}
	_, err := language.ParseBase(code)
	return err == nil
}
