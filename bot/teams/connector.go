package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/connector/client"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/cxloop/cxloop/bot"
)

// Bot Connector constants.
const (
	// Scope is the OAuth scope of tokens for the Bot Connector.
	Scope = "https://api.botframework.com/.default"
	// DefaultTimeout bounds every call to the token endpoint and the Bot
	// Connector; msbotbuilder-go's own clients have none.
	DefaultTimeout = 10 * time.Second
	// TokenRefreshMargin is how long before its expiry a token is replaced.
	TokenRefreshMargin = 5 * time.Minute
	// DefaultRetryAfter is the wait given to a 429 without Retry-After.
	DefaultRetryAfter = 5 * time.Second
	// MessagesPerSecond is Teams' limit on messages a bot sends into one
	// conversation (a channel thread, a chat) per second; the 30 s limit is
	// 60 and the hourly one 1,800. Pace outbound messages per conversation
	// below it.
	MessagesPerSecond = 7
)

// DefaultTokenURL is the token endpoint of a bot registered in tenant
// (single-tenant bots, the only kind Azure creates now); an empty tenant
// gives the multi-tenant endpoint.
func DefaultTokenURL(tenant string) string {
	if tenant == "" {
		tenant = "botframework.com"
	}
	return "https://login.microsoftonline.com/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
}

// TokenURL is the token endpoint the connector asks.
func (c *Connector) TokenURL() string { return c.cfg.TokenURL }

// ConnectorConfig configures a Connector.
type ConnectorConfig struct {
	AppID       string
	AppPassword string
	TokenURL    string       // default DefaultTokenURL(TenantID)
	TenantID    string       // used only for the default token URL
	HTTPClient  *http.Client // default: a client with Timeout
	Timeout     time.Duration
	Now         func() time.Time // default time.Now
}

// Connector calls the Bot Connector REST API (v3) with an app token. It is
// safe for concurrent use. Every error it returns from a call is a
// *bot.DeliveryError: 429 is RateLimited with the Retry-After asked for;
// 5xx, 408, 412, timeouts and broken connections are Transient, and so is a
// failing token endpoint (an operator fixes the secret, and the outbox keeps
// the messages until then); other 4xx are Permanent.
//
// It also implements msbotbuilder-go's client.Client, so the library's
// adapter never uses its own client (no timeouts, a panic on a failed token
// request); cxloop itself calls the typed methods, which take a context and
// return the created activity's id.
type Connector struct {
	cfg    ConnectorConfig
	client *http.Client
	now    func() time.Time

	tokMu   sync.Mutex // held while a token is fetched: one request at a time
	token   string
	expires time.Time
}

var _ client.Client = (*Connector)(nil)

// NewConnector returns a Connector.
func NewConnector(cfg ConnectorConfig) *Connector {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL(cfg.TenantID)
	}
	c := &Connector{cfg: cfg, client: cfg.HTTPClient, now: cfg.Now}
	if c.client == nil {
		c.client = &http.Client{Timeout: cfg.Timeout}
	} else if c.client.Timeout == 0 {
		cp := *c.client
		cp.Timeout = cfg.Timeout
		c.client = &cp
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// AppID is the bot's Microsoft app id.
func (c *Connector) AppID() string { return c.cfg.AppID }

// BotID is the bot's account id in Teams conversations ("28:<app id>").
func (c *Connector) BotID() string { return "28:" + c.cfg.AppID }

// Token returns a Bot Connector token, from the cache while it has more than
// TokenRefreshMargin left.
func (c *Connector) Token(ctx context.Context) (string, error) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.token != "" && c.now().Before(c.expires.Add(-TokenRefreshMargin)) {
		return c.token, nil
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.cfg.AppID},
		"client_secret": {c.cfg.AppPassword},
		"scope":         {Scope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", &bot.DeliveryError{Class: bot.Permanent, Err: fmt.Errorf("teams token: %w", err)}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return "", &bot.DeliveryError{Class: bot.Transient, Err: fmt.Errorf("teams token: %w", err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		class, after := bot.Transient, time.Duration(0)
		if resp.StatusCode == http.StatusTooManyRequests {
			class, after = bot.RateLimited, retryAfter(resp.Header, c.now())
		}
		// A 400/401 here is a wrong app id, secret or tenant: every message
		// would fail the same way, so they wait (Transient) for the operator
		// instead of being dropped.
		return "", &bot.DeliveryError{Class: class, RetryAfter: after,
			Err: fmt.Errorf("teams token: status %d: %s", resp.StatusCode, oauthError(body))}
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", &bot.DeliveryError{Class: bot.Transient, Err: errors.New("teams token: the response holds no access_token")}
	}
	if tr.ExpiresIn <= 0 {
		tr.ExpiresIn = 3600
	}
	c.token, c.expires = tr.AccessToken, c.now().Add(time.Duration(tr.ExpiresIn)*time.Second)
	return c.token, nil
}

// forgetToken drops the cached token after the connector refused it.
func (c *Connector) forgetToken(tok string) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// oauthError extracts the error code of a token endpoint's answer; the rest
// may echo request details and stays out of logs.
func oauthError(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	return "no error code"
}

// do sends one authorised call to the Bot Connector at serviceURL and decodes
// a JSON answer into out (when not nil).
func (c *Connector) do(ctx context.Context, method, serviceURL, path string, in, out any) error {
	base, err := url.Parse(serviceURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return &bot.DeliveryError{Class: bot.Permanent, Err: fmt.Errorf("teams: bad service url %q", serviceURL)}
	}
	target := strings.TrimRight(serviceURL, "/") + path
	what := method + " " + path
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &bot.DeliveryError{Class: bot.Permanent, Err: fmt.Errorf("teams %s: %w", what, err)}
		}
		body = bytes.NewReader(b)
	}
	tok, err := c.Token(ctx)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return &bot.DeliveryError{Class: bot.Permanent, Err: fmt.Errorf("teams %s: %w", what, err)}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return &bot.DeliveryError{Class: bot.Transient, Err: fmt.Errorf("teams %s: %w", what, err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return &bot.DeliveryError{Class: bot.Transient, Err: fmt.Errorf("teams %s: read answer: %w", what, err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if resp.StatusCode == http.StatusUnauthorized {
			c.forgetToken(tok)
		}
		return classifyStatus(resp.StatusCode, resp.Header, c.now(), fmt.Errorf("teams %s: status %d%s", what, resp.StatusCode, connectorError(raw)))
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return &bot.DeliveryError{Class: bot.Transient, Err: fmt.Errorf("teams %s: decode answer: %w", what, err)}
		}
	}
	return nil
}

// classifyStatus turns a non-2xx status of the Bot Connector into a class.
func classifyStatus(code int, h http.Header, now time.Time, err error) error {
	switch {
	case code == http.StatusTooManyRequests:
		return &bot.DeliveryError{Class: bot.RateLimited, RetryAfter: retryAfter(h, now), Err: err}
	case code == http.StatusUnauthorized:
		// The cached token was refused (revoked, or expired early): the next
		// attempt fetches a new one.
		return &bot.DeliveryError{Class: bot.Transient, Err: err}
	case code == http.StatusRequestTimeout, code == http.StatusPreconditionFailed, code >= 500:
		return &bot.DeliveryError{Class: bot.Transient, Err: err}
	}
	// 400 bad activity, 403 the bot is not in the conversation, 404 unknown
	// conversation or activity, 413 message too large: the same request
	// cannot succeed later.
	return &bot.DeliveryError{Class: bot.Permanent, Err: err}
}

// retryAfter reads Retry-After in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return DefaultRetryAfter
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return DefaultRetryAfter
}

// connectorError is the code and message of a Bot Connector error answer.
func connectorError(raw []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Error.Code == "" {
		return ""
	}
	msg := e.Error.Message
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return ": " + e.Error.Code + " " + msg
}

// pathID escapes an id for a URL path as Microsoft's SDKs do
// (encodeURIComponent): ':', '@' and ';' included.
func pathID(id string) string { return strings.ReplaceAll(url.QueryEscape(id), "+", "%20") }

// Account is a person or bot in a conversation.
type Account struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	AADObjectID string `json:"aadObjectId,omitempty"`
}

// Member is a person of a team's roster.
type Member struct {
	ID                string `json:"id"` // 29:…
	Name              string `json:"name"`
	AADObjectID       string `json:"aadObjectId"`
	Email             string `json:"email"`
	UserPrincipalName string `json:"userPrincipalName"`
	TenantID          string `json:"tenantId"`
}

// Activity is an outgoing activity. Unlike msbotbuilder-go's schema.Activity
// it sends no zero-valued structs (timestamps, relatesTo, …).
type Activity struct {
	Type             string              `json:"type"`
	Text             string              `json:"text,omitempty"`
	TextFormat       string              `json:"textFormat,omitempty"`
	Summary          string              `json:"summary,omitempty"`
	Attachments      []schema.Attachment `json:"attachments,omitempty"`
	AttachmentLayout string              `json:"attachmentLayout,omitempty"`
	ReplyToID        string              `json:"replyToId,omitempty"`
	From             *Account            `json:"from,omitempty"`
	Conversation     *Account            `json:"conversation,omitempty"`
	ChannelData      map[string]any      `json:"channelData,omitempty"`
}

// ConversationParams creates a conversation: a new thread in a channel
// (IsGroup with ChannelData.channel.id) or a 1:1 chat (one member).
type ConversationParams struct {
	IsGroup     bool           `json:"isGroup,omitempty"`
	Bot         Account        `json:"bot"`
	Members     []Account      `json:"members,omitempty"`
	TenantID    string         `json:"tenantId,omitempty"`
	Activity    *Activity      `json:"activity,omitempty"`
	ChannelData map[string]any `json:"channelData,omitempty"`
}

// ConversationResource is the answer to a created conversation.
type ConversationResource struct {
	ID         string `json:"id"`
	ActivityID string `json:"activityId"`
	ServiceURL string `json:"serviceUrl,omitempty"`
}

// CreateConversation starts a conversation: POST /v3/conversations.
func (c *Connector) CreateConversation(ctx context.Context, serviceURL string, p ConversationParams) (ConversationResource, error) {
	var res ConversationResource
	if err := c.do(ctx, http.MethodPost, serviceURL, "/v3/conversations", p, &res); err != nil {
		return res, err
	}
	if res.ID == "" {
		return res, &bot.DeliveryError{Class: bot.Transient, Err: errors.New("teams create conversation: no id in the answer")}
	}
	if res.ActivityID == "" {
		if _, msg, ok := strings.Cut(res.ID, ";messageid="); ok {
			res.ActivityID = msg
		}
	}
	return res, nil
}

// SendToConversation posts an activity to a conversation (a thread when the
// id carries ;messageid=) and returns the new activity's id.
func (c *Connector) SendToConversation(ctx context.Context, serviceURL, conversationID string, a Activity) (string, error) {
	var res struct {
		ID string `json:"id"`
	}
	err := c.do(ctx, http.MethodPost, serviceURL, "/v3/conversations/"+pathID(conversationID)+"/activities", a, &res)
	return res.ID, err
}

// UpdateActivity replaces an activity: PUT …/activities/{id}.
func (c *Connector) UpdateActivity(ctx context.Context, serviceURL, conversationID, activityID string, a Activity) error {
	return c.do(ctx, http.MethodPut, serviceURL,
		"/v3/conversations/"+pathID(conversationID)+"/activities/"+pathID(activityID), a, nil)
}

// Member fetches one member of a conversation (or team) by user id.
func (c *Connector) Member(ctx context.Context, serviceURL, conversationID, userID string) (Member, error) {
	var m Member
	err := c.do(ctx, http.MethodGet, serviceURL, "/v3/conversations/"+pathID(conversationID)+"/members/"+pathID(userID), nil, &m)
	return m, err
}

// Members fetches a team's (or conversation's) whole roster, page by page
// (GET …/pagedmembers: the unpaged call is throttled to 5 a minute).
func (c *Connector) Members(ctx context.Context, serviceURL, conversationID string) ([]Member, error) {
	var all []Member
	token := ""
	for page := 0; page < 100; page++ {
		q := url.Values{"pageSize": {"500"}}
		if token != "" {
			q.Set("continuationToken", token)
		}
		var res struct {
			ContinuationToken string   `json:"continuationToken"`
			Members           []Member `json:"members"`
		}
		if err := c.do(ctx, http.MethodGet, serviceURL, "/v3/conversations/"+pathID(conversationID)+"/pagedmembers?"+q.Encode(), nil, &res); err != nil {
			return nil, err
		}
		all = append(all, res.Members...)
		if token = res.ContinuationToken; token == "" {
			break
		}
	}
	return all, nil
}

// Channel is one channel of a team.
type Channel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TeamChannels lists a team's channels: GET /v3/teams/{id}/conversations.
// The General channel comes back without a name.
func (c *Connector) TeamChannels(ctx context.Context, serviceURL, teamID string) ([]Channel, error) {
	var res struct {
		Conversations []Channel `json:"conversations"`
	}
	err := c.do(ctx, http.MethodGet, serviceURL, "/v3/teams/"+pathID(teamID)+"/conversations", nil, &res)
	return res.Conversations, err
}

// Post implements client.Client for msbotbuilder-go's adapter.
func (c *Connector) Post(u url.URL, a schema.Activity) error {
	return c.libCall(http.MethodPost, u, a)
}

// Put implements client.Client for msbotbuilder-go's adapter.
func (c *Connector) Put(u url.URL, a schema.Activity) error { return c.libCall(http.MethodPut, u, a) }

// Delete implements client.Client for msbotbuilder-go's adapter.
func (c *Connector) Delete(u url.URL, a schema.Activity) error {
	return c.libCall(http.MethodDelete, u, a)
}

func (c *Connector) libCall(method string, u url.URL, a schema.Activity) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	var in any
	if method != http.MethodDelete {
		in = outgoing(a)
	}
	service := u.Scheme + "://" + u.Host
	return c.do(ctx, method, service, u.EscapedPath(), in, nil)
}

// outgoing keeps what an outgoing library activity means, without its zero
// values.
func outgoing(a schema.Activity) Activity {
	out := Activity{Type: string(a.Type), Text: a.Text, TextFormat: string(a.TextFormat), Attachments: a.Attachments,
		ReplyToID: a.ReplyToID, ChannelData: a.ChannelData}
	if out.Type == "" {
		out.Type = "message"
	}
	return out
}
