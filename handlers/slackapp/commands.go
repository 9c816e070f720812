package slackapp

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot/l10n"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/models"
)

// command runs a slash command in the background and answers through its
// response_url. It reports false when no worker was free.
func (a *App) command(cmd slackgo.SlashCommand) bool {
	return a.spawn("command", func(ctx context.Context) {
		to := target{UserID: cmd.UserID, ChannelID: cmd.ChannelID, ResponseURL: cmd.ResponseURL, HookFirst: true}
		actor, err := a.Directory.Email(ctx, cmd.UserID)
		if err != nil {
			a.Log.Warn("slack: who ran a command", "user", cmd.UserID, "err", err)
			a.reply(ctx, to, chatops.Reply{Text: a.whoAreYou()})
			return
		}
		// The backlog has buttons in Slack; ChatOps' text answer serves
		// the platforms without them.
		if chatops.IsBacklogCommand(commandText(cmd.Text)) {
			a.backlog(ctx, to, actor)
			return
		}
		ops := *a.Ops
		ops.Unresolved = a.Directory.Unresolved
		ops.Lang = a.Directory.Lang(ctx, actor, a.Policy.PersonLanguage(actor))
		reply := ops.Run(ctx, actor, commandText(cmd.Text), a.resolvePerson)
		a.reply(ctx, to, reply)
	})
}

// whoAreYou answers someone whose email Slack does not show, in the
// organisation's language: who they are is what is unknown.
func (a *App) whoAreYou() string { return l10n.T(a.Policy.TeamLanguage(""), "slack.who_are_you") }

// slackUserMention matches Slack's escaped user mention, <@U123> or <@U123|name>.
var slackUserMention = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>`)

// commandText turns a command's text as Slack sends it (with escaping on:
// mentions as <@U123|name>, the person's own <, > and & as entities) into
// the words they typed, mentions as <@U123>, so that a name with spaces
// cannot split the arguments and a note keeps its "<".
func commandText(s string) string {
	s = slackUserMention.ReplaceAllString(s, "<@$1>")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// slackMailto matches an email Slack turned into a link: <mailto:a@b.c|a@b.c>.
var slackMailto = regexp.MustCompile(`^<mailto:([^|<>]+)(?:\|[^<>]*)?>$`)

// resolvePerson turns a command's reference to a person into an email: a
// mention (<@U123>), or an email typed out (which Slack may send as a
// mailto link).
func (a *App) resolvePerson(ctx context.Context, ref string) (string, error) {
	if m := slackUserMention.FindStringSubmatch(ref); m != nil && m[0] == ref {
		return a.Directory.Email(ctx, m[1])
	}
	if m := slackMailto.FindStringSubmatch(ref); m != nil {
		ref = m[1]
	}
	if at := strings.IndexByte(ref, '@'); at > 0 && strings.Contains(ref[at:], ".") && !strings.ContainsAny(ref, "<>|") {
		return strings.ToLower(ref), nil
	}
	return "", errSlackNotAPerson
}

var errSlackNotAPerson = errors.New("not a mention or an email")

// target is where a private answer can go: an ephemeral message in a
// channel, a response_url, or else the person's DM with the bot.
type target struct {
	UserID, ChannelID, ResponseURL string
	// HookFirst tries the response_url before chat.postEphemeral, as a
	// command's answer should: it reaches channels the bot is not in.
	HookFirst bool
	// Public posts a command's answer for the whole channel to see.
	Public bool
}

// reply sends a command's answer: its text, escaped, and its cards as Block
// Kit, privately unless the reply asks otherwise.
func (a *App) reply(ctx context.Context, to target, r chatops.Reply) {
	text := slackReplyText(r.Text)
	var cards [][]slackgo.Block
	for _, c := range r.Cards {
		if r.Lang != "" {
			c.Lang = r.Lang
		}
		cards = append(cards, a.Messenger.CardBlocks(ctx, c))
	}
	to.Public = r.Public
	a.send(ctx, to, text, cxslack.ReplyBlocks(r.Lang, text, cards...))
}

// tell answers privately with escaped text.
func (a *App) tell(ctx context.Context, to target, escaped string) {
	a.send(ctx, to, escaped, cxslack.TextBlocks(escaped, "answer"))
}

// send delivers an answer by the first route that works. A command's
// answer goes to its response_url (it reaches any channel, even one the bot
// is not in); an interaction's answer is a chat.postEphemeral in its
// channel, with the response_url as the fallback; the bot's DM is the last
// resort.
func (a *App) send(ctx context.Context, to target, text string, blocks []slackgo.Block) {
	fallback := clipText(text, 3000)
	api := a.Messenger.API()
	opts := []slackgo.MsgOption{slackgo.MsgOptionText(fallback, false), slackgo.MsgOptionBlocks(blocks...),
		slackgo.MsgOptionDisableLinkUnfurl(), slackgo.MsgOptionDisableMediaUnfurl()}
	hook := func() bool {
		if to.ResponseURL == "" || !validResponseURL(to.ResponseURL) {
			return false
		}
		rt := "ephemeral"
		if to.Public {
			rt = "in_channel"
		}
		no := false
		msg := &slackgo.WebhookMessage{Text: fallback, Blocks: &slackgo.Blocks{BlockSet: blocks}, ResponseType: rt,
			UnfurlLinks: &no, UnfurlMedia: &no}
		err := slackgo.PostWebhookCustomHTTPContext(ctx, to.ResponseURL, a.HTTPClient, msg)
		if err != nil {
			a.Log.Warn("slack: answer through response_url", "err", err)
		}
		return err == nil
	}
	ephemeral := func() bool {
		if to.ChannelID == "" || to.UserID == "" {
			return false
		}
		_, err := api.PostEphemeralContext(ctx, to.ChannelID, to.UserID, opts...)
		if err != nil {
			a.Log.Warn("slack: ephemeral answer", "channel", to.ChannelID, "err", err)
		}
		return err == nil
	}
	routes := []func() bool{ephemeral, hook}
	if to.HookFirst {
		routes = []func() bool{hook, ephemeral}
	}
	for _, route := range routes {
		if route() {
			return
		}
	}
	if to.UserID == "" || ctx.Err() != nil {
		return
	}
	ch, _, _, err := api.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{to.UserID}, ReturnIM: true})
	if err != nil || ch == nil || ch.ID == "" {
		a.Log.Warn("slack: open a DM for an answer", "user", to.UserID, "err", err)
		return
	}
	if _, _, err := api.PostMessageContext(ctx, ch.ID, opts...); err != nil {
		a.Log.Warn("slack: DM an answer", "user", to.UserID, "err", err)
	}
}

// validResponseURL accepts a response_url worth posting to: http(s) with a host.
// It comes from a signed request, so Slack put it there.
func validResponseURL(s string) bool {
	return (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) && len(s) < 2048
}

// slackReplyText escapes a command's answer for mrkdwn; the usage table keeps
// its columns in a preformatted block.
func slackReplyText(s string) string {
	e := cxslack.Escape(s)
	for _, lang := range models.Languages {
		if u := cxslack.Escape(chatops.Usage(lang)); strings.Contains(e, u) {
			e = strings.Replace(e, u, "```"+u+"```", 1)
			break
		}
	}
	return e
}

func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
