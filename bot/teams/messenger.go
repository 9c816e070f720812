// Package teams is the Microsoft Teams transport: a bot.Messenger over the
// Bot Connector REST API, the Adaptive Card rendering of case cards, the
// roster directory, and the validation of the tokens the Bot Connector
// sends. It builds on msbotbuilder-go's schema and adapter and replaces the
// library's unsafe parts (token validation, connector client).
package teams

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// Messenger posts to Teams. Channels are Teams channel ids from the
// configuration; the service URL, tenant and bot account come from the
// conversation reference stored when the bot was added to the team. A card's
// reference is "<thread conversation id>|<activity id>". Every error it
// returns is a *bot.DeliveryError. It is safe for concurrent use.
type Messenger struct {
	conn   *Connector
	store  Store
	dir    *Directory
	policy *models.Policy
	tenant string
}

var (
	_ bot.Messenger = (*Messenger)(nil)
	_ bot.CardDMer  = (*Messenger)(nil)
)

// MessengerOption configures a Messenger.
type MessengerOption func(*Messenger)

// WithTenant prefers references of this tenant when a channel was never seen
// (the tenant of a single-tenant bot).
func WithTenant(id string) MessengerOption { return func(m *Messenger) { m.tenant = id } }

// WithDirectory sets the roster directory (default: one on the same store
// and connector).
func WithDirectory(d *Directory) MessengerOption { return func(m *Messenger) { m.dir = d } }

// NewMessenger returns a Messenger. policy gives the card forms their
// choices (team members, root causes).
func NewMessenger(conn *Connector, store Store, policy *models.Policy, opts ...MessengerOption) *Messenger {
	m := &Messenger{conn: conn, store: store, policy: policy}
	for _, o := range opts {
		o(m)
	}
	if m.dir == nil {
		m.dir = NewDirectory(store, conn, nil)
	}
	return m
}

// Directory is the roster directory the Messenger resolves people with.
func (m *Messenger) Directory() *Directory { return m.dir }

// Conversations are the channels and chats the bot knows.
func (m *Messenger) Conversations() Conversations { return NewConversations(m.store) }

// Connector is the Bot Connector client.
func (m *Messenger) Connector() *Connector { return m.conn }

// ChannelCard is a case card as posted for everyone in its channel: the
// buttons some member may use, refreshed into each person's own view for
// the team's people Teams refreshes it for.
func (m *Messenger) ChannelCard(ctx context.Context, c bot.Card) map[string]any {
	c, o := m.prepare(ctx, c)
	o.Refresh, o.RefreshUsers = true, m.refreshUsers(ctx, c)
	return RenderCard(c.ForChannel(m.policy), o)
}

// ViewerCard is a case card as viewer (an email; "" for someone unknown)
// sees it: the buttons of their role, none outside the team. It stays
// refreshable, so that a later look shows the case as it is then.
func (m *Messenger) ViewerCard(ctx context.Context, c bot.Card, viewer string) map[string]any {
	c, o := m.prepare(ctx, c)
	o.Refresh, o.RefreshUsers = true, m.refreshUsers(ctx, c)
	return RenderCard(c.ForViewer(m.policy, viewer), o)
}

// PersonalCard is a case card for viewer's 1:1 chat with the bot: their
// buttons, and no refresh (only they see it, and it is updated in place).
func (m *Messenger) PersonalCard(ctx context.Context, c bot.Card, viewer string) map[string]any {
	c, o := m.prepare(ctx, c)
	return RenderCard(c.ForViewer(m.policy, viewer), o)
}

// prepare gives a card its forms' choices and names the people it shows
// (owner, assignees, who was told of a late follow-up) as the team's roster
// does, from the cache only: a card never waits on a roster fetch.
func (m *Messenger) prepare(ctx context.Context, c bot.Card) (bot.Card, RenderOptions) {
	o := m.RenderOptions(c)
	people := append(append([]string{c.Owner}, o.Assignees...), escalated(c)...)
	names := make(map[string]string, len(c.Names)+len(people))
	for k, v := range c.Names {
		names[k] = v
	}
	for _, e := range people {
		k := strings.ToLower(strings.TrimSpace(e))
		if k == "" || names[k] != "" {
			continue
		}
		if p, ok := m.dir.Known(ctx, k); ok && strings.TrimSpace(p.Name) != "" {
			names[k] = strings.TrimSpace(p.Name)
		}
	}
	c.Names = names
	return c, o
}

func escalated(c bot.Card) []string {
	var out []string
	for _, e := range c.Escalations {
		out = append(out, e.To...)
	}
	return out
}

// refreshUsers are the Teams ids of the case's team's people. Teams
// refreshes a card for at most MaxRefreshUsers of them, so a larger team
// lists its managers first (the channel card lacks their buttons), then the
// owner, then the members in the configuration's order; the others see the
// channel card, which has every button a member may use.
func (m *Messenger) refreshUsers(ctx context.Context, c bot.Card) []string {
	if m.policy == nil {
		return nil
	}
	t, ok := m.policy.Team(c.TeamID)
	if !ok {
		return nil
	}
	people := append(append(append([]string{}, t.Managers...), c.Owner), t.Members...)
	seen := map[string]bool{}
	var ids []string
	for _, e := range people {
		k := strings.ToLower(strings.TrimSpace(e))
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		if c.Owner != "" && strings.EqualFold(k, c.Owner) && !t.IsMember(k) && !t.IsManager(k) {
			continue // an owner who left the team is no longer one of its people
		}
		p, ok := m.dir.Known(ctx, k)
		if !ok {
			continue // not found in Teams yet: they see the channel card
		}
		if ids = append(ids, p.UserID); len(ids) == MaxRefreshUsers {
			break
		}
	}
	return ids
}

// RenderOptions are the choices of a card's forms.
func (m *Messenger) RenderOptions(c bot.Card) RenderOptions {
	o := RenderOptions{ThankMethods: models.ThankMethods, NoContactReasons: models.NoContactReasons}
	if m.policy == nil {
		return o
	}
	o.RootCauses = m.policy.RootCauses
	if t, ok := m.policy.Team(c.TeamID); ok {
		seen := map[string]bool{}
		for _, e := range append(append([]string{}, t.Members...), t.Managers...) {
			if k := strings.ToLower(e); !seen[k] {
				seen[k] = true
				o.Assignees = append(o.Assignees, e)
			}
		}
	}
	return o
}

// Reference finds how to reach a channel: its own stored reference, or
// that of another channel of the same tenant (a bot may post to any channel
// of a team it is in, through the tenant's service URL).
func (m *Messenger) Reference(ctx context.Context, channel string) (Conversation, error) {
	c, err := m.Conversations().Get(ctx, channel)
	if err == nil && c.Installed {
		return c, nil
	}
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return c, err
	}
	all, err := m.Conversations().Channels(ctx)
	if err != nil {
		return Conversation{}, err
	}
	for _, pass := range []bool{true, false} {
		for _, r := range all {
			if !pass || m.tenant == "" || r.TenantID == m.tenant {
				r.ID, r.ChannelName, r.TeamID, r.TeamName = channel, "", "", ""
				return r, nil
			}
		}
	}
	// Transient: the card waits in the outbox until someone adds the bot.
	return Conversation{}, &bot.DeliveryError{Class: bot.Transient,
		Err: fmt.Errorf("teams: channel %s is unknown: the bot has not been added to a team yet", channel)}
}

// PostCard starts a new thread in the channel with the card and returns
// "<thread conversation id>|<activity id>".
func (m *Messenger) PostCard(ctx context.Context, channel string, card bot.Card) (string, error) {
	act := Activity{Type: "message", Summary: FallbackText(card), Attachments: cardAttachments(m.ChannelCard(ctx, card))}
	return m.newThread(ctx, channel, act)
}

// PostText starts a new thread in the channel with the text, escaped.
func (m *Messenger) PostText(ctx context.Context, channel, text string) (string, error) {
	return m.newThread(ctx, channel, Activity{Type: "message", Text: MessageText(text), TextFormat: "markdown"})
}

func (m *Messenger) newThread(ctx context.Context, channel string, act Activity) (string, error) {
	ref, err := m.Reference(ctx, channel)
	if err != nil {
		return "", err
	}
	chData := map[string]any{"channel": map[string]any{"id": channel}, "teamsChannelId": channel}
	if ref.TenantID != "" {
		chData["tenant"] = map[string]any{"id": ref.TenantID}
	}
	if ref.TeamID != "" {
		chData["team"] = map[string]any{"id": ref.TeamID}
		chData["teamsTeamId"] = ref.TeamID
	}
	res, err := m.conn.CreateConversation(ctx, ref.ServiceURL, ConversationParams{
		IsGroup: true, Bot: Account{ID: m.botID(ref)}, TenantID: ref.TenantID, Activity: &act, ChannelData: chData,
	})
	if err != nil {
		return "", err
	}
	if res.ActivityID == "" {
		return "", &bot.DeliveryError{Class: bot.Permanent, Err: errors.New("teams: the new thread has no activity id")}
	}
	return res.ID + "|" + res.ActivityID, nil
}

// PostCardInThread posts the card as a reply to the message at thread (a
// roll-up) and returns "<thread conversation id>|<activity id>".
func (m *Messenger) PostCardInThread(ctx context.Context, channel, thread string, card bot.Card) (string, error) {
	conv, actID, err := splitRef(thread)
	if err != nil {
		return "", err
	}
	r, err := m.Reference(ctx, channel)
	if err != nil {
		return "", err
	}
	id, err := m.conn.SendToConversation(ctx, r.ServiceURL, conv,
		Activity{Type: "message", Summary: FallbackText(card), Attachments: cardAttachments(m.ChannelCard(ctx, card)), ReplyToID: actID})
	if err != nil {
		return "", err
	}
	return JoinRef(conv, id), nil
}

// UpdateText replaces, escaped, the text of the message at ref.
func (m *Messenger) UpdateText(ctx context.Context, channel, ref, text string) error {
	conv, actID, err := splitRef(ref)
	if err != nil {
		return err
	}
	r, err := m.Reference(ctx, channel)
	if err != nil {
		return err
	}
	return m.conn.UpdateActivity(ctx, r.ServiceURL, conv, actID, Activity{Type: "message", Text: MessageText(text), TextFormat: "markdown"})
}

// UpdateCard replaces the card at ref in place: a channel's, or the copy in
// a person's DM (channel models.DMCardChannel(email)), which shows that
// person's view in their language. The DM's heading is left off: it was the
// notice of the case as it stood then ("thank the customer by…"), which the
// refreshed card's own state line now replaces.
func (m *Messenger) UpdateCard(ctx context.Context, channel, ref string, card bot.Card) error {
	conv, actID, err := splitRef(ref)
	if err != nil {
		return err
	}
	if email, ok := strings.CutPrefix(channel, models.DMCardPrefix); ok {
		chat, err := m.Conversations().Get(ctx, conv)
		if errors.Is(err, models.ErrNotFound) {
			return bot.PermanentError(fmt.Errorf("teams: the chat of %s's card is unknown", email))
		}
		if err != nil {
			return err
		}
		card.Lang = m.ReaderLang(ctx, email, card.Lang)
		act := Activity{Type: "message", Summary: FallbackText(card), Attachments: cardAttachments(m.PersonalCard(ctx, card, email))}
		return m.conn.UpdateActivity(ctx, chat.ServiceURL, conv, actID, act)
	}
	r, err := m.Reference(ctx, channel)
	if err != nil {
		return err
	}
	act := Activity{Type: "message", Summary: FallbackText(card), Attachments: cardAttachments(m.ChannelCard(ctx, card))}
	return m.conn.UpdateActivity(ctx, r.ServiceURL, conv, actID, act)
}

// Reply adds text, escaped, to the card's thread.
func (m *Messenger) Reply(ctx context.Context, channel, ref, text string) error {
	conv, actID, err := splitRef(ref)
	if err != nil {
		return err
	}
	r, err := m.Reference(ctx, channel)
	if err != nil {
		return err
	}
	_, err = m.conn.SendToConversation(ctx, r.ServiceURL, conv,
		Activity{Type: "message", Text: MessageText(text), TextFormat: "markdown", ReplyToID: actID})
	return err
}

// DirectMessage writes to the person in their 1:1 chat with the bot,
// creating the chat the first time. With a card, the text heads the card
// (one message: Teams splits a text with a card into two).
func (m *Messenger) DirectMessage(ctx context.Context, email string, t bot.Text, card *bot.Card) error {
	_, _, err := m.directMessage(ctx, email, t, card)
	return err
}

// DirectMessageCard is DirectMessage with a card, returning the message's
// reference ("<chat id>|<activity id>") for UpdateCard.
func (m *Messenger) DirectMessageCard(ctx context.Context, email string, t bot.Text, card bot.Card) (string, error) {
	chat, id, err := m.directMessage(ctx, email, t, &card)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", nil // sent, but nothing to update later by
	}
	return JoinRef(chat, id), nil
}

func (m *Messenger) directMessage(ctx context.Context, email string, t bot.Text, card *bot.Card) (chat, id string, err error) {
	lang := m.ReaderLang(ctx, email, t.Lang)
	text := t.In(lang)
	act := Activity{Type: "message", Text: MessageText(text), TextFormat: "markdown"}
	if card != nil {
		c := *card
		c.Lang = lang
		act = Activity{Type: "message", Summary: clipRunes(text, 200), Attachments: cardAttachments(DMCard(text, m.PersonalCard(ctx, c, email)))}
	}
	return m.sendPersonal(ctx, email, act)
}

// DMCard is a rendered case card headed by the text of a direct message.
func DMCard(text string, card map[string]any) map[string]any {
	body, _ := card["body"].([]any)
	card["body"] = append([]any{element{"type": "TextBlock", "wrap": true, "weight": "Bolder", "text": EscapeMarkdown(text)}}, body...)
	return card
}

// ReaderLang is the language of a message to email: the locale Teams gave
// on the person's last activity when cxloop speaks it, else fallback.
func (m *Messenger) ReaderLang(ctx context.Context, email, fallback string) string {
	loc, err := m.dir.Locale(ctx, email)
	if err != nil {
		return l10n.Lang(fallback)
	}
	return models.SupportedLanguage(loc, l10n.Lang(fallback))
}

// SendPersonal sends an activity to the person's 1:1 chat with the bot and
// returns the activity id.
func (m *Messenger) SendPersonal(ctx context.Context, email string, act Activity) (string, error) {
	_, id, err := m.sendPersonal(ctx, email, act)
	return id, err
}

func (m *Messenger) sendPersonal(ctx context.Context, email string, act Activity) (chat, id string, err error) {
	p, err := m.dir.Person(ctx, email)
	if err != nil {
		return "", "", err
	}
	c, err := m.personalChat(ctx, p)
	if err != nil {
		return "", "", err
	}
	id, err = m.conn.SendToConversation(ctx, c.ServiceURL, c.ID, act)
	return c.ID, id, err
}

// personalChat finds or creates the bot's 1:1 chat with p.
func (m *Messenger) personalChat(ctx context.Context, p Person) (Conversation, error) {
	if c, err := m.Conversations().PersonalChat(ctx, p.UserID); err == nil {
		return c, nil
	}
	serviceURL, tenant, botID := p.ServiceURL, p.TenantID, m.conn.BotID()
	if serviceURL == "" || tenant == "" {
		ref, err := m.Reference(ctx, "")
		if err != nil {
			return Conversation{}, err
		}
		if serviceURL == "" {
			serviceURL = ref.ServiceURL
		}
		if tenant == "" {
			tenant = ref.TenantID
		}
		botID = m.botID(ref)
	}
	res, err := m.conn.CreateConversation(ctx, serviceURL, ConversationParams{
		Bot: Account{ID: botID}, Members: []Account{{ID: p.UserID}}, TenantID: tenant,
		ChannelData: map[string]any{"tenant": map[string]any{"id": tenant}},
	})
	if err != nil {
		return Conversation{}, err
	}
	c := Conversation{ID: res.ID, Kind: models.ConversationPersonal, TenantID: tenant, ServiceURL: serviceURL,
		BotID: botID, UserID: p.UserID, AADObjectID: p.AADObjectID, Installed: true}
	if err := m.Conversations().Save(ctx, c); err != nil {
		return Conversation{}, err
	}
	return c, nil
}

func (m *Messenger) botID(r Conversation) string {
	if r.BotID != "" {
		return r.BotID
	}
	return m.conn.BotID()
}

func cardAttachments(card map[string]any) []schema.Attachment {
	return []schema.Attachment{CardAttachment(card)}
}

// splitRef splits a card reference into the thread's conversation id and the
// card's activity id.
func splitRef(ref string) (conv, activity string, err error) {
	i := strings.LastIndexByte(ref, '|')
	if i <= 0 || i == len(ref)-1 {
		return "", "", bot.PermanentError(fmt.Errorf("teams: bad card reference %q", ref))
	}
	return ref[:i], ref[i+1:], nil
}

// JoinRef is the reference PostCard returns.
func JoinRef(conversationID, activityID string) string { return conversationID + "|" + activityID }
