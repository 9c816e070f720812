package slackapp

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot/l10n"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/handlers/httpio"
	"github.com/cxloop/cxloop/models"
)

// App is cxloop's Slack app: the one request URL (POST /slack/events)
// for Events API callbacks, slash commands and interactivity, as Slack's
// Bolt frameworks serve them, and the same logic behind Socket Mode.
//
// Every HTTP request's signature is checked against the raw body before
// anything is parsed. Slack wants an answer within 3 seconds, so requests
// are acknowledged at once and their work runs afterwards in a bounded pool
// of goroutines, answering through response_url, chat.postEphemeral or
// views.*; only a modal submission waits (up to SubmitWait) for its outcome,
// so that invalid input is shown on the form. Case changes go through
// models.Store.Act, which checks roles and queues the card update and the
// thread line in the outbox; nothing here edits a card directly.
type App struct {
	Store     *models.Store
	Policy    *models.Policy
	Clock     models.Clock
	Log       *slog.Logger
	Ops       *chatops.ChatOps // the /cx commands; Unresolved is supplied per call from Directory
	Messenger *cxslack.Messenger
	Directory *cxslack.CachedDirectory
	// SigningSecret verifies HTTP requests; empty refuses every one (Socket
	// Mode needs none).
	SigningSecret string
	// Queued wakes the delivery worker after a change queued messages.
	Queued func()

	Workers     int           // background tasks at once (default 16)
	TaskTimeout time.Duration // bound of one task (default 30s)
	// SubmitWait is how long a modal submission waits for its outcome
	// before the modal closes anyway and the outcome is sent privately
	// (default 2s, inside Slack's 3).
	SubmitWait time.Duration
	// TriggerWait bounds the role check done before a modal opens, so the
	// trigger_id (valid 3 s) is used in time; when it runs out the modal
	// opens and the check happens on submission (default 1s).
	TriggerWait time.Duration
	// HTTPClient posts to response_url (default: a 10 s timeout).
	HTTPClient *http.Client

	once    sync.Once
	base    context.Context
	cancel  context.CancelFunc
	sem     chan struct{}
	mu      sync.Mutex
	closed  bool
	running sync.WaitGroup
}

func (a *App) init() {
	a.once.Do(func() {
		if a.Workers <= 0 {
			a.Workers = 16
		}
		if a.TaskTimeout <= 0 {
			a.TaskTimeout = 30 * time.Second
		}
		if a.SubmitWait <= 0 {
			a.SubmitWait = 2 * time.Second
		}
		if a.TriggerWait <= 0 {
			a.TriggerWait = time.Second
		}
		if a.HTTPClient == nil {
			a.HTTPClient = &http.Client{Timeout: 10 * time.Second}
		}
		if a.Clock == nil {
			a.Clock = models.SystemClock{}
		}
		if a.Log == nil {
			a.Log = slog.Default()
		}
		a.base, a.cancel = context.WithCancel(context.Background())
		a.sem = make(chan struct{}, a.Workers)
	})
}

// spawn runs fn in the pool with its own deadline, detached from the
// request that asked for it. It reports false, running nothing, when every
// worker is busy or the app is shutting down.
func (a *App) spawn(what string, fn func(ctx context.Context)) bool {
	a.init()
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return false
	}
	select {
	case a.sem <- struct{}{}:
	default:
		a.mu.Unlock()
		a.Log.Warn("slack: every worker is busy; request not handled", "task", what, "workers", a.Workers)
		return false
	}
	a.running.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.running.Done()
		defer func() { <-a.sem }()
		defer func() {
			if p := recover(); p != nil {
				a.Log.Error("slack: task panicked", "task", what, "panic", p, "stack", string(debug.Stack()))
			}
		}()
		ctx, cancel := context.WithTimeout(a.base, a.TaskTimeout)
		defer cancel()
		fn(ctx)
	}()
	return true
}

// Wait blocks until the background work started so far has finished.
func (a *App) Wait() {
	a.init()
	a.running.Wait()
}

// Shutdown stops taking work, lets the tasks in flight finish until ctx
// ends, then cancels the rest and waits for them.
func (a *App) Shutdown(ctx context.Context) {
	a.init()
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	done := make(chan struct{})
	go func() {
		a.running.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		a.cancel()
		<-done
	}
	a.cancel()
}

func (a *App) queued() {
	if a.Queued != nil {
		a.Queued()
	}
}

// EventsPath is the app's one request URL, as the Slack manifest names it.
const EventsPath = "/slack/events"

// Routes is POST /slack/events while a signing secret is set; Socket Mode
// alone needs no endpoint.
func (a *App) Routes() map[string]http.Handler {
	if a.SigningSecret == "" {
		return nil
	}
	return map[string]http.Handler{"POST " + EventsPath: a}
}

// ServeHTTP is POST /slack/events.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.init()
	body, ok := httpio.ReadBody(w, r)
	if !ok {
		return
	}
	// Nothing is parsed before the signature holds.
	if err := cxslack.VerifyRequest(a.SigningSecret, r.Header, body, a.Clock.Now()); err != nil {
		a.Log.Warn("slack: refused a request", "err", err, "remote", r.RemoteAddr)
		httpio.WriteError(w, http.StatusUnauthorized, "", "invalid Slack request signature")
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		a.serveEvent(w, r, body)
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			httpio.WriteError(w, http.StatusBadRequest, "", "malformed form body")
			return
		}
		if !a.firstDelivery(w, r) {
			return
		}
		switch {
		case form.Has("payload"):
			a.serveInteraction(w, r, []byte(form.Get("payload")))
		case form.Has("command"):
			a.serveCommand(w, form)
		default:
			httpio.WriteError(w, http.StatusBadRequest, "", "neither a slash command nor an interaction")
		}
	default:
		httpio.WriteError(w, http.StatusUnsupportedMediaType, "", "Content-Type must be application/json or application/x-www-form-urlencoded")
	}
}

// firstDelivery records a slash command or interaction by its signature,
// as events are recorded by event_id: a signed request replayed inside
// the five minutes its timestamp is accepted is acknowledged and not run
// again (a second note, a second assignment). It answers the request
// itself and reports false when the request must not run.
func (a *App) firstDelivery(w http.ResponseWriter, r *http.Request) bool {
	sig := r.Header.Get("X-Slack-Signature")
	first, err := a.Store.FirstSeen(r.Context(), slackRequestLog, sig, a.Clock.Now())
	if err != nil {
		a.Log.Error("slack: record request", "err", err)
		httpio.WriteError(w, http.StatusServiceUnavailable, "", "please retry")
		return false
	}
	if !first {
		a.Log.Warn("slack: a request was replayed; not run again", "remote", r.RemoteAddr)
		w.WriteHeader(http.StatusOK)
		return false
	}
	return true
}

// slackRequestLog names the signatures of slash commands and interactions
// in the event log.
const slackRequestLog = "slack-request"

// envelope is the part of an Events API body cxloop reads.
type envelope struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	EventID   string `json:"event_id"`
	Event     struct {
		Type    string `json:"type"`
		User    string `json:"user"`
		Tab     string `json:"tab"`
		Channel string `json:"channel"`
	} `json:"event"`
}

func (a *App) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		httpio.WriteError(w, http.StatusBadRequest, "", "malformed JSON")
		return
	}
	switch env.Type {
	case "url_verification":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, env.Challenge)
		return
	case "event_callback":
		if retry := r.Header.Get("X-Slack-Retry-Num"); retry != "" {
			a.Log.Info("slack: event redelivered", "event_id", env.EventID, "retry", retry, "reason", r.Header.Get("X-Slack-Retry-Reason"))
		}
		if !a.event(env) {
			// Busy: a non-2xx answer makes Slack deliver the event again
			// later; the event id is not recorded yet, so it will be handled.
			httpio.WriteError(w, http.StatusServiceUnavailable, "", "busy")
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// event handles an Events API callback in the background, once per
// event_id however often Slack delivers it.
func (a *App) event(env envelope) bool {
	if env.Type != "event_callback" {
		return true
	}
	return a.spawn("event "+env.Event.Type, func(ctx context.Context) {
		if env.EventID != "" {
			first, err := a.Store.FirstSeen(ctx, models.TransportSlack, env.EventID, a.Clock.Now())
			if err != nil {
				a.Log.Error("slack: record event", "event_id", env.EventID, "err", err)
				return
			}
			if !first {
				a.Log.Debug("slack: event already handled", "event_id", env.EventID)
				return
			}
		}
		switch env.Event.Type {
		case "app_home_opened":
			if env.Event.Tab == "" || env.Event.Tab == "home" {
				a.publishHome(ctx, env.Event.User)
			}
		}
	})
}

// busyText answers a command when every worker is taken, in the
// organisation's language: there is no time to look the person up.
func (a *App) busyText() string {
	return l10n.T(a.Policy.TeamLanguage(""), "caseanswer.busy_command")
}

func (a *App) serveCommand(w http.ResponseWriter, form url.Values) {
	cmd := slackgo.SlashCommand{
		Command: form.Get("command"), Text: form.Get("text"), UserID: form.Get("user_id"), UserName: form.Get("user_name"),
		ChannelID: form.Get("channel_id"), TeamID: form.Get("team_id"), ResponseURL: form.Get("response_url"),
		TriggerID: form.Get("trigger_id"),
	}
	if !a.command(cmd) {
		httpio.WriteJSON(w, http.StatusOK, map[string]string{"response_type": "ephemeral", "text": a.busyText()})
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (a *App) serveInteraction(w http.ResponseWriter, r *http.Request, payload []byte) {
	var ic slackgo.InteractionCallback
	if err := json.Unmarshal(payload, &ic); err != nil {
		httpio.WriteError(w, http.StatusBadRequest, "", "malformed interaction payload")
		return
	}
	switch ic.Type {
	case slackgo.InteractionTypeBlockActions:
		a.blockActions(ic)
	case slackgo.InteractionTypeViewSubmission:
		if resp := a.viewSubmission(r.Context(), ic); resp != nil {
			httpio.WriteJSON(w, http.StatusOK, resp)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}
