package providers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/models"
)

// ReplayOptions choose what a replay does.
type ReplayOptions struct {
	ID     int64 // only this dead letter; 0: every pending one
	DryRun bool  // map and report, write nothing
}

// Replay statuses of a dead letter.
const (
	ReplayIngested   = "ingested"      // stored as a response (or found already stored)
	ReplaySuperseded = "superseded"    // a later delivery of the same response came first
	ReplayIgnored    = "ignored"       // the event carries no response
	ReplayFailed     = "still failing" // kept, with the reason as it stands now
)

// ReplayResult is what a replay did with one dead letter.
type ReplayResult struct {
	DeadLetter models.DeadLetter
	Status     string
	Detail     string
	ResponseID int64
	CaseID     int64
}

// Replay maps pending dead letters again with the current mappings m and
// stores those that now map, oldest first, marking them replayed; those that
// still fail keep their updated reason.
//
// Several dead letters of one response (Delighted's created and updated,
// Formbricks' created and finished) are replayed as one: the latest
// delivery wins, the earlier ones are superseded. A response that a
// delivery newer than the dead letter has already stored is left alone, so a
// replay never rolls a response back to an older version.
func Replay(ctx context.Context, store *models.Store, p *models.Policy, m Mappings, now time.Time, opts ReplayOptions) ([]ReplayResult, error) {
	var dls []models.DeadLetter
	if opts.ID != 0 {
		dl, err := store.DeadLetter(ctx, opts.ID)
		if err != nil {
			return nil, err
		}
		if !dl.Pending() {
			return nil, fmt.Errorf("dead letter %d was replayed at %s (%s): nothing to do",
				dl.ID, dl.ReplayedAt.UTC().Format(time.RFC3339), dl.Outcome)
		}
		dls = []models.DeadLetter{dl}
	} else {
		var err error
		if dls, err = store.DeadLetters(ctx, models.DeadLetterQuery{Pending: true}); err != nil {
			return nil, err
		}
	}
	plans := make([]Delivery, len(dls))
	latest := map[responseKey]int{} // response → the latest dead letter carrying it
	for i := range dls {
		plans[i] = m.Map(dls[i].Provider, dls[i].Body, dls[i].ReceivedAt, now)
		for _, in := range plans[i].Inputs {
			latest[responseKey{in.Source, in.ExternalID}] = i
		}
	}
	results := make([]ReplayResult, 0, len(dls))
	for i, dl := range dls {
		res := ReplayResult{DeadLetter: dl}
		d := plans[i]
		switch {
		case d.Reason != "":
			res.Status, res.Detail = ReplayFailed, d.Reason
			if !opts.DryRun {
				if err := store.DeadLetterFailed(ctx, dl.ID, d.Reason, now); err != nil {
					return results, err
				}
			}
			results = append(results, res)
			continue
		case d.Ignored:
			res.Status, res.Detail = ReplayIgnored, "the event carries no response"
			if !opts.DryRun {
				if err := store.DeadLetterReplayed(ctx, dl.ID, 0, res.Detail, now); err != nil {
					return results, err
				}
			}
			results = append(results, res)
			continue
		}
		var ins []models.ResponseInput
		var notes []string
		for _, in := range d.Inputs {
			if j := latest[responseKey{in.Source, in.ExternalID}]; j != i {
				notes = append(notes, fmt.Sprintf("%s response %s: a later dead letter (%d) carries it", in.Source, in.ExternalID, dls[j].ID))
				continue
			}
			id, at, ok, err := store.ResponseChangedAt(ctx, in.Source, in.ExternalID)
			if err != nil {
				return results, err
			}
			if ok && at.After(dl.LastReceivedAt) {
				notes = append(notes, fmt.Sprintf("response %d changed at %s, after this delivery", id, at.UTC().Format(time.RFC3339)))
				continue
			}
			ins = append(ins, in)
		}
		if len(ins) == 0 {
			res.Status, res.Detail = ReplaySuperseded, strings.Join(notes, "; ")
			if !opts.DryRun {
				if err := store.DeadLetterReplayed(ctx, dl.ID, 0, "superseded: "+res.Detail, now); err != nil {
					return results, err
				}
			}
			results = append(results, res)
			continue
		}
		res.Status = ReplayIngested
		if opts.DryRun {
			res.Detail = "would be stored"
			results = append(results, res)
			continue
		}
		stored, err := store.Ingest(ctx, p, now, ins, models.IngestOptions{})
		if err != nil {
			// Keep it and go on with the others; a database that cannot
			// even record the failure ends the replay.
			res.Status, res.Detail = ReplayFailed, "could not store: "+err.Error()
			if err := store.DeadLetterFailed(ctx, dl.ID, res.Detail, now); err != nil {
				return results, err
			}
			results = append(results, res)
			continue
		}
		first := stored[0]
		res.ResponseID, res.CaseID = first.ResponseID, first.CaseID
		res.Detail = describeStored(first)
		if len(notes) > 0 {
			res.Detail += "; " + strings.Join(notes, "; ")
		}
		if err := store.DeadLetterReplayed(ctx, dl.ID, first.ResponseID, res.Detail, now); err != nil {
			return results, err
		}
		results = append(results, res)
	}
	return results, nil
}

func describeStored(r models.IngestResult) string {
	d := fmt.Sprintf("%s response %d", r.Outcome, r.ResponseID)
	switch {
	case r.CaseOpened:
		d += fmt.Sprintf(", opened case %d", r.CaseID)
	case r.CaseID != 0:
		d += fmt.Sprintf(" of case %d", r.CaseID)
	}
	return d
}
