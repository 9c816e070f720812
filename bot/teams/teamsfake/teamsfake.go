// Package teamsfake is a fake Microsoft Bot Framework for tests: an OpenID
// metadata document and key set holding an RSA test key, a token endpoint,
// and a Bot Connector (the activities' serviceUrl) that checks its tokens,
// keeps the conversations it was sent, and records every call. It signs
// activities as the Bot Connector would, and ships the sample activities of
// shared/fixtures/teams.
package teamsfake

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

//go:embed fixtures/*.json
var fixtures embed.FS

// Sample ids of the fixtures.
const (
	AppID     = "7d1c6a52-1b2e-4f0a-9e3d-5c8b7a6f4e21"
	BotID     = "28:" + AppID
	TenantID  = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	TeamID    = "19:9a8b7c6d5e4f40312a1b0c9d8e7f6a5b@thread.tacv2" // also the General channel
	ChannelID = "19:c4f3d2e1b0a9487f8e7d6c5b4a392817@thread.tacv2"
	AliceID   = "29:1kXq3Exampl3UserIdOnlyValidForThisBot-aBcDeFgHiJkLmNoP"
	Password  = "test-secret"
	KeyID     = "fake-key-1"
)

// Member is a person in the fake team's roster.
type Member struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	AADObjectID string `json:"aadObjectId"`
	Email       string `json:"email"`
	UPN         string `json:"userPrincipalName"`
	TenantID    string `json:"tenantId"`
}

// Call is one recorded call to the Bot Connector.
type Call struct {
	Method       string
	Path         string // decoded, after the service URL, e.g. /v3/conversations/{id}/activities
	Conversation string // the decoded conversation id of the path, if any
	Activity     string // the decoded activity id of the path, if any
	Body         map[string]any
	Status       int
	// Answered is the id the fake answered with: of the activity sent, or
	// of the conversation created.
	Answered string
}

// Failure is an injected answer of the Bot Connector or the token endpoint.
type Failure struct {
	Status     int
	RetryAfter string
}

// Fake is the fake Bot Framework.
type Fake struct {
	Server *httptest.Server
	Key    *rsa.PrivateKey
	Now    func() time.Time

	keyFetches  atomic.Int64
	metaFetches atomic.Int64

	mu            sync.Mutex
	endorsements  []string
	calls         []Call
	tokens        map[string]bool
	tokenRequests int
	tokenFails    []Failure
	connFails     []Failure
	members       []Member
	channels      []map[string]string
	seq           int64
}

// New starts a fake whose clock is now (nil: time.Now).
func New(t testing.TB, now func() time.Time) *Fake {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if now == nil {
		now = time.Now
	}
	f := &Fake{Key: key, Now: now, endorsements: []string{"msteams"}, tokens: map[string]bool{}, seq: 1767781900000,
		channels: []map[string]string{{"id": TeamID}, {"id": ChannelID, "name": "Feedback"}}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Server.Close)
	return f
}

// MetadataURL is the OpenID metadata document's address.
func (f *Fake) MetadataURL() string { return f.Server.URL + "/v1/.well-known/openidconfiguration" }

// TokenURL is the token endpoint's address.
func (f *Fake) TokenURL() string { return f.Server.URL + "/botframework.com/oauth2/v2.0/token" }

// ServiceURL is the Bot Connector's address, as activities carry it.
func (f *Fake) ServiceURL() string { return f.Server.URL + "/emea/" }

// KeyFetches is how many times the key set was fetched.
func (f *Fake) KeyFetches() int64 { return f.keyFetches.Load() }

// SetEndorsements sets the channels the signing key is endorsed for.
func (f *Fake) SetEndorsements(e ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.endorsements = e
}

// SetMembers sets the team roster.
func (f *Fake) SetMembers(m ...Member) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range m {
		if m[i].TenantID == "" {
			m[i].TenantID = TenantID
		}
	}
	f.members = m
}

// FailToken makes the next token requests fail, one per Failure.
func (f *Fake) FailToken(fs ...Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenFails = append(f.tokenFails, fs...)
}

// FailConnector makes the next Bot Connector calls fail, one per Failure.
func (f *Fake) FailConnector(fs ...Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.connFails = append(f.connFails, fs...)
}

// TokenRequests is how many tokens were asked for.
func (f *Fake) TokenRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenRequests
}

// Calls returns the recorded Bot Connector calls.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Reset forgets the recorded calls.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// Claims are the claims of a valid Bot Connector token for an activity from
// the fake's service URL.
func (f *Fake) Claims() jwt.MapClaims {
	now := f.Now()
	return jwt.MapClaims{
		"iss": "https://api.botframework.com", "aud": AppID, "serviceurl": f.ServiceURL(),
		"nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(), "iat": now.Add(-time.Minute).Unix(),
	}
}

// Sign signs claims with the fake's key (RS256, kid KeyID).
func (f *Fake) Sign(claims jwt.MapClaims) string {
	return SignWith(jwt.SigningMethodRS256, f.Key, KeyID, claims)
}

// SignWith signs claims with any method and key, and kid when not empty.
func SignWith(m jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		panic(err)
	}
	return s
}

// Fixture returns a sample activity from shared/fixtures/teams with its
// serviceUrl pointing at the fake.
func (f *Fake) Fixture(name string) map[string]any {
	raw, err := fixtures.ReadFile("fixtures/" + name + ".json")
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(err)
	}
	if _, ok := m["serviceUrl"]; ok {
		m["serviceUrl"] = f.ServiceURL()
	}
	return m
}

// FixtureBytes returns a sample file as stored.
func FixtureBytes(name string) []byte {
	raw, err := fixtures.ReadFile("fixtures/" + name + ".json")
	if err != nil {
		panic(err)
	}
	return raw
}

// Request builds a signed POST /api/messages request for an activity.
func (f *Fake) Request(target string, activity map[string]any) *http.Request {
	return f.RequestWithToken(target, activity, f.Sign(f.Claims()))
}

// RequestWithToken builds a POST of an activity with a given bearer token
// ("" sends no Authorization header).
func (f *Fake) RequestWithToken(target string, activity map[string]any, token string) *http.Request {
	body, _ := json.Marshal(activity)
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/.well-known/openidconfiguration":
		f.metaFetches.Add(1)
		writeJSON(w, 200, map[string]any{"issuer": "https://api.botframework.com", "jwks_uri": f.Server.URL + "/v1/.well-known/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/.well-known/keys":
		f.keyFetches.Add(1)
		f.mu.Lock()
		e := append([]string(nil), f.endorsements...)
		f.mu.Unlock()
		pub := f.Key.PublicKey
		writeJSON(w, 200, map[string]any{"keys": []any{map[string]any{
			"kty": "RSA", "use": "sig", "kid": KeyID,
			"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()), "endorsements": e,
		}}})
	case r.Method == http.MethodPost && r.URL.Path == "/botframework.com/oauth2/v2.0/token":
		f.serveToken(w, r)
	case strings.HasPrefix(r.URL.Path, "/emea/v3/"):
		f.serveConnector(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *Fake) serveToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenRequests++
	if len(f.tokenFails) > 0 {
		fl := f.tokenFails[0]
		f.tokenFails = f.tokenFails[1:]
		if fl.RetryAfter != "" {
			w.Header().Set("Retry-After", fl.RetryAfter)
		}
		writeJSON(w, fl.Status, map[string]string{"error": "temporarily_unavailable", "error_description": "fake failure"})
		return
	}
	_ = r.ParseForm()
	if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != AppID ||
		r.PostForm.Get("client_secret") != Password || r.PostForm.Get("scope") != "https://api.botframework.com/.default" {
		writeJSON(w, 401, map[string]string{"error": "invalid_client"})
		return
	}
	tok := fmt.Sprintf("connector-token-%d", f.tokenRequests)
	f.tokens[tok] = true
	writeJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600, "access_token": tok})
}

func (f *Fake) serveConnector(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	raw := strings.TrimPrefix(r.URL.EscapedPath(), "/emea")
	segs := strings.Split(strings.Trim(raw, "/"), "/")
	for i := range segs {
		segs[i], _ = url.PathUnescape(segs[i])
	}
	call := Call{Method: r.Method, Path: "/" + strings.Join(segs, "/")}
	if len(segs) >= 3 && segs[1] == "conversations" {
		call.Conversation = segs[2]
	}
	if len(segs) >= 5 && segs[3] == "activities" {
		call.Activity = segs[4]
	}
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		_ = json.Unmarshal(b, &call.Body)
	}
	answer := func(code int, v any) {
		call.Status = code
		if m, ok := v.(map[string]string); ok {
			call.Answered = m["id"]
		}
		f.calls = append(f.calls, call)
		writeJSON(w, code, v)
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !f.tokens[tok] {
		answer(401, map[string]any{"error": map[string]string{"code": "Unauthorized", "message": "bad token"}})
		return
	}
	if len(f.connFails) > 0 {
		fl := f.connFails[0]
		f.connFails = f.connFails[1:]
		if fl.RetryAfter != "" {
			w.Header().Set("Retry-After", fl.RetryAfter)
		}
		answer(fl.Status, map[string]any{"error": map[string]string{"code": "Throttled", "message": "fake failure"}})
		return
	}
	f.seq++
	id := fmt.Sprint(f.seq)
	switch {
	case r.Method == http.MethodPost && len(segs) == 2 && segs[1] == "conversations":
		if g, _ := call.Body["isGroup"].(bool); g {
			cd, _ := call.Body["channelData"].(map[string]any)
			ch, _ := cd["channel"].(map[string]any)
			chID, _ := ch["id"].(string)
			if chID == "" {
				answer(400, map[string]any{"error": map[string]string{"code": "BadArgument", "message": "no channel"}})
				return
			}
			answer(201, map[string]string{"id": chID + ";messageid=" + id, "activityId": id})
			return
		}
		members, _ := call.Body["members"].([]any)
		if len(members) != 1 {
			answer(400, map[string]any{"error": map[string]string{"code": "BadArgument", "message": "one member"}})
			return
		}
		m, _ := members[0].(map[string]any)
		answer(201, map[string]string{"id": fmt.Sprintf("a:personal-%v", m["id"])})
	case r.Method == http.MethodPost && len(segs) == 4 && segs[3] == "activities":
		answer(201, map[string]string{"id": id})
	case r.Method == http.MethodPut && len(segs) == 5 && segs[3] == "activities":
		answer(200, map[string]string{"id": segs[4]})
	case r.Method == http.MethodGet && len(segs) == 5 && segs[3] == "members":
		for _, m := range f.members {
			if m.ID == segs[4] {
				answer(200, m)
				return
			}
		}
		answer(404, map[string]any{"error": map[string]string{"code": "MemberNotFoundInConversation", "message": "no such member"}})
	case r.Method == http.MethodGet && len(segs) == 4 && segs[3] == "pagedmembers":
		answer(200, map[string]any{"members": f.members})
	case r.Method == http.MethodGet && len(segs) == 4 && segs[1] == "teams" && segs[3] == "conversations":
		answer(200, map[string]any{"conversations": f.channels})
	default:
		answer(404, map[string]any{"error": map[string]string{"code": "NotFound", "message": call.Path}})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// CardOf returns the Adaptive Card of a recorded call's activity (the
// activity inside a created conversation, or the body itself).
func CardOf(c Call) map[string]any {
	act := c.Body
	if a, ok := c.Body["activity"].(map[string]any); ok {
		act = a
	}
	atts, _ := act["attachments"].([]any)
	for _, a := range atts {
		m, _ := a.(map[string]any)
		if m["contentType"] == "application/vnd.microsoft.card.adaptive" {
			card, _ := m["content"].(map[string]any)
			return card
		}
	}
	return nil
}

// TextOf returns the text of a recorded call's activity.
func TextOf(c Call) string {
	act := c.Body
	if a, ok := c.Body["activity"].(map[string]any); ok {
		act = a
	}
	s, _ := act["text"].(string)
	return s
}
