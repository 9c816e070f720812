package slack

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
)

// DefaultRetryAfter is the wait given to a rate-limited call whose response
// named no Retry-After (a bare 429, or a "ratelimited" error in a 200). Slack
// documents no default; half a minute matches the waits it usually asks for.
const DefaultRetryAfter = 30 * time.Second

// Classify turns an error from a slack-go call into a *bot.DeliveryError so
// the delivery worker knows whether to retry, wait or give up. A nil error
// stays nil, a DeliveryError is returned unchanged, and anything unrecognised
// is Transient: retrying a message is safer than dropping it.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var de *bot.DeliveryError
	if errors.As(err, &de) {
		return err
	}
	class, after := classOf(err)
	return &bot.DeliveryError{Class: class, RetryAfter: after, Err: err}
}

func classOf(err error) (bot.ErrorClass, time.Duration) {
	var rl *slackgo.RateLimitedError
	if errors.As(err, &rl) {
		after := rl.RetryAfter
		if after <= 0 {
			after = DefaultRetryAfter
		}
		return bot.RateLimited, after
	}
	var sc slackgo.StatusCodeError
	if errors.As(err, &sc) {
		return statusClass(sc.Code)
	}
	var api slackgo.SlackErrorResponse
	if errors.As(err, &api) {
		return apiErrorClass(api.Err)
	}
	// Timeouts (the client's or the caller's context), refused or reset
	// connections, truncated or non-JSON responses all end up here: each is
	// worth another try.
	return bot.Transient, 0
}

// statusClass classifies a non-200 HTTP status. slack-go reports a 429 as a
// StatusCodeError only when the response carried no Retry-After.
func statusClass(code int) (bot.ErrorClass, time.Duration) {
	switch {
	case code == http.StatusTooManyRequests:
		return bot.RateLimited, DefaultRetryAfter
	case code == http.StatusRequestTimeout, code >= 500:
		return bot.Transient, 0
	case code >= 400:
		// 404 is an unknown method or a wrong API URL, 401/403 a rejected
		// token: sending the same request again cannot help.
		return bot.Permanent, 0
	}
	return bot.Transient, 0
}

// apiErrorClass classifies the "error" string of an {"ok":false} response.
func apiErrorClass(code string) (bot.ErrorClass, time.Duration) {
	switch code {
	case "ratelimited", "rate_limited":
		return bot.RateLimited, DefaultRetryAfter
	case
		// The destination does not exist or the bot may not post there.
		"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived",
		"restricted_action", "restricted_action_read_only_channel",
		"restricted_action_thread_only_channel", "restricted_action_non_threadable_channel",
		"cannot_dm_bot", "messages_tab_disabled", "ekm_access_denied", "team_access_not_granted",
		// The token is wrong, gone, or lacks a scope: an operator must act.
		"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
		"no_permission", "missing_scope", "not_allowed_token_type", "org_login_required",
		// The message itself is unacceptable and will be again.
		"msg_too_long", "msg_blocks_too_long", "no_text", "invalid_blocks", "invalid_blocks_format",
		"too_many_attachments", "invalid_arguments", "invalid_array_arg", "invalid_charset",
		"invalid_form_data", "invalid_post_type", "missing_post_type", "invalid_metadata_format",
		"invalid_metadata_schema", "metadata_too_large", "too_many_users",
		// The person or message concerned does not exist (any more).
		"users_not_found", "user_not_found", "user_not_visible", "user_disabled",
		"cant_update_message", "message_not_found", "edit_window_closed", "invalid_ts":
		return bot.Permanent, 0
	}
	// internal_error, fatal_error, service_unavailable, request_timeout and
	// errors Slack adds later: retry, the worker caps the attempts.
	return bot.Transient, 0
}

// fail wraps a slack-go error with the method that failed and classifies it.
func fail(method string, err error) error {
	return Classify(fmt.Errorf("slack %s: %w", method, err))
}
