package slack

import (
	"context"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
)

var _ bot.HuddlePoster = (*Messenger)(nil)

// maxPraiseLen bounds one promoter's quote in a huddle.
const maxPraiseLen = 1200

// PostHuddle posts a team's huddle: the day's counts, a line per detractor
// and the promoters' words, thanking each employee they name with a mention
// when the directory knows them (owners are named, not mentioned: a morning
// post should not ping everyone who has a case).
func (m *Messenger) PostHuddle(ctx context.Context, channel string, h bot.Huddle) (string, error) {
	mentions := map[string]string{}
	for _, p := range h.Praise {
		e := strings.TrimSpace(p.Employee)
		if e == "" || m.dir == nil || mentions[e] != "" {
			continue
		}
		id, err := m.dir.UserID(ctx, e)
		switch {
		case err == nil && IsUserID(id):
			mentions[e] = "<@" + id + ">"
		case err != nil && !IsUserNotFound(err):
			return "", Classify(err)
		}
	}
	_, ts, err := m.api.PostMessageContext(ctx, channel, append(textMessage(Escape(h.Title())), slackgo.MsgOptionBlocks(HuddleBlocks(h, mentions)...))...)
	if err != nil {
		return "", fail("chat.postMessage", err)
	}
	return ts, nil
}

// HuddleBlocks renders a huddle in Block Kit. mentions maps an employee's
// email to a <@U…> built from a checked user id; others are named by their
// escaped email. Every customer word is escaped.
func HuddleBlocks(h bot.Huddle, mentions map[string]string) []slackgo.Block {
	blocks := []slackgo.Block{
		slackgo.NewHeaderBlock(plain(clip(h.Title(), 150))),
	}
	counts := "*" + Escape(h.Responses()) + "*"
	if l := h.NPSLine(); l != "" {
		counts += "\n" + Escape(l)
	}
	blocks = append(blocks, mrkdwnSection(counts))
	if len(h.Detractors) > 0 {
		lines := []string{"*" + Escape(h.DetractorsTitle()) + "*"}
		for i, d := range h.Detractors {
			if i == bot.HuddleLines {
				lines = append(lines, Escape(h.More(len(h.Detractors)-bot.HuddleLines)))
				break
			}
			lines = append(lines, "• "+h.DetractorLine(d, esc(oneLine(h.Words(d)), maxValueLen), esc(d.Owner, maxValueLen)))
		}
		for _, s := range sections(lines) {
			blocks = append(blocks, mrkdwnSection(s))
		}
	}
	if len(h.Praise) > 0 {
		blocks = append(blocks, slackgo.NewDividerBlock(), mrkdwnSection("*"+Escape(h.PraiseTitle())+"*"))
		for i, p := range h.Praise {
			if i == bot.HuddleLines {
				blocks = append(blocks, mrkdwnSection(Escape(h.More(len(h.Praise)-bot.HuddleLines))))
				break
			}
			q, _ := quoteWithin(h.Comment(p), maxPraiseLen)
			text := Escape(h.PraiseHeading(p)) + "\n" + q
			if e := strings.TrimSpace(p.Employee); e != "" {
				name := mentions[e]
				if name == "" {
					name = esc(e, maxValueLen)
				}
				text += "\n" + h.Thanks(name)
			}
			blocks = append(blocks, mrkdwnSection(text))
		}
	}
	return blocks
}

func mrkdwnSection(text string) *slackgo.SectionBlock {
	return slackgo.NewSectionBlock(mrkdwn(text), nil, nil)
}

// sections joins lines into section texts of at most Slack's 3,000
// characters each.
func sections(lines []string) []string {
	var out []string
	var b strings.Builder
	for _, l := range lines {
		if b.Len() > 0 && utf16Len(b.String())+1+utf16Len(l) > 3000 {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}
