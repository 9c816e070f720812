package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/jobs/digest"
	"github.com/cxloop/cxloop/models"
)

// digestPreview answers "digest [YYYY-MM]": the month's summary, privately.
// Without a month it is the last full month.
func digestPreview(ctx context.Context, poster *digest.Poster, clock models.Clock, month string) (string, error) {
	now := clock.Now()
	if month == "" {
		loc := poster.Policy.Location
		if loc == nil {
			loc = time.UTC
		}
		n := now.In(loc)
		month = time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -1, 0).Format("2006-01")
	}
	st, err := poster.Store.DigestStats(ctx, poster.Policy, month, now)
	if err != nil {
		return "", err
	}
	return "Preview (only you see this):\n" + digest.Summary(st), nil
}

// backlogText answers "backlog": the improvement items, most linked
// detractors first.
func backlogText(ctx context.Context, store *models.Store) (string, error) {
	items, err := store.Improvements(ctx, models.ImprovementFilter{Statuses: []string{
		models.ImprovementProposed, models.ImprovementInProgress}, Limit: 20})
	if err != nil {
		return "", err
	}
	if len(items) == 0 {
		return "The improvement backlog is empty: no systemic issue is open.", nil
	}
	var b strings.Builder
	b.WriteString("Improvement backlog, most detractors first:")
	for _, it := range items {
		owner := it.Owner
		if owner == "" {
			owner = "no owner"
		}
		fmt.Fprintf(&b, "\n#%d %s — %s, %d detractor case(s), %s (root cause: %s)", it.ID, it.Title,
			strings.ReplaceAll(it.Status, "_", " "), it.Linked, owner, it.RootCause)
	}
	return b.String(), nil
}
