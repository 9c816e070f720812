package models

import (
	"strings"
	"time"
)

// DigestStats is everything the monthly digest reports about one calendar
// month in the organisation's time zone. It is computed in the database with
// aggregate queries; only the month's comments are streamed through Go, to
// count words and pick quotes.
type DigestStats struct {
	Month    string    // YYYY-MM
	Location string    // the time zone the month is counted in
	Start    time.Time // first instant of the month (UTC)
	End      time.Time // first instant of the next month (UTC), exclusive
	BuiltAt  time.Time // the "now" the digest was built at
	// Language is what the digest is written in: digest.language.
	Language string
	// AsOf is the instant overdue counts refer to: BuiltAt, or the month's
	// end for a month that is over, so a past month reads as it stood then.
	AsOf time.Time

	Responses int64 // all metrics
	NPS       NPS
	PrevNPS   NPS
	Change    NPSChange
	CSAT      *ScoreStats // nil when the month has no CSAT responses
	CES       *ScoreStats // nil when the month has no CES responses

	// Loop is the inner-loop health of the cases of the month's responses
	// (by when the response was submitted, not when its case was opened), all teams.
	Loop        LoopHealth
	Teams       []TeamStats // configured teams first, in configuration order
	Touchpoints []GroupNPS  // by NPS responses, most first

	Themes         []ThemeCount // detractor themes, most first
	DetractorTerms []Term       // words detractors use distinctly more than promoters
	PromoterTerms  []Term       // and the other way round
	Quotes         []Quote      // detractor quotes first, then promoter quotes

	Recognition []Recognition // owners with the most loops closed within SLA
	Trend       []MonthNPS    // twelve months ending with this one, oldest first

	Improvements ImprovementDigest

	// Targets are the organisation's goals (each team's are on TeamStats).
	Targets Targets
	// Names are people's display names from the platform directory caches,
	// by lower-case email; people not found there are shown by email.
	Names map[string]string
}

// Name is the display name of the person with that email, or the email.
func (st *DigestStats) Name(email string) string {
	if n := st.Names[strings.ToLower(email)]; n != "" {
		return n
	}
	return email
}

// ScoreStats summarises a CSAT or CES month.
type ScoreStats struct {
	N       int64
	Average float64
	// TopShare is the share (0..1) answering 4 or 5; it is the CSAT score.
	TopShare float64
}

// TooFew reports whether the sample is too small to show as a percentage.
func (s ScoreStats) TooFew() bool { return s.N < MinResponses }

// LoopHealth says how well detractor cases were followed up. Shares count
// the cases whose due time has passed (or that were done in time anyway);
// cases closed as "no contact" before being thanked or resolved are left out.
type LoopHealth struct {
	Cases  int64 // detractor cases of the month's responses
	Closed int64 // of those, resolved or closed without contact

	ThankDue      int64 // thanked, or thank-you due time passed
	ThankedInSLA  int64 // thanked_at ≤ thank_you_due_at
	ResolveDue    int64 // resolved, or resolution due time passed
	ResolvedInSLA int64

	// Median hours from opening to the thank-you and to the resolution; nil
	// when no case got there.
	MedianHoursToThank   *float64
	MedianHoursToResolve *float64

	// OverdueNow is the open cases past a due time at AsOf (any month).
	OverdueNow int64
}

// ThankedShare is ThankedInSLA / ThankDue (0 when nothing was due).
func (l LoopHealth) ThankedShare() float64 { return share(l.ThankedInSLA, l.ThankDue) }

// ResolvedShare is ResolvedInSLA / ResolveDue.
func (l LoopHealth) ResolvedShare() float64 { return share(l.ResolvedInSLA, l.ResolveDue) }

// CloseRate is Closed / Cases.
func (l LoopHealth) CloseRate() float64 { return share(l.Closed, l.Cases) }

func share(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// TeamStats is one team's month.
type TeamStats struct {
	ID, Name  string
	Responses int64 // all metrics
	NPS       NPS
	Loop      LoopHealth
	Targets   Targets // the team's, with the organisation's where it sets none
}

// GroupNPS is the NPS of one group (a touchpoint).
type GroupNPS struct {
	Name string // "" for responses without one
	NPS  NPS
}

// ThemeCount is a configured theme among the month's detractors.
type ThemeCount struct {
	Name      string
	Count     int64 // detractor responses tagged with it this month
	PrevCount int64 // and the month before
}

// Change is Count − PrevCount.
func (t ThemeCount) Change() int64 { return t.Count - t.PrevCount }

// Term is a word with its weighted log-odds z-score: positive when
// detractors use it more than promoters.
type Term struct {
	Word       string
	Detractors int64 // occurrences in detractor comments
	Promoters  int64 // occurrences in promoter comments
	Z          float64
}

// Quote is a customer's words, with contact details removed.
type Quote struct {
	ResponseID int64
	Segment    Segment
	Metric     Metric
	Score      int
	Touchpoint string
	TeamName   string
	Text       string
}

// Recognition is an owner and the loops they closed within SLA in the month.
type Recognition struct {
	Owner string
	Loops int64
}

// MonthNPS is one month of the trend.
type MonthNPS struct {
	Month string
	NPS   NPS
}

// ImprovementDigest is the outer loop's month.
type ImprovementDigest struct {
	Opened     int64 // items created in the month
	InProgress int64 // items in progress when the digest was built
	Done       int64 // items marked done in the month
	// Top is the open items with the most linked detractor cases, at most
	// three: the proposed priorities.
	Top []ImprovementSummary
	// DoneItems are the items marked done in the month, in the order done.
	DoneItems []DoneItem
}

// MaxInProgress is how many improvement items may be in progress before the
// digest warns that there are too many ("fewer priorities are better").
const MaxInProgress = 5

// DoneItem is an improvement finished in the month and what came of it.
type DoneItem struct {
	ImprovementSummary
	// Customers told of the fix: by the fix_done email, by the owner (by
	// phone), not yet; and linked customers who cannot be told (no contact
	// possible or no consent).
	ToldByEmail, ToldByPhone, NotYetTold, CannotTell int64
	// Theme is the theme most of the linked detractors named ("" if none).
	Theme string
	// Before and After count the detractor responses with Theme in the
	// Days before the item was done and in the same number of days since
	// (up to AsOf), so the two counts cover equal spans.
	Before, After int64
	Days          int
}

// ToldOf is how many customers can be told of the fix.
func (d DoneItem) ToldOf() int64 { return d.ToldByEmail + d.ToldByPhone + d.NotYetTold }

// Digest sizes.
const (
	digestTerms        = 10
	digestDetQuotes    = 3
	digestProQuotes    = 2
	digestTrendMonths  = 12
	digestRecognitions = 3
	digestTopItems     = 3
)
