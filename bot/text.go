package bot

import (
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// Text is what one person reads, written when it is delivered: the
// messenger knows the reader and writes it in their own language when the
// platform tells it, otherwise in Lang (their team's).
type Text struct {
	// Lang is the language when the reader's own is unknown.
	Lang  string
	write func(lang string) string
}

// In writes the text in lang.
func (t Text) In(lang string) string {
	if t.write == nil {
		return ""
	}
	return t.write(l10n.Lang(lang))
}

// String is the text in its fallback language.
func (t Text) String() string { return t.In(t.Lang) }

// Message is a catalog message with its parameters.
func Message(lang string, m models.Message) Text {
	return Text{Lang: lang, write: func(l string) string { return l10n.Render(l, m) }}
}

// Written is text made by write for the reader's language.
func Written(lang string, write func(lang string) string) Text {
	return Text{Lang: lang, write: write}
}

// Plain is text that reads the same to everyone: written elsewhere in its
// language already (a digest summary) or not words at all.
func Plain(s string) Text {
	return Text{Lang: models.LangEnglish, write: func(string) string { return s }}
}
