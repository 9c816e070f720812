package slack

import (
	"context"
	"net/http"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/slack/slackfake"
)

// clock is a settable time source for the directory's TTL.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newDirectory(t *testing.T) (*LookupDirectory, *slackfake.Server, *clock) {
	t.Helper()
	s := slackfake.New(t, "xoxb-dir")
	api := slackgo.New("xoxb-dir", slackgo.OptionAPIURL(s.URL()), slackgo.OptionHTTPClient(&http.Client{Timeout: 5 * time.Second}))
	d := NewLookupDirectory(api, 0)
	c := &clock{t: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)}
	d.now = c.now
	return d, s, c
}

func TestLookupDirectoryCachesForADay(t *testing.T) {
	ctx := context.Background()
	d, s, c := newDirectory(t)
	s.AddUser("liis@example.com", "U0LIIS")

	for _, email := range []string{"liis@example.com", " Liis@Example.COM "} {
		id, err := d.UserID(ctx, email)
		if err != nil || id != "U0LIIS" {
			t.Fatalf("UserID(%q) = %q, %v", email, id, err)
		}
	}
	if n := len(s.Calls("users.lookupByEmail")); n != 1 {
		t.Fatalf("%d lookups, want 1 (the second answer is cached)", n)
	}
	c.t = c.t.Add(DefaultDirectoryTTL - time.Second)
	if _, err := d.UserID(ctx, "liis@example.com"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Calls("users.lookupByEmail")); n != 1 {
		t.Fatalf("%d lookups before the TTL ran out", n)
	}
	c.t = c.t.Add(2 * time.Second)
	if _, err := d.UserID(ctx, "liis@example.com"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Calls("users.lookupByEmail")); n != 2 {
		t.Fatalf("%d lookups, want a fresh one after the TTL", n)
	}
	d.Forget("LIIS@example.com")
	if _, err := d.UserID(ctx, "liis@example.com"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Calls("users.lookupByEmail")); n != 3 {
		t.Fatalf("%d lookups, want a fresh one after Forget", n)
	}
}

func TestLookupDirectoryNotFound(t *testing.T) {
	ctx := context.Background()
	d, s, c := newDirectory(t)
	_, err := d.UserID(ctx, "new@example.com")
	if class, _ := bot.ClassOf(err); err == nil || class != bot.Permanent {
		t.Fatalf("got %v (%v), want permanent", class, err)
	}
	// "Not found" is remembered, but only for an hour: people join.
	if _, err := d.UserID(ctx, "new@example.com"); err == nil {
		t.Fatal("cached not-found answered with success")
	}
	if n := len(s.Calls("users.lookupByEmail")); n != 1 {
		t.Fatalf("%d lookups, want 1", n)
	}
	s.AddUser("new@example.com", "U0NEW")
	c.t = c.t.Add(negativeTTL + time.Second)
	if id, err := d.UserID(ctx, "new@example.com"); err != nil || id != "U0NEW" {
		t.Fatalf("after the negative TTL: %q, %v", id, err)
	}
}

func TestLookupDirectoryDoesNotCacheFailures(t *testing.T) {
	ctx := context.Background()
	d, s, _ := newDirectory(t)
	s.AddUser("liis@example.com", "U0LIIS")
	s.FailNext("users.lookupByEmail", 1, slackfake.RateLimited(3))
	_, err := d.UserID(ctx, "liis@example.com")
	if class, after := bot.ClassOf(err); class != bot.RateLimited || after != 3*time.Second {
		t.Fatalf("got %v after %v (%v)", class, after, err)
	}
	if id, err := d.UserID(ctx, "liis@example.com"); err != nil || id != "U0LIIS" {
		t.Fatalf("retry: %q, %v", id, err)
	}
	if _, err := d.UserID(ctx, "  "); err == nil {
		t.Fatal("empty email resolved")
	}
}

func TestLookupDirectoryConcurrent(t *testing.T) {
	ctx := context.Background()
	d, s, _ := newDirectory(t)
	s.AddUser("liis@example.com", "U0LIIS")
	done := make(chan error)
	for range 20 {
		go func() {
			_, err := d.UserID(ctx, "liis@example.com")
			done <- err
		}()
	}
	for range 20 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
