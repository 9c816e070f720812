package slack

import (
	"bytes"
	"context"
	"strings"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// DigestChartName and DigestReportName are the names of the files attached
// to a digest post.
const (
	DigestChartName  = "nps-trend.png"
	DigestReportName = "cx-digest.html"
)

// PostDigest posts the monthly digest to a leadership channel as one
// message: a Block Kit summary with the trend chart and the full HTML
// report attached through Slack's files upload flow
// (files.getUploadURLExternal, the upload, files.completeUploadExternal).
// It returns the chart's file id. The summary is outside text and is
// escaped like every other. Without files it posts the blocks alone.
func (m *Messenger) PostDigest(ctx context.Context, channel string, p bot.DigestPost) (string, error) {
	title, chartPNG, reportHTML, lang := p.Title, p.ChartPNG, p.ReportHTML, p.Language
	blocks := DigestBlocks(p, len(chartPNG) > 0 || len(reportHTML) > 0)
	type upload struct {
		name, title, alt string
		data             []byte
	}
	var files []slackgo.FileSummary
	for _, u := range []upload{
		{DigestChartName, l10n.T(lang, "report.post.chart_title"), l10n.T(lang, "report.post.chart_alt"), chartPNG},
		{DigestReportName, title, "", reportHTML},
	} {
		if len(u.data) == 0 {
			continue
		}
		up, err := m.api.GetUploadURLExternalContext(ctx, slackgo.GetUploadURLExternalParameters{FileName: u.name, FileSize: len(u.data), AltTxt: u.alt})
		if err != nil {
			return "", fail("files.getUploadURLExternal", err)
		}
		err = m.api.UploadToURL(ctx, slackgo.UploadToURLParameters{UploadURL: up.UploadURL, Reader: bytes.NewReader(u.data), Filename: u.name})
		if err != nil {
			return "", fail("file upload", err)
		}
		files = append(files, slackgo.FileSummary{ID: up.FileID, Title: u.title})
	}
	if len(files) == 0 {
		_, ts, err := m.api.PostMessageContext(ctx, channel, slackgo.MsgOptionBlocks(blocks...), slackgo.MsgOptionText(Escape(title), false))
		if err != nil {
			return "", fail("chat.postMessage", err)
		}
		return ts, nil
	}
	_, err := m.api.CompleteUploadExternalContext(ctx, slackgo.CompleteUploadExternalParameters{
		Files: files, Channel: channel, Blocks: slackgo.Blocks{BlockSet: blocks},
	})
	if err != nil {
		return "", fail("files.completeUploadExternal", err)
	}
	return files[0].ID, nil
}

// DigestBlocks is the Block Kit summary of a digest: the title as a header,
// then the summary's lines, escaped, within Slack's limits, then "Open the
// full report" linking to the signed report URL when there is one.
func DigestBlocks(p bot.DigestPost, attached bool) []slackgo.Block {
	title, summary, lang := p.Title, p.Summary, p.Language
	title = strings.Join(strings.Fields(title), " ")
	if utf8.RuneCountInString(title) > 150 {
		title = string([]rune(title)[:149]) + "…"
	}
	blocks := []slackgo.Block{slackgo.NewHeaderBlock(slackgo.NewTextBlockObject(slackgo.PlainTextType, title, false, false))}
	lines := strings.Split(strings.TrimSpace(summary), "\n")
	if len(lines) > 0 && strings.TrimSpace(lines[0]) == title {
		lines = lines[1:]
	}
	var sec strings.Builder
	flush := func() {
		if sec.Len() > 0 {
			blocks = append(blocks, slackgo.NewSectionBlock(slackgo.NewTextBlockObject(slackgo.MarkdownType, sec.String(), false, true), nil, nil))
			sec.Reset()
		}
	}
	for _, l := range lines {
		l = Escape(strings.TrimSpace(l))
		if l == "" {
			continue
		}
		if utf8.RuneCountInString(l) > 2900 {
			l = string([]rune(l)[:2899]) + "…"
		}
		if sec.Len()+len(l)+1 > 2900 {
			flush()
		}
		if sec.Len() > 0 {
			sec.WriteByte('\n')
		}
		sec.WriteString(l)
	}
	flush()
	if len(blocks) > 47 {
		blocks = blocks[:47]
	}
	if p.ReportURL != "" {
		// A plain link, not a button: a button would also send an action
		// to the app, which has nothing to do with it.
		link := "*<" + p.ReportURL + "|" + Escape(l10n.T(lang, "report.post.open")) + ">*"
		blocks = append(blocks, slackgo.NewSectionBlock(slackgo.NewTextBlockObject(slackgo.MarkdownType, link, false, true), nil, nil),
			slackgo.NewContextBlock("", slackgo.NewTextBlockObject(slackgo.MarkdownType,
				Escape(l10n.T(lang, "report.post.link_note", "Days", l10n.Number(lang, models.DigestLinkDays))), false, true)))
	}
	if attached {
		blocks = append(blocks, slackgo.NewContextBlock("", slackgo.NewTextBlockObject(slackgo.MarkdownType,
			Escape(l10n.T(lang, "report.post.attached")), false, true)))
	}
	return blocks
}
