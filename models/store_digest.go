package models

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// digestQuery is one digest's statistics being read.
type digestQuery struct {
	s   *Store
	p   *Policy
	db  *gorm.DB
	st  *DigestStats
	loc *time.Location
}

// monthCases selects the cases of the month's detractor responses: a case
// belongs to the month its response was submitted in, not the day it was
// opened, so November's responses imported on 2 December count for November.
const monthCases = `cases WHERE response_id IN (SELECT id FROM responses WHERE submitted_at >= ? AND submitted_at < ?)`

// likePattern matches a theme name inside the stored JSON array of themes.
func likePattern(name string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(jsonText(name)) + "%"
}

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

// terms streams the month's comments row by row: word counts for the
// distinctive terms and a bounded sample of quote candidates. Memory grows
// with the month's vocabulary, not with the table.
func (q *digestQuery) terms() error {
	st := q.st
	counts := NewTermCounts()
	var det, pro candHeap
	err := q.each("comments", `SELECT id, metric, segment, score, touchpoint, team_id, comment FROM responses
WHERE submitted_at >= ? AND submitted_at < ? AND comment <> ''`, []any{st.Start, st.End}, func(r *sql.Rows) error {
		var c quoteCandidate
		var metric, seg string
		if err := r.Scan(&c.q.ResponseID, &metric, &seg, &c.q.Score, &c.q.Touchpoint, &c.q.TeamName, &c.q.Text); err != nil {
			return err
		}
		c.q.Metric, c.q.Segment = Metric(metric), Segment(seg)
		toks := Tokens(c.q.Text)
		counts.Add(c.q.Segment, toks)
		if c.q.Segment == SegmentPassive || len(toks) < 3 {
			return nil
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(c.q.Text)); n < 20 || n > 600 {
			return nil
		}
		c.hash = idHash(c.q.ResponseID)
		h := &pro
		if c.q.Segment == SegmentDetractor {
			h = &det
		}
		if h.Len() < quoteSample || c.hash < (*h)[0].hash {
			c.tokens = distinct(toks)
			h.offer(c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	scores := counts.Scores()
	st.DetractorTerms, st.PromoterTerms = counts.DistinctiveTerms(scores, digestTerms)
	for _, c := range pickQuotes(det, scores, 1, digestDetQuotes) {
		st.Quotes = append(st.Quotes, q.finishQuote(c))
	}
	for _, c := range pickQuotes(pro, scores, -1, digestProQuotes) {
		st.Quotes = append(st.Quotes, q.finishQuote(c))
	}
	return nil
}

func (q *digestQuery) finishQuote(c quoteCandidate) Quote {
	out := c.q
	out.TeamName = q.teamName(out.TeamName) // the row held the team id
	out.Text = clipWords(RedactPersonalData(strings.Join(strings.Fields(out.Text), " ")), 280)
	return out
}
