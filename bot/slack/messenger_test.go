package slack_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/models"
)

const token = "xoxb-test-token"

func sampleCard() bot.Card {
	due := time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)
	return bot.Card{
		CaseID: 42, Segment: models.SegmentDetractor, Metric: models.MetricNPS, Score: 3,
		TeamID: "contact-center", TeamName: "Contact Center", Touchpoint: "call-center", Source: "web-survey",
		Attributes:   []bot.Attribute{{Name: "country", Value: "EE"}, {Name: "product", Value: "loan"}},
		Comment:      "Waited 40 minutes on the phone.\nNobody called back.",
		CustomerName: "Kadri K.", MaskedEmail: models.MaskEmail("kadri@example.com"), MaskedPhone: models.MaskPhone("+372 5555 0000"),
		Owner: "liis@example.com", State: models.StateAssigned,
		ThankYouDue: due, ResolutionDue: due.Add(48 * time.Hour),
		Themes: []string{"waiting"}, SubmittedAt: due.Add(-24 * time.Hour),
		Actions: bot.ActionsFor(models.StateAssigned, true),
	}
}

func newMessenger(t *testing.T, opts ...cxslack.Option) (*cxslack.Messenger, *slackfake.Server) {
	t.Helper()
	s := slackfake.New(t, token)
	s.AddUser("liis@example.com", "U0LIIS")
	return cxslack.New(token, s.URL(), nil, opts...), s
}

func joined(c slackfake.Call) string { return strings.Join(c.BlockTexts(), "\n") }

func TestPostCard(t *testing.T) {
	m, s := newMessenger(t)
	ref, err := m.PostCard(context.Background(), "C0CONTACT", sampleCard())
	if err != nil {
		t.Fatal(err)
	}
	calls := s.Calls("chat.postMessage")
	if len(calls) != 1 {
		t.Fatalf("%d posts", len(calls))
	}
	if _, ok := s.Message("C0CONTACT", ref); !ok {
		t.Fatalf("ref %q is not the ts the fake returned", ref)
	}
	c := calls[0]
	texts := joined(c)
	for _, want := range []string{
		"> Waited 40 minutes on the phone.\n> Nobody called back.", // the comment as a quote
		"k***@example.com", "***0000", // masked contact, never the real one
		"<@U0LIIS>", // the owner resolved through users.lookupByEmail
		"Contact Center", "call-center", "*country:* EE",
	} {
		if !strings.Contains(texts, want) {
			t.Errorf("blocks lack %q:\n%s", want, texts)
		}
	}
	if strings.Contains(string(c.Blocks), "kadri@example.com") || strings.Contains(c.Params.Get("text"), "kadri@") {
		t.Error("the unmasked email reached Slack")
	}
	if !strings.Contains(c.Params.Get("text"), "Case #42") {
		t.Errorf("fallback text %q", c.Params.Get("text"))
	}
	if c.Params.Get("unfurl_links") != "false" || c.Params.Has("link_names") || c.Params.Has("parse") {
		t.Errorf("message options %v", c.Params)
	}
	if got := s.Calls("users.lookupByEmail"); len(got) != 1 || got[0].Params.Get("email") != "liis@example.com" {
		t.Errorf("lookups %+v", got)
	}
}

func TestPostCardOwnerUnknownShowsName(t *testing.T) {
	m, s := newMessenger(t)
	card := sampleCard()
	card.Owner = "jaan@example.com" // not in the workspace
	if _, err := m.PostCard(context.Background(), "C0CONTACT", card); err != nil {
		t.Fatalf("an unresolved owner must not stop the card: %v", err)
	}
	texts := joined(s.Calls("chat.postMessage")[0])
	if !strings.Contains(texts, "*Owner*\nJaan") || strings.Contains(texts, "jaan@example.com") || strings.Contains(texts, "<@") {
		t.Fatalf("owner not shown by name:\n%s", texts)
	}
}

func TestUpdateCard(t *testing.T) {
	ctx := context.Background()
	m, s := newMessenger(t)
	ref, err := m.PostCard(ctx, "C0CONTACT", sampleCard())
	if err != nil {
		t.Fatal(err)
	}
	card := sampleCard()
	card.State, card.Overdue = models.StateThanked, true
	if err := m.UpdateCard(ctx, "C0CONTACT", ref, card); err != nil {
		t.Fatal(err)
	}
	calls := s.Calls("chat.update")
	if len(calls) != 1 || calls[0].Params.Get("channel") != "C0CONTACT" || calls[0].Params.Get("ts") != ref {
		t.Fatalf("updates %+v", calls)
	}
	if !strings.Contains(joined(calls[0]), "OVERDUE") {
		t.Error("updated card lacks the OVERDUE marker")
	}
	if msg, _ := s.Message("C0CONTACT", ref); msg.Updates != 1 {
		t.Errorf("message updated %d times", msg.Updates)
	}
}

func TestReplyAndPostText(t *testing.T) {
	ctx := context.Background()
	m, s := newMessenger(t)
	ref, err := m.PostCard(ctx, "C0CONTACT", sampleCard())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Reply(ctx, "C0CONTACT", ref, "Liis took the case <!channel>"); err != nil {
		t.Fatal(err)
	}
	reply := s.Calls("chat.postMessage")[1]
	if reply.Params.Get("thread_ts") != ref || reply.Params.Get("channel") != "C0CONTACT" {
		t.Fatalf("reply %+v", reply.Params)
	}
	if got := reply.Params.Get("text"); got != "Liis took the case &lt;!channel&gt;" {
		t.Fatalf("reply text %q", got)
	}

	ts, err := m.PostText(ctx, "C0KUDOS", "Great service from @here!")
	if err != nil {
		t.Fatal(err)
	}
	post := s.Calls("chat.postMessage")[2]
	if _, ok := s.Message("C0KUDOS", ts); !ok || post.Params.Has("thread_ts") {
		t.Fatalf("post %+v ts %q", post.Params, ts)
	}
	if strings.Contains(post.Params.Get("text"), "@here") {
		t.Fatalf("broadcast word not neutralised: %q", post.Params.Get("text"))
	}
}

func TestDirectMessage(t *testing.T) {
	ctx := context.Background()
	t.Run("resolves, opens, posts", func(t *testing.T) {
		m, s := newMessenger(t)
		card := sampleCard()
		if err := m.DirectMessage(ctx, "Liis@Example.com", bot.Plain("A case is yours."), &card); err != nil {
			t.Fatal(err)
		}
		if got := s.Calls("users.lookupByEmail"); len(got) == 0 {
			t.Fatal("no lookup")
		}
		opens := s.Calls("conversations.open")
		if len(opens) != 1 || opens[0].Params.Get("users") != "U0LIIS" {
			t.Fatalf("opens %+v", opens)
		}
		posts := s.Calls("chat.postMessage")
		if len(posts) != 1 || !strings.HasPrefix(posts[0].Params.Get("channel"), "D") {
			t.Fatalf("posts %+v", posts)
		}
		text := posts[0].Params.Get("text")
		if !strings.Contains(text, "A case is yours.") || !strings.Contains(text, "Case #42") {
			t.Fatalf("DM text %q", text)
		}
	})
	t.Run("links the card when it can be located", func(t *testing.T) {
		var ref string
		locate := cxslack.CardLocatorFunc(func(_ context.Context, id int64) (string, string, bool, error) {
			return "C0CONTACT", ref, id == 42, nil
		})
		m, s := newMessenger(t, cxslack.WithCardLocator(locate))
		card := sampleCard()
		var err error
		if ref, err = m.PostCard(ctx, "C0CONTACT", card); err != nil {
			t.Fatal(err)
		}
		if err := m.DirectMessage(ctx, "liis@example.com", bot.Plain("Reminder"), &card); err != nil {
			t.Fatal(err)
		}
		if got := s.Calls("chat.getPermalink"); len(got) != 1 || got[0].Params.Get("message_ts") != ref {
			t.Fatalf("permalink calls %+v", got)
		}
		if text := s.Calls("chat.postMessage")[1].Params.Get("text"); !strings.Contains(text, "<https://fake.slack.test/archives/C0CONTACT/") {
			t.Fatalf("DM text %q", text)
		}
	})
	t.Run("unknown person is permanent", func(t *testing.T) {
		m, s := newMessenger(t)
		err := m.DirectMessage(ctx, "nobody@example.com", bot.Plain("hi"), nil)
		if class, _ := bot.ClassOf(err); class != bot.Permanent {
			t.Fatalf("got %v (%v), want permanent", class, err)
		}
		if len(s.Calls("conversations.open")) != 0 {
			t.Fatal("opened a conversation for nobody")
		}
	})
}

// TestErrorClasses runs each failure against each Messenger method that
// posts, and checks the class the delivery worker sees.
func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name      string
		failure   slackfake.Failure
		class     bot.ErrorClass
		retryWait time.Duration
	}{
		{"429 Retry-After 7", slackfake.RateLimited(7), bot.RateLimited, 7 * time.Second},
		{"429 without Retry-After", slackfake.RateLimited(-1), bot.RateLimited, cxslack.DefaultRetryAfter},
		{"ratelimited in a 200", slackfake.APIError("ratelimited"), bot.RateLimited, cxslack.DefaultRetryAfter},
		{"500", slackfake.ServerError(), bot.Transient, 0},
		{"503", slackfake.HTTPStatus(503), bot.Transient, 0},
		{"channel_not_found", slackfake.APIError("channel_not_found"), bot.Permanent, 0},
		{"not_in_channel", slackfake.APIError("not_in_channel"), bot.Permanent, 0},
		{"is_archived", slackfake.APIError("is_archived"), bot.Permanent, 0},
		{"token_revoked", slackfake.APIError("token_revoked"), bot.Permanent, 0},
		{"msg_too_long", slackfake.APIError("msg_too_long"), bot.Permanent, 0},
		{"internal_error", slackfake.APIError("internal_error"), bot.Transient, 0},
		{"dropped connection", slackfake.Drop(), bot.Transient, 0},
	}
	methods := []struct {
		name, slackMethod string
		call              func(ctx context.Context, m *cxslack.Messenger) error
	}{
		{"PostCard", "chat.postMessage", func(ctx context.Context, m *cxslack.Messenger) error {
			_, err := m.PostCard(ctx, "C0CONTACT", sampleCard())
			return err
		}},
		{"UpdateCard", "chat.update", func(ctx context.Context, m *cxslack.Messenger) error {
			return m.UpdateCard(ctx, "C0CONTACT", "1700000000.000001", sampleCard())
		}},
		{"PostText", "chat.postMessage", func(ctx context.Context, m *cxslack.Messenger) error {
			_, err := m.PostText(ctx, "C0KUDOS", "thanks")
			return err
		}},
		{"DirectMessage", "conversations.open", func(ctx context.Context, m *cxslack.Messenger) error {
			return m.DirectMessage(ctx, "liis@example.com", bot.Plain("hi"), nil)
		}},
	}
	for _, tt := range tests {
		for _, meth := range methods {
			t.Run(tt.name+"/"+meth.name, func(t *testing.T) {
				m, s := newMessenger(t)
				s.FailNext(meth.slackMethod, 1, tt.failure)
				err := meth.call(context.Background(), m)
				var de *bot.DeliveryError
				if !errors.As(err, &de) {
					t.Fatalf("got %T %v, want *bot.DeliveryError", err, err)
				}
				if de.Class != tt.class || de.RetryAfter != tt.retryWait {
					t.Fatalf("got %v after %v (%v), want %v after %v", de.Class, de.RetryAfter, err, tt.class, tt.retryWait)
				}
				if !strings.Contains(err.Error(), meth.slackMethod) {
					t.Errorf("error %q does not name %s", err, meth.slackMethod)
				}
			})
		}
	}
}

func TestHangPastTimeoutIsTransient(t *testing.T) {
	// The fake holds the request until the client gives up; the short
	// timeout makes the client give up quickly. Nothing here measures time.
	m, s := newMessenger(t, cxslack.WithTimeout(50*time.Millisecond))
	s.FailNext("chat.postMessage", 1, slackfake.Hang(0))
	_, err := m.PostCard(context.Background(), "C0CONTACT", sampleCard())
	if class, _ := bot.ClassOf(err); err == nil || class != bot.Transient {
		t.Fatalf("got %v (%v), want transient", class, err)
	}
}

func TestCallerContextIsHonoured(t *testing.T) {
	m, s := newMessenger(t)
	s.FailNext("chat.postMessage", 1, slackfake.Hang(0))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := m.PostText(ctx, "C0KUDOS", "hi")
		errc <- err
	}()
	wait, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if _, err := s.WaitCalls(wait, "chat.postMessage", 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	err := <-errc
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled inside", err)
	}
	if class, _ := bot.ClassOf(err); class != bot.Transient {
		t.Fatalf("got %v, want transient", class)
	}
}

func TestWrongTokenIsPermanent(t *testing.T) {
	s := slackfake.New(t, token)
	m := cxslack.New("xoxb-wrong", s.URL(), nil)
	_, err := m.PostCard(context.Background(), "C0CONTACT", sampleCard())
	var de *bot.DeliveryError
	if !errors.As(err, &de) || de.Class != bot.Permanent || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("got %v, want permanent invalid_auth", err)
	}
}
