package models

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
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

// DigestStats computes the digest of a calendar month ("YYYY-MM") in
// p.Location. now is the instant open and overdue counts refer to. On
// PostgreSQL every query reads one snapshot.
func (s *Store) DigestStats(ctx context.Context, p *Policy, month string, now time.Time) (*DigestStats, error) {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	start, end, err := MonthBounds(month, loc)
	if err != nil {
		return nil, err
	}
	st := &DigestStats{Month: month, Location: loc.String(), Start: start, End: end, BuiltAt: now.UTC(), AsOf: now.UTC(), Targets: p.Targets}
	if st.AsOf.After(end) {
		st.AsOf = end
	}
	st.Language = SupportedLanguage(p.DigestLanguage, SupportedLanguage(p.Language, LangEnglish))
	q := digestQuery{s: s, p: p, st: st, loc: loc}
	run := func(db *gorm.DB) error {
		q.db = db
		for _, step := range []func() error{q.responses, q.trend, q.loop, q.overdue, q.themes, q.terms, q.recognition, q.improvements, q.doneItems, q.names} {
			if err := step(); err != nil {
				return err
			}
		}
		q.sortTeams()
		return nil
	}
	db := s.db.WithContext(ctx)
	if s.postgres {
		err = db.Transaction(func(tx *gorm.DB) error {
			// Each query is one pass over a month or a year: compiling it
			// costs more than it saves.
			if err := tx.Exec("SET LOCAL jit = off").Error; err != nil {
				return err
			}
			// The median's window sort fits in memory.
			if err := tx.Exec("SET LOCAL work_mem = '32MB'").Error; err != nil {
				return err
			}
			return run(tx)
		}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	} else {
		// SQLite: a transaction would take the write lock (_txlock=immediate);
		// the single connection already serialises everything.
		err = run(db)
	}
	if err != nil {
		return nil, fmt.Errorf("digest %s: %w", month, err)
	}
	return st, nil
}

type digestQuery struct {
	s   *Store
	p   *Policy
	db  *gorm.DB
	st  *DigestStats
	loc *time.Location
}

// each runs a query and calls fn for every row.
func (q *digestQuery) each(what, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.db.Raw(query, args...).Rows()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// hours is the SQL for the hours from a to b (timestamps).
func (q *digestQuery) hours(a, b string) string {
	if q.s.postgres {
		return "CAST(EXTRACT(EPOCH FROM (" + b + " - " + a + ")) / 3600.0 AS DOUBLE PRECISION)"
	}
	return "((julianday(" + b + ") - julianday(" + a + ")) * 24.0)"
}

func (q *digestQuery) teamName(id string) string {
	if t, ok := q.p.Team(id); ok && t.Name != "" {
		return t.Name
	}
	return id
}

// team returns the month's entry for a team, adding it when new.
func (q *digestQuery) team(id string) *TeamStats {
	for i := range q.st.Teams {
		if q.st.Teams[i].ID == id {
			return &q.st.Teams[i]
		}
	}
	q.st.Teams = append(q.st.Teams, TeamStats{ID: id, Name: q.teamName(id), Targets: q.p.TeamTargets(id)})
	return &q.st.Teams[len(q.st.Teams)-1]
}

// sortTeams keeps the configured teams in configuration order and puts
// teams found only in the data (renamed or removed since) after them, by name.
func (q *digestQuery) sortTeams() {
	configured := len(q.p.Teams)
	if configured > len(q.st.Teams) {
		return
	}
	extra := q.st.Teams[configured:]
	sort.Slice(extra, func(i, j int) bool { return extra[i].Name < extra[j].Name })
}

// responses: counts by metric, segment, team and touchpoint in one pass
// over the month, folded into the headline, teams and touchpoints.
func (q *digestQuery) responses() error {
	st := q.st
	for _, t := range q.p.Teams {
		q.team(t.ID)
	}
	var csat, ces ScoreStats
	var csatSum, cesSum int64
	touch := map[string]*NPS{}
	err := q.each("count responses", `SELECT metric, segment, team_id, touchpoint, count(*),
  CAST(COALESCE(sum(score), 0) AS BIGINT), COALESCE(sum(CASE WHEN score >= 4 THEN 1 ELSE 0 END), 0)
FROM responses WHERE submitted_at >= ? AND submitted_at < ?
GROUP BY metric, segment, team_id, touchpoint`, []any{st.Start, st.End}, func(r *sql.Rows) error {
		var metric, seg, team, tp string
		var n, sum, top int64
		if err := r.Scan(&metric, &seg, &team, &tp, &n, &sum, &top); err != nil {
			return err
		}
		st.Responses += n
		ts := q.team(team)
		ts.Responses += n
		switch Metric(metric) {
		case MetricNPS:
			st.NPS.add(Segment(seg), n)
			ts.NPS.add(Segment(seg), n)
			if touch[tp] == nil {
				touch[tp] = &NPS{}
			}
			touch[tp].add(Segment(seg), n)
		case MetricCSAT:
			csat.N += n
			csatSum += sum
			csat.TopShare += float64(top)
		case MetricCES:
			ces.N += n
			cesSum += sum
		}
		return nil
	})
	if err != nil {
		return err
	}
	if csat.N > 0 {
		csat.Average, csat.TopShare = float64(csatSum)/float64(csat.N), csat.TopShare/float64(csat.N)
		st.CSAT = &csat
	}
	if ces.N > 0 {
		ces.Average = float64(cesSum) / float64(ces.N)
		st.CES = &ces
	}
	for name, n := range touch {
		st.Touchpoints = append(st.Touchpoints, GroupNPS{Name: name, NPS: *n})
	}
	sort.Slice(st.Touchpoints, func(i, j int) bool {
		a, b := st.Touchpoints[i], st.Touchpoints[j]
		if a.NPS.N() != b.NPS.N() {
			return a.NPS.N() > b.NPS.N()
		}
		return a.Name < b.Name
	})
	return nil
}

// trend: NPS for the twelve months ending with this one, month by month;
// each query counts one range of the (metric, segment, submitted_at) index.
func (q *digestQuery) trend() error {
	st := q.st
	st.Trend = make([]MonthNPS, digestTrendMonths)
	for i := range st.Trend {
		m := &st.Trend[i]
		m.Month = AddMonths(st.Month, i-digestTrendMonths+1)
		start, end, err := MonthBounds(m.Month, q.loc)
		if err != nil {
			return err
		}
		err = q.each("nps trend", `SELECT segment, count(*) FROM responses
WHERE metric = 'nps' AND segment IN ('promoter', 'passive', 'detractor') AND submitted_at >= ? AND submitted_at < ?
GROUP BY segment`, []any{start, end}, func(r *sql.Rows) error {
			var seg string
			var n int64
			if err := r.Scan(&seg, &n); err != nil {
				return err
			}
			m.NPS.add(Segment(seg), n)
			return nil
		})
		if err != nil {
			return err
		}
	}
	st.PrevNPS = st.Trend[digestTrendMonths-2].NPS
	st.Change = CompareNPS(st.NPS, st.PrevNPS)
	return nil
}

// monthCases selects the cases of the month's detractor responses: a case
// belongs to the month its response was submitted in, not the day it was
// opened, so November's responses imported on 2 December count for November.
const monthCases = `cases WHERE response_id IN (SELECT id FROM responses WHERE submitted_at >= ? AND submitted_at < ?)`

// loop: the follow-up of the cases of the month's responses, per team, and
// the median times in SQL (window functions: SQLite has no percentile function).
func (q *digestQuery) loop() error {
	st := q.st
	now := st.BuiltAt
	err := q.each("case follow-up", `SELECT team_id, count(*),
  COALESCE(sum(CASE WHEN state IN ('resolved', 'no_contact') THEN 1 ELSE 0 END), 0),
  COALESCE(sum(CASE WHEN thanked_at IS NOT NULL OR (state <> 'no_contact' AND thank_you_due_at <= ?) THEN 1 ELSE 0 END), 0),
  COALESCE(sum(CASE WHEN thanked_at IS NOT NULL AND thanked_at <= thank_you_due_at THEN 1 ELSE 0 END), 0),
  COALESCE(sum(CASE WHEN resolved_at IS NOT NULL OR (state <> 'no_contact' AND resolution_due_at <= ?) THEN 1 ELSE 0 END), 0),
  COALESCE(sum(CASE WHEN resolved_at IS NOT NULL AND resolved_at <= resolution_due_at THEN 1 ELSE 0 END), 0)
FROM `+monthCases+` GROUP BY team_id`, []any{now, now, st.Start, st.End}, func(r *sql.Rows) error {
		var team string
		var l LoopHealth
		if err := r.Scan(&team, &l.Cases, &l.Closed, &l.ThankDue, &l.ThankedInSLA, &l.ResolveDue, &l.ResolvedInSLA); err != nil {
			return err
		}
		q.team(team).Loop = l
		st.Loop.Cases += l.Cases
		st.Loop.Closed += l.Closed
		st.Loop.ThankDue += l.ThankDue
		st.Loop.ThankedInSLA += l.ThankedInSLA
		st.Loop.ResolveDue += l.ResolveDue
		st.Loop.ResolvedInSLA += l.ResolvedInSLA
		return nil
	})
	if err != nil {
		return err
	}
	// Medians per (kind, team) and over all teams (tot = 1): the middle row,
	// or the mean of the two middle rows, of each partition.
	medianSQL := `WITH base AS MATERIALIZED (
  SELECT team_id, ` + q.hours("opened_at", "thanked_at") + ` AS ht, ` + q.hours("opened_at", "resolved_at") + ` AS hr
  FROM ` + monthCases + `
), d AS MATERIALIZED (
  SELECT 't' AS k, team_id AS g, ht AS h FROM base WHERE ht IS NOT NULL
  UNION ALL SELECT 'r', team_id, hr FROM base WHERE hr IS NOT NULL
), r AS (
  SELECT k, 0 AS tot, g, h, row_number() OVER (PARTITION BY k, g ORDER BY h) AS rn, count(*) OVER (PARTITION BY k, g) AS cnt FROM d
  UNION ALL
  SELECT k, 1, '', h, row_number() OVER (PARTITION BY k ORDER BY h), count(*) OVER (PARTITION BY k) FROM d
)
SELECT k, tot, g, avg(h) FROM r WHERE rn = (cnt + 1) / 2 OR rn = (cnt + 2) / 2 GROUP BY k, tot, g`
	return q.each("median follow-up times", medianSQL, []any{st.Start, st.End}, func(r *sql.Rows) error {
		var k, g string
		var tot int
		var h float64
		if err := r.Scan(&k, &tot, &g, &h); err != nil {
			return err
		}
		l := &st.Loop
		if tot == 0 {
			l = &q.team(g).Loop
		}
		v := h
		if k == "t" {
			l.MedianHoursToThank = &v
		} else {
			l.MedianHoursToResolve = &v
		}
		return nil
	})
}

// overdue: the cases that were open and past a due time at AsOf, whenever
// they were opened. The timestamps, not the current state, decide, so a
// past month counts what was overdue at its end.
func (q *digestQuery) overdue() error {
	at := q.st.AsOf
	return q.each("overdue cases", `SELECT team_id, count(*) FROM cases
WHERE opened_at < ? AND (closed_at IS NULL OR closed_at > ?) AND (resolved_at IS NULL OR resolved_at > ?)
  AND (((thanked_at IS NULL OR thanked_at > ?) AND thank_you_due_at < ?) OR resolution_due_at < ?)
GROUP BY team_id`, []any{at, at, at, at, at, at}, func(r *sql.Rows) error {
		var team string
		var n int64
		if err := r.Scan(&team, &n); err != nil {
			return err
		}
		q.team(team).Loop.OverdueNow = n
		q.st.Loop.OverdueNow += n
		return nil
	})
}

// likePattern matches a theme name inside the stored JSON array of themes.
func likePattern(name string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(jsonText(name)) + "%"
}

// themes: the configured themes among this and last month's detractors, in
// one pass over the two months.
func (q *digestQuery) themes() error {
	st := q.st
	if len(q.p.Themes) == 0 {
		return nil
	}
	prevStart, _, err := MonthBounds(AddMonths(st.Month, -1), q.loc)
	if err != nil {
		return err
	}
	var sb strings.Builder
	args := []any{st.Start}
	sb.WriteString("SELECT CASE WHEN submitted_at < ? THEN 0 ELSE 1 END AS cur")
	for _, th := range q.p.Themes {
		sb.WriteString(`, COALESCE(sum(CASE WHEN themes LIKE ? ESCAPE '\' THEN 1 ELSE 0 END), 0)`)
		args = append(args, likePattern(th.Name))
	}
	// The metric list lets the (metric, segment, submitted_at) index find the detractors.
	sb.WriteString(" FROM responses WHERE metric IN ('nps', 'csat', 'ces') AND segment = 'detractor' AND submitted_at >= ? AND submitted_at < ? GROUP BY 1")
	args = append(args, prevStart, st.End)
	counts := make([]ThemeCount, len(q.p.Themes))
	for i, th := range q.p.Themes {
		counts[i].Name = th.Name
	}
	err = q.each("detractor themes", sb.String(), args, func(r *sql.Rows) error {
		var cur int
		vals := make([]int64, len(counts))
		dst := []any{&cur}
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		if err := r.Scan(dst...); err != nil {
			return err
		}
		for i, v := range vals {
			if cur == 1 {
				counts[i].Count = v
			} else {
				counts[i].PrevCount = v
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range counts {
		if c.Count > 0 || c.PrevCount > 0 {
			st.Themes = append(st.Themes, c)
		}
	}
	sort.SliceStable(st.Themes, func(i, j int) bool { return st.Themes[i].Count > st.Themes[j].Count })
	return nil
}

// recognition: the owners with the most cases resolved within SLA in the month.
func (q *digestQuery) recognition() error {
	st := q.st
	return q.each("recognition", `SELECT owner, count(*) AS n FROM cases
WHERE resolved_at >= ? AND resolved_at < ? AND resolved_at <= resolution_due_at AND owner <> ''
GROUP BY owner ORDER BY n DESC, owner LIMIT ?`, []any{st.Start, st.End, digestRecognitions}, func(r *sql.Rows) error {
		var rec Recognition
		if err := r.Scan(&rec.Owner, &rec.Loops); err != nil {
			return err
		}
		st.Recognition = append(st.Recognition, rec)
		return nil
	})
}

// improvements: the outer loop's month and its three priorities.
func (q *digestQuery) improvements() error {
	st := q.st
	err := q.each("improvement items", `SELECT
  COALESCE(sum(CASE WHEN created_at >= ? AND created_at < ? THEN 1 ELSE 0 END), 0),
  COALESCE(sum(CASE WHEN status = 'in_progress' THEN 1 ELSE 0 END), 0),
  COALESCE(sum(CASE WHEN status = 'done' AND done_at >= ? AND done_at < ? THEN 1 ELSE 0 END), 0)
FROM improvement_items`, []any{st.Start, st.End, st.Start, st.End}, func(r *sql.Rows) error {
		return r.Scan(&st.Improvements.Opened, &st.Improvements.InProgress, &st.Improvements.Done)
	})
	if err != nil {
		return err
	}
	top, err := listImprovements(q.db, ImprovementFilter{Statuses: []string{ImprovementProposed, ImprovementInProgress}, Limit: digestTopItems})
	if err != nil {
		return err
	}
	st.Improvements.Top = top
	return nil
}
