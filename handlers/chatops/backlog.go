package chatops

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/models"
)

// How many items each list of the backlog shows; the rest are counted.
const (
	backlogOpenShown   = 15
	backlogClosedShown = 5
)

// IsBacklogCommand reports whether a /cx text asks for the backlog.
func IsBacklogCommand(text string) bool {
	f := strings.Fields(text)
	return len(f) > 0 && strings.EqualFold(f[0], "backlog")
}

// BacklogLists reads the open and the closed items as the backlog shows
// them, with how many of each are left out.
func BacklogLists(ctx context.Context, s *models.Store) (open, closed []models.ImprovementSummary, moreOpen, moreClosed int, err error) {
	open, err = s.Improvements(ctx, models.ImprovementFilter{
		Statuses: []string{models.ImprovementProposed, models.ImprovementInProgress}, Limit: 1000})
	if err != nil {
		return nil, nil, 0, 0, err
	}
	closed, err = s.Improvements(ctx, models.ImprovementFilter{
		Statuses: []string{models.ImprovementDone, models.ImprovementDropped}, Limit: 1000})
	if err != nil {
		return nil, nil, 0, 0, err
	}
	// The closed list shows the latest changes first.
	sort.SliceStable(closed, func(i, j int) bool { return closed[i].UpdatedAt.After(closed[j].UpdatedAt) })
	if len(open) > backlogOpenShown {
		moreOpen, open = len(open)-backlogOpenShown, open[:backlogOpenShown]
	}
	if len(closed) > backlogClosedShown {
		moreClosed, closed = len(closed)-backlogClosedShown, closed[:backlogClosedShown]
	}
	return open, closed, moreOpen, moreClosed, nil
}

// ItemOutcome phrases a refused or failed change of an improvement item in
// lang.
func ItemOutcome(lang string, err error, itemID int64) string {
	var fe *models.FieldError
	switch {
	case errors.Is(err, models.ErrNotFound):
		return l10n.T(lang, "backlogoutcome.not_found", "ItemID", itemID)
	case errors.As(err, &fe):
		return l10n.T(lang, "backlogoutcome.not_changed", "ItemID", itemID, "Reason", strings.TrimSuffix(FieldIn(lang, fe), "."))
	}
	if r, ok := models.IsRefusal(err); ok {
		return TitleFirst(refusalIn(lang, r)) + "."
	}
	return l10n.T(lang, "cmd.failed_nothing_changed")
}

// ItemChanged phrases a successful change in lang.
func ItemChanged(lang string, op models.ItemOp, it models.ImprovementSummary, emailOn bool) string {
	kv := []any{"ItemID", it.ID, "Title", it.Title}
	switch op.Kind {
	case models.ItemOpTake:
		return l10n.T(lang, "backlogoutcome.taken", kv...)
	case models.ItemOpRename:
		return l10n.T(lang, "backlogoutcome.renamed", kv...)
	}
	if it.Status == models.ImprovementDone {
		switch {
		case it.Linked == 0:
			return l10n.T(lang, "backlogoutcome.done", kv...)
		case emailOn:
			return l10n.N(lang, "backlogoutcome.done_email", int(it.Linked), kv...)
		}
		return l10n.N(lang, "backlogoutcome.done_call", int(it.Linked), kv...)
	}
	return l10n.T(lang, "backlogoutcome.status_now", append(kv, "Status", l10n.T(lang, "backlogoutcome.state."+it.Status))...)
}

// IsUserError reports whether an action's error is the person's (a refusal,
// bad input, an unknown case) rather than the system's.
func IsUserError(err error) bool {
	var fe *models.FieldError
	_, refused := models.IsRefusal(err)
	return refused || errors.As(err, &fe) || errors.Is(err, models.ErrNotFound)
}

// FieldSentence ends a message with a full stop and starts it with a capital,
// unless it starts with an email or other name that must keep its case.
func FieldSentence(s string) string {
	first, _, _ := strings.Cut(s, " ")
	if !strings.ContainsAny(first, "@#") {
		s = TitleFirst(s)
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
