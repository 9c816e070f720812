// Package slack is the Slack transport: a bot.Messenger over the Slack Web
// API (slack-go), the Block Kit rendering of case cards, the escaping that
// keeps customer text inert, and the v0 signature check for requests Slack
// sends to the bot.
package slack

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// DefaultTimeout bounds every Web API call. slack-go's own client has no
// timeout, and a hung call would hold a delivery worker forever.
const DefaultTimeout = 10 * time.Second

// CardLocator tells where a case's card was posted in Slack, so that a DM
// about the case can link to it.
type CardLocator interface {
	// CardMessage returns the channel and message ts of the case's card; ok
	// is false when the card was not posted to Slack.
	CardMessage(ctx context.Context, caseID int64) (channel, ts string, ok bool, err error)
}

// CardLocatorFunc adapts a function to CardLocator.
type CardLocatorFunc func(ctx context.Context, caseID int64) (channel, ts string, ok bool, err error)

// CardMessage calls f.
func (f CardLocatorFunc) CardMessage(ctx context.Context, caseID int64) (string, string, bool, error) {
	return f(ctx, caseID)
}

// Option configures a Messenger.
type Option func(*options)

type options struct {
	timeout time.Duration
	client  *http.Client
	locator CardLocator
}

// WithTimeout sets the timeout of each Web API call (default DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithHTTPClient makes the Messenger use a copy of c (for a proxy or custom
// transport). A client without a timeout gets the configured one.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithCardLocator lets DirectMessage link to the case's card.
func WithCardLocator(l CardLocator) Option { return func(o *options) { o.locator = l } }

// Messenger posts to Slack. It is safe for concurrent use. Every error it
// returns is a *bot.DeliveryError.
type Messenger struct {
	api     *slackgo.Client
	dir     Directory
	locator CardLocator
}

var _ bot.Messenger = (*Messenger)(nil)

// New returns a Messenger for the bot token. apiURL is the Web API base
// ending in "/" (empty: Slack's own). dir resolves emails to user ids; nil
// uses a LookupDirectory on the same client.
func New(token, apiURL string, dir Directory, opts ...Option) *Messenger {
	o := buildOptions(opts)
	api := newClient(token, apiURL, o)
	if dir == nil {
		dir = NewLookupDirectory(api, 0)
	}
	return &Messenger{api: api, dir: dir, locator: o.locator}
}

// NewClient returns a slack-go client configured as New configures the
// Messenger's (API URL, HTTP client, per-call timeout), for the parts of
// the app that call Slack outside the Messenger: the directory, views and
// ephemeral answers. Extra slack-go options (an app-level token for Socket
// Mode) go last.
func NewClient(token, apiURL string, opts []Option, extra ...slackgo.Option) *slackgo.Client {
	return newClient(token, apiURL, buildOptions(opts), extra...)
}

func buildOptions(opts []Option) options {
	o := options{timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

func newClient(token, apiURL string, o options, extra ...slackgo.Option) *slackgo.Client {
	sopts := []slackgo.Option{slackgo.OptionHTTPClient(o.httpClient())}
	if apiURL != "" {
		sopts = append(sopts, slackgo.OptionAPIURL(apiURL))
	}
	// Retries stay off (slack-go's default): the outbox worker retries with
	// its own backoff, and two retry loops would multiply the waits.
	return slackgo.New(token, append(sopts, extra...)...)
}

// httpClient is the client every call uses: the configured one (copied) or
// a plain one, always with a timeout.
func (o options) httpClient() *http.Client {
	if o.client != nil {
		c := *o.client
		if c.Timeout == 0 {
			c.Timeout = o.timeout
		}
		return &c
	}
	return &http.Client{Timeout: o.timeout}
}

// API is the underlying slack-go client, for calls the Messenger does not
// wrap (views.open, chat.postEphemeral, …). It shares the Messenger's
// timeout and API URL.
func (m *Messenger) API() *slackgo.Client { return m.api }

// Directory is the directory the Messenger resolves people with.
func (m *Messenger) Directory() Directory { return m.dir }

// PostCard posts the card and returns the message ts.
func (m *Messenger) PostCard(ctx context.Context, channel string, card bot.Card) (string, error) {
	blocks := RenderCardWith(card, m.renderOptions(ctx, card))
	_, ts, err := m.api.PostMessageContext(ctx, channel, cardMessage(blocks, FallbackText(card))...)
	if err != nil {
		return "", fail("chat.postMessage", err)
	}
	return ts, nil
}

// UpdateCard replaces the card posted at ref (its ts) in channel.
func (m *Messenger) UpdateCard(ctx context.Context, channel, ref string, card bot.Card) error {
	blocks := RenderCardWith(card, m.renderOptions(ctx, card))
	if _, _, _, err := m.api.UpdateMessageContext(ctx, channel, ref, cardMessage(blocks, FallbackText(card))...); err != nil {
		return fail("chat.update", err)
	}
	return nil
}

// Reply posts text, escaped, in the thread of the message at ref.
func (m *Messenger) Reply(ctx context.Context, channel, ref, text string) error {
	opts := append(textMessage(Escape(text)), slackgo.MsgOptionTS(ref))
	if _, _, err := m.api.PostMessageContext(ctx, channel, opts...); err != nil {
		return fail("chat.postMessage", err)
	}
	return nil
}

// PostText posts text, escaped, to the channel and returns the message ts.
// The text is platform-neutral and may quote customers, so nothing in it is
// interpreted as a mention or link.
func (m *Messenger) PostText(ctx context.Context, channel, text string) (string, error) {
	_, ts, err := m.api.PostMessageContext(ctx, channel, textMessage(Escape(text))...)
	if err != nil {
		return "", fail("chat.postMessage", err)
	}
	return ts, nil
}

// DirectMessage writes text, escaped, to the person with that email in
// their DM with the bot. With a card it adds a summary of the case and, when
// a CardLocator knows where the card is, a link to it.
func (m *Messenger) DirectMessage(ctx context.Context, email string, t bot.Text, card *bot.Card) error {
	user, err := m.dir.UserID(ctx, email)
	if err != nil {
		return Classify(err)
	}
	lang := m.ReaderLang(ctx, email, t.Lang)
	text := t.In(lang)
	if card != nil {
		c := *card
		c.Lang = lang
		card = &c
	}
	ch, _, _, err := m.api.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil {
		return fail("conversations.open", err)
	}
	if ch == nil || ch.ID == "" {
		return Classify(errors.New("slack conversations.open: no channel in the response"))
	}
	body := Escape(text)
	if card != nil {
		body += "\n" + Summary(*card)
		if link := m.permalink(ctx, card.CaseID); link != "" {
			body += "\n<" + link + "|" + Escape(card.T("dm.open_card")) + ">"
		}
	}
	if _, _, err := m.api.PostMessageContext(ctx, ch.ID, textMessage(body)...); err != nil {
		return fail("chat.postMessage", err)
	}
	return nil
}

// LocaleDirectory is a Directory that also knows people's Slack locale
// ("pl-PL"), as users.info with include_locale tells it.
type LocaleDirectory interface {
	Locale(ctx context.Context, email string) (string, error)
}

// ReaderLang is the language a message to email is written in: the
// person's Slack locale when cxloop speaks it, else fallback. A failed
// lookup falls back too: the message matters more than its language.
func (m *Messenger) ReaderLang(ctx context.Context, email, fallback string) string {
	ld, ok := m.dir.(LocaleDirectory)
	if !ok {
		return l10n.Lang(fallback)
	}
	loc, err := ld.Locale(ctx, email)
	if err != nil {
		return l10n.Lang(fallback)
	}
	return models.SupportedLanguage(loc, l10n.Lang(fallback))
}

// DirectList writes one DM: the intro, then one line per item, each with a
// link to its case card where the card is known.
func (m *Messenger) DirectList(ctx context.Context, email, intro string, items []bot.ListItem) error {
	user, err := m.dir.UserID(ctx, email)
	if err != nil {
		return Classify(err)
	}
	ch, _, _, err := m.api.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil {
		return fail("conversations.open", err)
	}
	if ch == nil || ch.ID == "" {
		return Classify(errors.New("slack conversations.open: no channel in the response"))
	}
	var b strings.Builder
	b.WriteString(Escape(intro))
	for _, it := range items {
		b.WriteString("\n• " + Escape(it.Text))
		if link := m.permalink(ctx, it.CaseID); link != "" {
			b.WriteString(" <" + link + "|→ #" + strconv.FormatInt(it.CaseID, 10) + ">")
		}
	}
	if _, _, err := m.api.PostMessageContext(ctx, ch.ID, textMessage(b.String())...); err != nil {
		return fail("chat.postMessage", err)
	}
	return nil
}

// permalink returns the card's link, or "" when it is unknown. A DM without
// the link still tells the person what they need, so failures are dropped
// rather than failing the DM.
func (m *Messenger) permalink(ctx context.Context, caseID int64) string {
	if m.locator == nil {
		return ""
	}
	channel, ts, ok, err := m.locator.CardMessage(ctx, caseID)
	if err != nil || !ok {
		return ""
	}
	link, err := m.api.GetPermalinkContext(ctx, &slackgo.PermalinkParameters{Channel: channel, Ts: ts})
	// The link goes inside <…|…>: accept only a plain https URL.
	if err != nil || !strings.HasPrefix(link, "https://") || strings.ContainsAny(link, "<>| \n") {
		return ""
	}
	return link
}

// CardBlocks renders the card as PostCard would, with the owner mentioned
// when the directory knows them: for cards shown in replies and views.
func (m *Messenger) CardBlocks(ctx context.Context, card bot.Card) []slackgo.Block {
	return RenderCardWith(card, m.renderOptions(ctx, card))
}

// renderOptions resolves the card's owner for a mention. A failed lookup
// shows the email instead: the card matters more than the mention.
func (m *Messenger) renderOptions(ctx context.Context, card bot.Card) RenderOptions {
	var o RenderOptions
	if card.Owner != "" && m.dir != nil {
		if id, err := m.dir.UserID(ctx, card.Owner); err == nil {
			o.OwnerID = id
		}
	}
	return o
}

// cardMessage is the options of a card post or update.
func cardMessage(blocks []slackgo.Block, fallback string) []slackgo.MsgOption {
	return []slackgo.MsgOption{
		slackgo.MsgOptionBlocks(blocks...),
		slackgo.MsgOptionText(fallback, false),
		slackgo.MsgOptionDisableLinkUnfurl(),
		slackgo.MsgOptionDisableMediaUnfurl(),
	}
}

// textMessage is the options of a text message. Text is already escaped,
// and link_names/parse are never set, so Slack interprets only the <…>
// tokens this package writes. Unfurling stays off so that a customer's URL
// does not pull a preview of someone else's page into the channel.
func textMessage(escaped string) []slackgo.MsgOption {
	return []slackgo.MsgOption{
		slackgo.MsgOptionText(escaped, false),
		slackgo.MsgOptionDisableLinkUnfurl(),
		slackgo.MsgOptionDisableMediaUnfurl(),
	}
}

// BotScopes are the OAuth scopes of the bot token, exactly those the calls
// of this package and cxloop's Slack handlers need; the app manifest
// requests them. (chat.getPermalink, views.open and views.publish need no
// scope.)
var BotScopes = []string{
	"chat:write",       // chat.postMessage, chat.update, chat.postEphemeral
	"commands",         // the /cx slash command
	"files:write",      // files.getUploadURLExternal, files.completeUploadExternal: the digest's chart and report (PostDigest)
	"im:write",         // conversations.open for DMs
	"users:read",       // users.info: who pressed a button or ran /cx
	"users:read.email", // users.lookupByEmail, and the email in users.info
}
