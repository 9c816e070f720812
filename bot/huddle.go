package bot

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// HuddleLines is the most detractor lines and praise quotes a huddle shows;
// the rest are counted in a closing line, so the post stays readable (and
// within the platforms' limits) on a bad day.
const HuddleLines = 20

// Huddle is a team's previous day of feedback as its channel reads it in the
// morning: counts, the NPS of the day, each detractor with its owner and
// state, and the promoters' praise with the employees they name.
type Huddle struct {
	Lang     string
	TeamName string
	Day      time.Time // midnight of the day, in the team's zone
	models.HuddleDay
}

// HuddlePoster is a Messenger that renders a huddle itself (mentions of the
// praised employees, blocks or an Adaptive Card); others get HuddleText.
type HuddlePoster interface {
	PostHuddle(ctx context.Context, channel string, h Huddle) (ref string, err error)
}

// NewHuddle is the huddle of day for the team, in lang.
func NewHuddle(d models.HuddleDay, teamName, lang string, loc *time.Location) Huddle {
	day, _, _ := models.DayBounds(d.Day, loc)
	return Huddle{Lang: l10n.Lang(lang), TeamName: teamName, Day: day, HuddleDay: d}
}

// T is a catalog text in the huddle's language.
func (h Huddle) T(id string, kv ...any) string { return l10n.T(h.Lang, id, kv...) }

// Title names the team and the day.
func (h Huddle) Title() string {
	return h.T("huddle.title", "Team", h.TeamName, "Date", l10n.Date(h.Lang, h.Day))
}

// Responses counts the day's responses of every metric.
func (h Huddle) Responses() string { return l10n.N(h.Lang, "huddle.responses", h.HuddleDay.Responses) }

// NPSLine is the day's NPS with the number of answers it rests on; empty
// on a day without NPS answers.
func (h Huddle) NPSLine() string {
	if h.NPS.N() == 0 {
		return ""
	}
	return l10n.N(h.Lang, "huddle.nps", int(h.NPS.N()), "NPS", l10n.Signed(h.Lang, math.Round(h.NPS.Score()), 0))
}

// DetractorsTitle heads the detractor lines.
func (h Huddle) DetractorsTitle() string {
	return l10n.N(h.Lang, "huddle.detractors", len(h.Detractors))
}

// PraiseTitle heads the promoters' words.
func (h Huddle) PraiseTitle() string { return l10n.N(h.Lang, "huddle.praise", len(h.Praise)) }

// DetractorLine is one detractor: case, score, first words, owner, state.
// words and owner are written as the platform escapes them; an empty owner
// reads as nobody.
func (h Huddle) DetractorLine(d models.HuddleDetractor, words, owner string) string {
	if d.CaseID == 0 {
		return h.T("huddle.detractor_no_case", "Metric", strings.ToUpper(string(d.Metric)), "Score", d.Score, "Words", words)
	}
	if owner == "" {
		owner = h.T("rollup.nobody")
	}
	return h.T("huddle.detractor", "CaseID", d.CaseID, "Metric", strings.ToUpper(string(d.Metric)), "Score", d.Score,
		"Words", words, "Owner", owner, "State", h.T("state."+string(d.State)))
}

// Words is the first words of a detractor's comment, personal data masked.
func (h Huddle) Words(d models.HuddleDetractor) string {
	return models.FirstWords(models.MaskPersonalData(d.Comment), 8)
}

// Comment is a promoter's words, personal data masked.
func (h Huddle) Comment(p models.HuddlePraise) string {
	return strings.TrimSpace(models.MaskPersonalData(p.Comment))
}

// PraiseHeading introduces one promoter's words.
func (h Huddle) PraiseHeading(p models.HuddlePraise) string {
	return h.T("huddle.praise_from", "Metric", strings.ToUpper(string(p.Metric)), "Score", p.Score)
}

// Thanks names the praised employee: name is their mention or address as
// the platform writes it.
func (h Huddle) Thanks(name string) string { return h.T("huddle.thanks", "Name", name) }

// More closes a list cut short: omitted lines were left out.
func (h Huddle) More(omitted int) string { return l10n.N(h.Lang, "huddle.more", omitted) }

// HuddleText is the huddle as plain text, for platforms without their own
// rendering (the log transport).
func HuddleText(h Huddle) string {
	var b strings.Builder
	b.WriteString(h.Title() + "\n" + h.Responses())
	if l := h.NPSLine(); l != "" {
		b.WriteString("\n" + l)
	}
	if len(h.Detractors) > 0 {
		b.WriteString("\n\n" + h.DetractorsTitle())
		for i, d := range h.Detractors {
			if i == HuddleLines {
				b.WriteString("\n" + h.More(len(h.Detractors)-HuddleLines))
				break
			}
			b.WriteString("\n• " + h.DetractorLine(d, h.Words(d), d.Owner))
		}
	}
	if len(h.Praise) > 0 {
		b.WriteString("\n\n" + h.PraiseTitle())
		for i, p := range h.Praise {
			if i == HuddleLines {
				b.WriteString("\n" + h.More(len(h.Praise)-HuddleLines))
				break
			}
			b.WriteString("\n" + h.PraiseHeading(p))
			for _, line := range strings.Split(h.Comment(p), "\n") {
				b.WriteString("\n> " + line)
			}
			if p.Employee != "" {
				b.WriteString("\n" + h.Thanks(p.Employee))
			}
		}
	}
	return b.String()
}
