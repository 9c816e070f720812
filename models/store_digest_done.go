package models

import (
	"database/sql"
	"strings"
	"time"
)

// doneItems: the improvements finished in the month, the customers told of
// each, and the detractors of its theme before and since.
func (q *digestQuery) doneItems() error {
	st := q.st
	var items []ImprovementItem
	if err := q.db.Where("status = ? AND done_at >= ? AND done_at < ?", ImprovementDone, st.Start, st.End).
		Order("done_at, id").Find(&items).Error; err != nil {
		return err
	}
	for _, it := range items {
		d := DoneItem{ImprovementSummary: ImprovementSummary{ImprovementItem: it}}
		err := q.each("customers told", `SELECT
  COALESCE(sum(CASE WHEN told_at IS NOT NULL AND told_via = ? THEN 1 ELSE 0 END), 0),
  COALESCE(sum(CASE WHEN told_at IS NOT NULL AND (told_via IS NULL OR told_via <> ?) THEN 1 ELSE 0 END), 0),
  COALESCE(sum(CASE WHEN told_at IS NULL THEN 1 ELSE 0 END), 0)
FROM fix_followups WHERE improvement_id = ?`, []any{ToldByEmail, ToldByEmail, it.ID}, func(r *sql.Rows) error {
			return r.Scan(&d.ToldByEmail, &d.ToldByPhone, &d.NotYetTold)
		})
		if err != nil {
			return err
		}
		themeCount := map[string]int64{}
		err = q.each("linked cases", `SELECT r.themes FROM cases c JOIN responses r ON r.id = c.response_id WHERE c.improvement_id = ?`,
			[]any{it.ID}, func(r *sql.Rows) error {
				var raw sql.NullString
				if err := r.Scan(&raw); err != nil {
					return err
				}
				d.Linked++
				for _, th := range q.p.Themes {
					if raw.Valid && strings.Contains(raw.String, jsonText(th.Name)) {
						themeCount[th.Name]++
					}
				}
				return nil
			})
		if err != nil {
			return err
		}
		d.Told = d.ToldByEmail + d.ToldByPhone
		d.CannotTell = max(0, d.Linked-d.ToldOf())
		for _, th := range q.p.Themes { // configuration order breaks ties
			if themeCount[th.Name] > themeCount[d.Theme] {
				d.Theme = th.Name
			}
		}
		if d.Theme != "" && it.DoneAt != nil {
			done := it.DoneAt.UTC()
			span := st.AsOf.Sub(done)
			d.Days = int(span.Hours() / 24)
			if d.Days >= 1 {
				span = time.Duration(d.Days) * 24 * time.Hour
				err = q.each("theme before and after", `SELECT
  COALESCE(sum(CASE WHEN submitted_at < ? THEN 1 ELSE 0 END), 0), COALESCE(sum(CASE WHEN submitted_at >= ? THEN 1 ELSE 0 END), 0)
FROM responses WHERE metric IN ('nps', 'csat', 'ces') AND segment = 'detractor' AND submitted_at >= ? AND submitted_at < ?
  AND themes LIKE ? ESCAPE '\'`, []any{done, done, done.Add(-span), done.Add(span), likePattern(d.Theme)}, func(r *sql.Rows) error {
					return r.Scan(&d.Before, &d.After)
				})
				if err != nil {
					return err
				}
			}
		}
		st.Improvements.DoneItems = append(st.Improvements.DoneItems, d)
	}
	return nil
}

// names: display names of the people the digest names, from the platform
// directory caches (the most recently checked entry with a name wins).
func (q *digestQuery) names() error {
	st := q.st
	var emails []string
	add := func(e string) {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			emails = append(emails, e)
		}
	}
	for _, r := range st.Recognition {
		add(r.Owner)
	}
	for _, it := range st.Improvements.Top {
		add(it.Owner)
	}
	for _, it := range st.Improvements.DoneItems {
		add(it.Owner)
	}
	if len(emails) == 0 {
		return nil
	}
	st.Names = map[string]string{}
	return q.each("names", `SELECT email, name FROM platform_users WHERE email IN ? AND name <> '' ORDER BY checked_at`,
		[]any{emails}, func(r *sql.Rows) error {
			var e, n string
			if err := r.Scan(&e, &n); err != nil {
				return err
			}
			st.Names[e] = n
			return nil
		})
}
