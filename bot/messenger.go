// Package bot is chat out and in: one Messenger interface that every
// platform implements, and the platform-neutral case card they render.
package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cxloop/cxloop/models"
)

// Messenger delivers messages to one chat platform. Channels and message
// references are the platform's own ids; people are named by email and the
// platform resolves them.
type Messenger interface {
	// PostCard posts a case card to a channel and returns the message's reference.
	PostCard(ctx context.Context, channel string, card Card) (ref string, err error)
	// UpdateCard replaces a posted card in place.
	UpdateCard(ctx context.Context, channel, ref string, card Card) error
	// Reply adds a line to the card's thread.
	Reply(ctx context.Context, channel, ref, text string) error
	// PostText posts a plain message to a channel (kudos, announcements).
	PostText(ctx context.Context, channel, text string) (ref string, err error)
	// DirectMessage writes to a person in their own language when the
	// platform knows it, else in text.Lang; card, when set, is the case
	// concerned and is shown in the same language.
	DirectMessage(ctx context.Context, email string, text Text, card *Card) error
}

// ErrorClass says what the delivery worker should do after a failure.
type ErrorClass int

const (
	// Transient failures (5xx, timeouts, broken connections) are retried with backoff.
	Transient ErrorClass = iota
	// RateLimited failures wait the platform's Retry-After.
	RateLimited
	// Permanent failures (unknown channel, revoked token) are not retried.
	Permanent
)

func (c ErrorClass) String() string {
	switch c {
	case RateLimited:
		return "rate_limited"
	case Permanent:
		return "permanent"
	}
	return "transient"
}

// DeliveryError is a failed platform call with its class.
type DeliveryError struct {
	Class      ErrorClass
	RetryAfter time.Duration
	Err        error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("%s: %v", e.Class, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// ClassOf returns the class of a delivery error; unknown errors are transient,
// because retrying a message is safer than dropping it.
func ClassOf(err error) (ErrorClass, time.Duration) {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Class, de.RetryAfter
	}
	return Transient, 0
}

// PermanentError marks err as not worth retrying.
func PermanentError(err error) error { return &DeliveryError{Class: Permanent, Err: err} }

// ReaderLanguage is a Messenger that knows the language a person reads:
// their platform locale when cxloop speaks it, else fallback.
type ReaderLanguage interface {
	ReaderLang(ctx context.Context, email, fallback string) string
}

// ReaderLang is the language of a message to email through m.
func ReaderLang(ctx context.Context, m Messenger, email, fallback string) string {
	if r, ok := m.(ReaderLanguage); ok {
		return r.ReaderLang(ctx, email, fallback)
	}
	return models.SupportedLanguage(fallback, models.LangEnglish)
}

// ListItem is one line of a DM that lists cases.
type ListItem struct {
	CaseID int64
	Text   string // plain text; the platform escapes it
}

// Lister is a Messenger that can send one DM listing cases, each line
// linking to its case card. The delivery worker falls back to a plain
// DirectMessage on platforms without it.
type Lister interface {
	DirectList(ctx context.Context, email, intro string, items []ListItem) error
}

// CardDMer is a Messenger whose direct messages with a card can be updated
// in place, as channel cards are: DirectMessageCard returns the message's
// reference, which UpdateCard takes with models.DMCardChannel(email) as the
// channel.
type CardDMer interface {
	DirectMessageCard(ctx context.Context, email string, text Text, card Card) (ref string, err error)
}

// Threader is a Messenger that can post a card in the thread of another
// message (a roll-up) and rewrite a text message in place. Without it,
// cards of a roll-up are posted to the channel and roll-ups stay as posted.
type Threader interface {
	// PostCardInThread posts the card as a reply to the message at thread
	// and returns the card's own reference.
	PostCardInThread(ctx context.Context, channel, thread string, card Card) (ref string, err error)
	// UpdateText replaces the text of a message PostText posted.
	UpdateText(ctx context.Context, channel, ref, text string) error
}
