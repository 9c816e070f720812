package slack_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
	cxslack "github.com/cxloop/cxloop/bot/slack"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		class bot.ErrorClass
		after time.Duration
	}{
		{"rate limited", &slackgo.RateLimitedError{RetryAfter: 7 * time.Second}, bot.RateLimited, 7 * time.Second},
		{"rate limited, no wait", &slackgo.RateLimitedError{}, bot.RateLimited, cxslack.DefaultRetryAfter},
		{"429 status", slackgo.StatusCodeError{Code: 429}, bot.RateLimited, cxslack.DefaultRetryAfter},
		{"ratelimited error", slackgo.SlackErrorResponse{Err: "ratelimited"}, bot.RateLimited, cxslack.DefaultRetryAfter},
		{"500", slackgo.StatusCodeError{Code: 500}, bot.Transient, 0},
		{"502", slackgo.StatusCodeError{Code: 502}, bot.Transient, 0},
		{"408", slackgo.StatusCodeError{Code: 408}, bot.Transient, 0},
		{"404", slackgo.StatusCodeError{Code: 404}, bot.Permanent, 0},
		{"deadline", fmt.Errorf("post: %w", context.DeadlineExceeded), bot.Transient, 0},
		{"canceled", context.Canceled, bot.Transient, 0},
		{"connection refused", &url.Error{Op: "Post", URL: "https://slack.com/api/x", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, bot.Transient, 0},
		{"EOF", &url.Error{Op: "Post", URL: "https://slack.com/api/x", Err: io.EOF}, bot.Transient, 0},
		{"internal_error", slackgo.SlackErrorResponse{Err: "internal_error"}, bot.Transient, 0},
		{"unknown error string", slackgo.SlackErrorResponse{Err: "something_new"}, bot.Transient, 0},
		{"already classified", bot.PermanentError(errors.New("x")), bot.Permanent, 0},
	}
	for _, code := range []string{"channel_not_found", "not_in_channel", "invalid_auth", "account_inactive", "token_revoked",
		"is_archived", "msg_too_long", "no_text", "invalid_blocks", "users_not_found", "user_not_found",
		"cant_update_message", "message_not_found", "not_authed", "missing_scope"} {
		tests = append(tests, struct {
			name  string
			err   error
			class bot.ErrorClass
			after time.Duration
		}{code, fmt.Errorf("slack chat.postMessage: %w", slackgo.SlackErrorResponse{Err: code}), bot.Permanent, 0})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cxslack.Classify(tt.err)
			var de *bot.DeliveryError
			if !errors.As(err, &de) {
				t.Fatalf("got %T", err)
			}
			if de.Class != tt.class || de.RetryAfter != tt.after {
				t.Fatalf("got %v after %v, want %v after %v", de.Class, de.RetryAfter, tt.class, tt.after)
			}
			// SlackErrorResponse holds slices, so errors.Is cannot compare
			// it; the message shows the original is kept.
			if !errors.Is(err, tt.err) && (de.Err == nil || de.Err.Error() != tt.err.Error()) {
				t.Fatalf("wrapped %v, want %v", de.Err, tt.err)
			}
		})
	}
	if cxslack.Classify(nil) != nil {
		t.Fatal("Classify(nil) is not nil")
	}
}
