// Package slackfake is a fake Slack Web API for tests: an httptest server
// that answers the methods cxloop uses, records every call, and fails on
// demand (rate limits, server errors, Slack errors, hangs, dropped
// connections).
//
// Point a slack-go client at it with slack.OptionAPIURL(s.URL()).
package slackfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one request the server received.
type Call struct {
	// Method is the Web API method, e.g. "chat.postMessage".
	Method string
	// Params holds the form or query fields; for a JSON body, its top-level
	// fields (strings as they are, other values as JSON text). The token
	// field is removed.
	Params url.Values
	// Body is the request body when it was JSON.
	Body json.RawMessage
	// Blocks is the "blocks" parameter as JSON, when there was one.
	Blocks json.RawMessage
	// At is when the call arrived.
	At time.Time
	// Failure describes the injected failure the call met, "" for none.
	Failure string
}

// BlockTexts returns every "text" string in the call's blocks, decoded
// (block by block; within an object, by key name): what Slack would render,
// for assertions that must not depend on JSON escaping.
func (c Call) BlockTexts() []string {
	var v any
	if len(c.Blocks) == 0 || json.Unmarshal(c.Blocks, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s, ok := v[k].(string); ok && k == "text" {
					out = append(out, s)
				} else {
					walk(v[k])
				}
			}
		}
	}
	walk(v)
	return out
}

// Message is a message as the fake holds it after posts and updates.
type Message struct {
	Channel, TS, ThreadTS, Text string
	Blocks                      json.RawMessage
	// Updates counts the chat.update calls the message received.
	Updates int
}

// Failure is a way for a call to fail; see FailNext.
type Failure struct {
	kind       failureKind
	status     int
	retryAfter int
	code       string
	wait       time.Duration
}

type failureKind int

const (
	failStatus failureKind = iota + 1
	failAPI
	failHang
	failDrop
)

// RateLimited answers HTTP 429 {"ok":false,"error":"ratelimited"} with
// Retry-After set to retryAfter seconds; a negative value sends no
// Retry-After header.
func RateLimited(retryAfter int) Failure {
	return Failure{kind: failStatus, status: http.StatusTooManyRequests, retryAfter: retryAfter}
}

// ServerError answers HTTP 500 with an HTML body, as Slack's edge does.
func ServerError() Failure { return HTTPStatus(http.StatusInternalServerError) }

// HTTPStatus answers the given HTTP status with an HTML body.
func HTTPStatus(code int) Failure { return Failure{kind: failStatus, status: code, retryAfter: -1} }

// APIError answers HTTP 200 {"ok":false,"error":code}, e.g. "channel_not_found".
func APIError(code string) Failure { return Failure{kind: failAPI, code: code} }

// Hang holds the request for d and then answers normally; d <= 0 holds it
// until the client gives up (the request's context ends) or the server
// closes.
func Hang(d time.Duration) Failure { return Failure{kind: failHang, wait: d} }

// Drop closes the connection without answering.
func Drop() Failure { return Failure{kind: failDrop} }

// String describes the failure, as recorded in Call.Failure.
func (f Failure) String() string {
	switch f.kind {
	case failStatus:
		if f.status == http.StatusTooManyRequests && f.retryAfter >= 0 {
			return fmt.Sprintf("http %d retry-after %d", f.status, f.retryAfter)
		}
		return fmt.Sprintf("http %d", f.status)
	case failAPI:
		return "error " + f.code
	case failHang:
		if f.wait > 0 {
			return "hang " + f.wait.String()
		}
		return "hang"
	case failDrop:
		return "drop"
	}
	return ""
}

// Server is a fake Slack Web API. It is safe for concurrent use.
type Server struct {
	srv     *httptest.Server
	token   string
	closing chan struct{} // closed by Close, releases hanging requests
	once    sync.Once

	mu       sync.Mutex
	seq      int64
	base     int64 // seconds part of the first ts
	calls    []Call
	failures map[string][]pendingFailure
	users    map[string]string // lower-case email → user id
	locales  map[string]string // user id → locale ("pl-PL"), as users.info gives with include_locale
	dms      map[string]string // user ids → D… channel
	messages map[string]*Message
	views    int
	arrived  chan struct{} // closed and replaced whenever a call is recorded
	socket   socketState
}

type pendingFailure struct {
	f    Failure
	left int
}

// New starts a fake that accepts token and stops it when the test ends.
// The token may come as "Authorization: Bearer <token>" or, as slack-go
// sends it for form-encoded methods, as the "token" field; real Slack
// accepts both.
func New(t testing.TB, token string) *Server {
	t.Helper()
	s := &Server{
		token:    token,
		closing:  make(chan struct{}),
		base:     time.Now().Unix(),
		failures: map[string][]pendingFailure{},
		users:    map[string]string{},
		locales:  map[string]string{},
		dms:      map[string]string{},
		messages: map[string]*Message{},
		arrived:  make(chan struct{}),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// URL is the Web API base, ending in "/", for slack.OptionAPIURL.
func (s *Server) URL() string { return s.srv.URL + "/api/" }

// Close releases hanging requests and stops the server. It is called at the
// end of the test; calling it earlier is allowed.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.Close()
	})
}

// AddUser makes users.lookupByEmail, users.info and conversations.open know
// a user.
func (s *Server) AddUser(email, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(email)] = id
}

// SetLocale gives the user with that id a locale ("pl-PL"), which users.info
// reports when called with include_locale=true.
func (s *Server) SetLocale(id, locale string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locales[id] = locale
}

// FailNext makes the next n calls of method fail with f. Failures queue up:
// a later FailNext applies after the earlier ones are used.
func (s *Server) FailNext(method string, n int, f Failure) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], pendingFailure{f: f, left: n})
}

// Calls returns the calls of method in arrival order; method "" returns
// every call.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls waits until at least n calls of method ("" for any) have
// arrived, and returns them. A call counts when it arrives, before it is
// answered, so a test can act while the server holds a hanging request.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) ([]Call, error) {
	for {
		s.mu.Lock()
		arrived := s.arrived
		s.mu.Unlock()
		// Reading the calls after taking the channel means a call recorded in
		// between closes the channel we wait on: none is missed.
		if calls := s.Calls(method); len(calls) >= n {
			return calls, nil
		}
		select {
		case <-arrived:
		case <-ctx.Done():
			return s.Calls(method), fmt.Errorf("slackfake: waiting for %d %q calls: %w", n, method, ctx.Err())
		}
	}
}

// Message returns the message at channel and ts as it stands now.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[channel+"/"+ts]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// MethodResponseURL is the Call.Method of a post to a ResponseURL; pass it
// to Calls, WaitCalls and FailNext like a Web API method.
const MethodResponseURL = "response_url"

// DMChannel returns the DM channel conversations.open gave for the users
// (comma-separated ids), or "" when none was opened.
func (s *Server) DMChannel(users string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := strings.Split(users, ",")
	sort.Strings(ids)
	return s.dms[strings.Join(ids, ",")]
}

// ResponseURL returns a response_url (as Slack puts in slash commands and
// interactions) that this server answers: posts to it are recorded as calls
// of MethodResponseURL, with the JSON body's fields as Params.
func (s *Server) ResponseURL(name string) string { return s.srv.URL + "/hooks/" + url.PathEscape(name) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/hooks/") {
		s.serveHook(w, r)
		return
	}
	if r.URL.Path == socketPath {
		s.serveSocket(w, r)
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	call, token, err := parse(r)
	if err != nil {
		writeJSON(w, http.StatusOK, errorResponse("invalid_form_data"))
		return
	}
	call.Method = method

	f, failing := s.record(call)
	if failing {
		if done := s.fail(w, r, f); done {
			return
		}
	}
	want := s.token
	if method == "apps.connections.open" {
		s.mu.Lock()
		want = s.socket.appToken // empty until EnableSocketMode: nothing matches
		s.mu.Unlock()
	}
	if token == "" {
		writeJSON(w, http.StatusOK, errorResponse("not_authed"))
		return
	}
	if want == "" || token != want {
		writeJSON(w, http.StatusOK, errorResponse("invalid_auth"))
		return
	}
	s.mu.Lock()
	resp := s.handle(call)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

// record notes a call, wakes whoever waits for calls, and returns the
// failure queued for its method, if any.
func (s *Server) record(call Call) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, failing := s.popFailure(call.Method)
	if failing {
		call.Failure = f.String()
	}
	s.calls = append(s.calls, call)
	close(s.arrived)
	s.arrived = make(chan struct{})
	return f, failing
}

// serveHook answers a response_url post as Slack does: "ok" for a JSON
// message, no token needed.
func (s *Server) serveHook(w http.ResponseWriter, r *http.Request) {
	call, _, err := parse(r)
	call.Method = MethodResponseURL
	call.Params.Set("hook", strings.TrimPrefix(r.URL.Path, "/hooks/"))
	f, failing := s.record(call)
	if failing {
		if done := s.fail(w, r, f); done {
			return
		}
	}
	if err != nil || len(call.Body) == 0 {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "invalid_payload")
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok")
}

func (s *Server) popFailure(method string) (Failure, bool) {
	q := s.failures[method]
	if len(q) == 0 {
		return Failure{}, false
	}
	f := q[0].f
	if q[0].left--; q[0].left == 0 {
		q = q[1:]
	}
	if len(q) == 0 {
		delete(s.failures, method)
	} else {
		s.failures[method] = q
	}
	return f, true
}

// fail carries out f; it returns false when the request should then be
// answered normally (a hang with a duration that passed).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, f Failure) bool {
	switch f.kind {
	case failStatus:
		if f.status == http.StatusTooManyRequests {
			if f.retryAfter >= 0 {
				w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
			}
			writeJSON(w, f.status, errorResponse("ratelimited"))
			return true
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.status)
		fmt.Fprintf(w, "<html><body>%d %s</body></html>", f.status, http.StatusText(f.status))
		return true
	case failAPI:
		writeJSON(w, http.StatusOK, errorResponse(f.code))
		return true
	case failHang:
		var timeout <-chan time.Time
		if f.wait > 0 {
			t := time.NewTimer(f.wait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-timeout:
			return false
		case <-r.Context().Done():
		case <-s.closing:
		}
		return true
	case failDrop:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("slackfake: connection cannot be hijacked")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return true
	}
	return false
}

// handle answers an authenticated call; s.mu is held.
func (s *Server) handle(c Call) map[string]any {
	p := c.Params
	switch c.Method {
	case "apps.connections.open":
		return ok(map[string]any{"url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + socketPath})
	case "auth.test":
		return ok(map[string]any{"url": "https://fake.slack.test/", "team": "Fake", "user": "cxloop",
			"team_id": "T0FAKE", "user_id": "U0BOT", "bot_id": "B0BOT"})
	case "chat.postMessage":
		ch := p.Get("channel")
		if ch == "" {
			return errorResponse("channel_not_found")
		}
		if p.Get("text") == "" && len(c.Blocks) == 0 && p.Get("attachments") == "" {
			return errorResponse("no_text")
		}
		m := &Message{Channel: ch, TS: s.nextTS(), ThreadTS: p.Get("thread_ts"), Text: p.Get("text"), Blocks: c.Blocks}
		s.messages[ch+"/"+m.TS] = m
		msg := map[string]any{"type": "message", "text": m.Text, "ts": m.TS, "bot_id": "B0BOT"}
		if m.ThreadTS != "" {
			msg["thread_ts"] = m.ThreadTS
		}
		return ok(map[string]any{"channel": ch, "ts": m.TS, "message": msg})
	case "chat.update":
		ch, ts := p.Get("channel"), p.Get("ts")
		m, found := s.messages[ch+"/"+ts]
		if !found {
			return errorResponse("message_not_found")
		}
		if p.Has("text") {
			m.Text = p.Get("text")
		}
		if c.Blocks != nil {
			m.Blocks = c.Blocks
		}
		m.Updates++
		return ok(map[string]any{"channel": ch, "ts": ts, "text": m.Text})
	case "chat.postEphemeral":
		if p.Get("channel") == "" {
			return errorResponse("channel_not_found")
		}
		if p.Get("user") == "" {
			return errorResponse("user_not_found")
		}
		return ok(map[string]any{"message_ts": s.nextTS()})
	case "chat.getPermalink":
		ch, ts := p.Get("channel"), p.Get("message_ts")
		if _, found := s.messages[ch+"/"+ts]; !found {
			return errorResponse("message_not_found")
		}
		return ok(map[string]any{"channel": ch,
			"permalink": "https://fake.slack.test/archives/" + ch + "/p" + strings.ReplaceAll(ts, ".", "")})
	case "conversations.open":
		if ch := p.Get("channel"); ch != "" {
			return ok(map[string]any{"channel": map[string]any{"id": ch}})
		}
		users := strings.Split(p.Get("users"), ",")
		if len(users) == 0 || users[0] == "" {
			return errorResponse("users_list_not_supplied")
		}
		for _, u := range users {
			if !s.knownUser(u) {
				return errorResponse("user_not_found")
			}
		}
		sort.Strings(users)
		key := strings.Join(users, ",")
		id, already := s.dms[key]
		if !already {
			prefix := "D"
			if len(users) > 1 {
				prefix = "G"
			}
			id = fmt.Sprintf("%s%07d", prefix, len(s.dms)+1)
			s.dms[key] = id
		}
		ch := map[string]any{"id": id, "is_im": len(users) == 1}
		if len(users) == 1 {
			ch["user"] = users[0]
		}
		return ok(map[string]any{"channel": ch, "already_open": already})
	case "users.lookupByEmail":
		id, found := s.users[strings.ToLower(p.Get("email"))]
		if !found {
			return errorResponse("users_not_found")
		}
		return ok(map[string]any{"user": user(id, strings.ToLower(p.Get("email")))})
	case "users.info":
		for email, id := range s.users {
			if id == p.Get("user") {
				u := user(id, email)
				// Slack tells the locale only when asked.
				if l := s.locales[id]; l != "" && p.Get("include_locale") == "true" {
					u["locale"] = l
				}
				return ok(map[string]any{"user": u})
			}
		}
		return errorResponse("user_not_found")
	case "views.open", "views.push":
		if p.Get("trigger_id") == "" {
			return errorResponse("invalid_trigger_id")
		}
		return s.view(c)
	case "views.publish":
		if !s.knownUser(p.Get("user_id")) {
			return errorResponse("user_not_found")
		}
		return s.view(c)
	case "views.update":
		if p.Get("view_id") == "" && p.Get("external_id") == "" {
			return errorResponse("not_found")
		}
		return s.view(c)
	}
	return errorResponse("unknown_method")
}

func (s *Server) knownUser(id string) bool {
	for _, u := range s.users {
		if u == id {
			return true
		}
	}
	return false
}

// view answers a views.* call with the view sent, given an id.
func (s *Server) view(c Call) map[string]any {
	var v map[string]any
	if raw := c.Params.Get("view"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return errorResponse("invalid_arguments")
		}
	}
	if v == nil {
		return errorResponse("invalid_arguments")
	}
	s.views++
	if id, _ := v["id"].(string); id == "" {
		v["id"] = fmt.Sprintf("V%07d", s.views)
	}
	return ok(map[string]any{"view": v})
}

// nextTS returns a unique ts in Slack's "seconds.micros" form.
func (s *Server) nextTS() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", s.base+s.seq/1_000_000, s.seq%1_000_000)
}

func user(id, email string) map[string]any {
	name, _, _ := strings.Cut(email, "@")
	return map[string]any{"id": id, "name": name, "team_id": "T0FAKE",
		"profile": map[string]any{"email": email, "real_name": name, "display_name": name}}
}

// parse reads a request as slack-go sends it: a form body (most methods),
// a query (GET methods such as chat.getPermalink), or a JSON body (views.*),
// and returns the call and the token it carried.
func parse(r *http.Request) (Call, string, error) {
	c := Call{At: time.Now(), Params: url.Values{}}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return c, "", err
		}
		var fields map[string]json.RawMessage
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &fields); err != nil {
				return c, "", err
			}
		}
		c.Body = body
		for k, v := range fields {
			var str string
			if json.Unmarshal(v, &str) == nil {
				c.Params.Set(k, str)
			} else {
				c.Params.Set(k, string(v))
			}
		}
		for k, vs := range r.URL.Query() {
			c.Params[k] = append(c.Params[k], vs...)
		}
		if b, found := fields["blocks"]; found {
			c.Blocks = b
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return c, "", err
		}
		for k, vs := range r.Form {
			c.Params[k] = append([]string(nil), vs...)
		}
		if b := c.Params.Get("blocks"); b != "" && json.Valid([]byte(b)) {
			c.Blocks = json.RawMessage(b)
		}
	}
	// The header wins, as it does at Slack; the field is the fallback
	// slack-go uses for form-encoded methods.
	if token == "" {
		token = c.Params.Get("token")
	}
	c.Params.Del("token")
	return c, token, nil
}

func ok(fields map[string]any) map[string]any {
	fields["ok"] = true
	return fields
}

func errorResponse(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
