package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot/slack/slackfake"
)

const token = "xoxb-test"

func client(s *slackfake.Server, tok string) *slack.Client {
	return slack.New(tok, slack.OptionAPIURL(s.URL()), slack.OptionHTTPClient(&http.Client{Timeout: 5 * time.Second}))
}

func apiErr(err error) string {
	var e slack.SlackErrorResponse
	if errors.As(err, &e) {
		return e.Err
	}
	return ""
}

func TestURLEndsInSlash(t *testing.T) {
	s := slackfake.New(t, token)
	if !strings.HasSuffix(s.URL(), "/") {
		t.Fatalf("URL %q does not end in /", s.URL())
	}
}

func TestAuth(t *testing.T) {
	s := slackfake.New(t, token)
	post := func(header, field string) map[string]any {
		t.Helper()
		form := url.Values{"channel": {"C1"}, "text": {"hi"}}
		if field != "" {
			form.Set("token", field)
		}
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"chat.postMessage", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if header != "" {
			req.Header.Set("Authorization", "Bearer "+header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name, header, field string
		wantErr             string
	}{
		{"bearer header", token, "", ""},
		{"token field", "", token, ""},
		{"wrong bearer", "xoxb-wrong", "", "invalid_auth"},
		{"wrong field", "", "xoxb-wrong", "invalid_auth"},
		{"header wins over field", "xoxb-wrong", token, "invalid_auth"},
		{"no token", "", "", "not_authed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := post(tt.header, tt.field)
			if tt.wantErr == "" {
				if out["ok"] != true {
					t.Fatalf("got %v, want ok", out)
				}
				return
			}
			if out["ok"] != false || out["error"] != tt.wantErr {
				t.Fatalf("got %v, want error %s", out, tt.wantErr)
			}
		})
	}
	for _, c := range s.Calls("chat.postMessage") {
		if c.Params.Has("token") {
			t.Fatal("the token was recorded")
		}
	}
}

func TestChatRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := slackfake.New(t, token)
	api := client(s, token)

	block := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "> hello", false, false), nil, nil)
	ch, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(block), slack.MsgOptionText("fallback", false))
	if err != nil {
		t.Fatal(err)
	}
	if ch != "C1" || !strings.Contains(ts, ".") {
		t.Fatalf("got channel %q ts %q", ch, ts)
	}
	calls := s.Calls("chat.postMessage")
	if len(calls) != 1 || calls[0].Params.Get("text") != "fallback" || strings.Join(calls[0].BlockTexts(), "|") != "> hello" {
		t.Fatalf("recorded %+v", calls)
	}
	if calls[0].At.IsZero() {
		t.Fatal("call time not recorded")
	}

	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts)); err != nil {
		t.Fatal(err)
	}
	if got := s.Calls("chat.postMessage")[1].Params.Get("thread_ts"); got != ts {
		t.Fatalf("thread_ts %q, want %q", got, ts)
	}

	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("changed", false)); err != nil {
		t.Fatal(err)
	}
	if m, ok := s.Message("C1", ts); !ok || m.Text != "changed" || m.Updates != 1 {
		t.Fatalf("message after update: %+v %v", m, ok)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", "1.000000", slack.MsgOptionText("x", false)); apiErr(err) != "message_not_found" {
		t.Fatalf("update of unknown ts: %v", err)
	}

	link, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: "C1", Ts: ts})
	if err != nil || !strings.HasPrefix(link, "https://") {
		t.Fatalf("permalink %q, %v", link, err)
	}

	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("psst", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1"); apiErr(err) != "no_text" {
		t.Fatalf("empty message: %v", err)
	}
}

func TestUsersAndConversations(t *testing.T) {
	ctx := context.Background()
	s := slackfake.New(t, token)
	s.AddUser("Liis@Example.com", "U0LIIS")
	api := client(s, token)

	u, err := api.GetUserByEmailContext(ctx, "liis@example.com")
	if err != nil || u.ID != "U0LIIS" {
		t.Fatalf("lookup: %+v %v", u, err)
	}
	if _, err := api.GetUserByEmailContext(ctx, "nobody@example.com"); apiErr(err) != "users_not_found" {
		t.Fatalf("unknown email: %v", err)
	}
	info, err := api.GetUserInfoContext(ctx, "U0LIIS")
	if err != nil || info.Profile.Email != "liis@example.com" {
		t.Fatalf("users.info: %+v %v", info, err)
	}

	open := func(user string) (string, error) {
		ch, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
		if err != nil {
			return "", err
		}
		return ch.ID, nil
	}
	first, err := open("U0LIIS")
	if err != nil || !strings.HasPrefix(first, "D") {
		t.Fatalf("conversations.open: %q %v", first, err)
	}
	if again, _ := open("U0LIIS"); again != first {
		t.Fatalf("second open gave %q, want %q", again, first)
	}
	if _, err := open("U0NOBODY"); apiErr(err) != "user_not_found" {
		t.Fatalf("unknown user: %v", err)
	}

	resp, err := api.AuthTestContext(ctx)
	if err != nil || resp.UserID == "" {
		t.Fatalf("auth.test: %+v %v", resp, err)
	}
}

func TestViews(t *testing.T) {
	ctx := context.Background()
	s := slackfake.New(t, token)
	s.AddUser("liis@example.com", "U0LIIS")
	api := client(s, token)

	modal := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "Log thank-you", false, false),
		CallbackID: "case_thank_modal", PrivateMetadata: "42"}
	v, err := api.OpenViewContext(ctx, "trigger-1", modal)
	if err != nil || v.ID == "" {
		t.Fatalf("views.open: %+v %v", v, err)
	}
	calls := s.Calls("views.open")
	if len(calls) != 1 || calls[0].Params.Get("trigger_id") != "trigger-1" || !strings.Contains(calls[0].Params.Get("view"), "case_thank_modal") {
		t.Fatalf("recorded %+v", calls)
	}

	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0LIIS", View: home}); err != nil {
		t.Fatalf("views.publish: %v", err)
	}
	if got := s.Calls("views.publish"); len(got) != 1 || got[0].Params.Get("user_id") != "U0LIIS" {
		t.Fatalf("recorded %+v", got)
	}
}

func TestFailures(t *testing.T) {
	post := func(ctx context.Context, api *slack.Client) error {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false))
		return err
	}
	tests := []struct {
		name    string
		failure slackfake.Failure
		check   func(t *testing.T, err error)
	}{
		{"429 with Retry-After", slackfake.RateLimited(7), func(t *testing.T, err error) {
			var rl *slack.RateLimitedError
			if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
				t.Fatalf("got %T %v", err, err)
			}
		}},
		{"429 without Retry-After", slackfake.RateLimited(-1), func(t *testing.T, err error) {
			var sc slack.StatusCodeError
			if !errors.As(err, &sc) || sc.Code != http.StatusTooManyRequests {
				t.Fatalf("got %T %v", err, err)
			}
		}},
		{"500", slackfake.ServerError(), func(t *testing.T, err error) {
			var sc slack.StatusCodeError
			if !errors.As(err, &sc) || sc.Code != http.StatusInternalServerError {
				t.Fatalf("got %T %v", err, err)
			}
		}},
		{"Slack error", slackfake.APIError("channel_not_found"), func(t *testing.T, err error) {
			if apiErr(err) != "channel_not_found" {
				t.Fatalf("got %T %v", err, err)
			}
		}},
		{"drop", slackfake.Drop(), func(t *testing.T, err error) {
			if err == nil || apiErr(err) != "" {
				t.Fatalf("got %T %v, want a transport error", err, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := slackfake.New(t, token)
			api := client(s, token)
			s.FailNext("chat.postMessage", 1, tt.failure)
			tt.check(t, post(context.Background(), api))
			if err := post(context.Background(), api); err != nil {
				t.Fatalf("the call after the failure: %v", err)
			}
			calls := s.Calls("chat.postMessage")
			if len(calls) != 2 || calls[0].Failure == "" || calls[1].Failure != "" {
				t.Fatalf("recorded %+v", calls)
			}
		})
	}
}

func TestFailuresQueueAndCount(t *testing.T) {
	s := slackfake.New(t, token)
	api := client(s, token)
	s.FailNext("chat.postMessage", 2, slackfake.ServerError())
	s.FailNext("chat.postMessage", 1, slackfake.APIError("is_archived"))
	var got []string
	for range 4 {
		_, _, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("hi", false))
		switch {
		case err == nil:
			got = append(got, "ok")
		case apiErr(err) != "":
			got = append(got, apiErr(err))
		default:
			got = append(got, "http")
		}
	}
	if strings.Join(got, ",") != "http,http,is_archived,ok" {
		t.Fatalf("got %v", got)
	}
	// Other methods are unaffected.
	if _, err := api.AuthTestContext(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestHangUntilContextEnds(t *testing.T) {
	s := slackfake.New(t, token)
	api := client(s, token)
	s.FailNext("chat.postMessage", 1, slackfake.Hang(0))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false))
		errc <- err
	}()
	// Cancel once the server holds the request, so the error can only come
	// from the hang.
	waitForCalls(t, s, "chat.postMessage", 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestHangForDurationThenAnswers(t *testing.T) {
	s := slackfake.New(t, token)
	api := client(s, token)
	s.FailNext("auth.test", 1, slackfake.Hang(time.Millisecond))
	if _, err := api.AuthTestContext(context.Background()); err != nil {
		t.Fatalf("got %v, want an answer after the hang", err)
	}
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	s := slackfake.New(t, token)
	api := client(s, token)
	s.FailNext("auth.test", 1, slackfake.Hang(0))
	errc := make(chan error, 1)
	go func() {
		_, err := api.AuthTestContext(context.Background())
		errc <- err
	}()
	waitForCalls(t, s, "auth.test", 1)
	s.Close() // must not block on the held request
	if err := <-errc; err == nil {
		t.Fatal("the held request succeeded")
	}
}

func TestConcurrentPostsGetUniqueTS(t *testing.T) {
	s := slackfake.New(t, token)
	api := client(s, token)
	const n = 40
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		tss = map[string]bool{}
	)
	for range n {
		wg.Go(func() {
			_, ts, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("hi", false))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			tss[ts] = true
			mu.Unlock()
			_ = s.Calls("")
		})
	}
	wg.Wait()
	if len(tss) != n || len(s.Calls("chat.postMessage")) != n {
		t.Fatalf("%d unique ts and %d calls for %d posts", len(tss), len(s.Calls("chat.postMessage")), n)
	}
}

func TestJSONBodyParsed(t *testing.T) {
	s := slackfake.New(t, token)
	body := `{"channel":"C1","text":"hi","blocks":[{"type":"divider"}],"unfurl_links":false}`
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"chat.postMessage", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c := s.Calls("chat.postMessage")[0]
	if c.Params.Get("channel") != "C1" || c.Params.Get("unfurl_links") != "false" || string(c.Blocks) != `[{"type":"divider"}]` || len(c.Body) == 0 {
		t.Fatalf("recorded %+v", c)
	}
}

// waitForCalls blocks until the server has received n calls of method.
func waitForCalls(t *testing.T, s *slackfake.Server, method string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.WaitCalls(ctx, method, n); err != nil {
		t.Fatal(err)
	}
}
