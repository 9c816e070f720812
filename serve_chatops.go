package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/cxloop/cxloop/models"
)

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
