package models

import (
	"slices"
	"strings"
	"time"
)

// The decisions of the SLA sweep, the assignment of new cases and the
// outbox's pacing, made over plain rows: the store reads the rows, calls
// these and writes what they decide.

// chasedFollowup is one follow-up a case is chased for.
type chasedFollowup struct {
	Name  string // FollowupThankYou, FollowupResolution
	Label string // how the trail names it
	Due   time.Time
	Open  bool // still owed: a thanked case owes no thank-you
}

func chasedFollowups(c *Case) []chasedFollowup {
	return []chasedFollowup{
		{FollowupThankYou, "thank-you", c.ThankYouDueAt, c.State == StateOpen || c.State == StateAssigned},
		{FollowupResolution, "resolution", c.ResolutionDueAt, true},
	}
}

// coverAt is who an away owner's case moves to at now, so that the reminder
// and the work reach someone who is in: the owner's cover once a follow-up
// comes due, "" while the case stays.
func coverAt(p *Policy, team *TeamPolicy, c *Case, away map[string]bool, now time.Time) string {
	if c.Owner == "" || !away[strings.ToLower(c.Owner)] {
		return ""
	}
	loc := p.TeamLocation(team)
	for _, fu := range chasedFollowups(c) {
		if fu.Open && !now.Before(RemindAt(fu.Due, p.SLA.RemindBefore, team.Hours, loc, team.Holidays)) {
			return Cover(team, c.Owner, away)
		}
	}
	return ""
}

// caseOwed is what one case is owed at an instant and not yet sent.
type caseOwed struct {
	Escalate []chasedFollowup // overdue: the managers hear of it
	Remind   []ReminderItem   // coming due: the owner hears of it
	// OwnerNotice is the notice kind when the case has nobody to work it:
	// NoticeUnowned, or "left:OWNER" for an owner who left the team (once per
	// departed owner); "" otherwise.
	OwnerNotice string
}

// owedAt decides what case c of team is owed at now, given the notices
// already sent.
func owedAt(p *Policy, team *TeamPolicy, c *Case, sent map[noticeKey]bool, now time.Time) caseOwed {
	var o caseOwed
	loc := p.TeamLocation(team)
	for _, fu := range chasedFollowups(c) {
		if !fu.Open {
			continue
		}
		switch {
		case !now.Before(fu.Due):
			if !sent[noticeKey{c.ID, fu.Name, NoticeOverdue}] {
				o.Escalate = append(o.Escalate, fu)
			}
		case c.Owner != "" && !now.Before(RemindAt(fu.Due, p.SLA.RemindBefore, team.Hours, loc, team.Holidays)):
			if !sent[noticeKey{c.ID, fu.Name, NoticeReminder}] {
				o.Remind = append(o.Remind, ReminderItem{CaseID: c.ID, Followup: fu.Name, Owner: c.Owner, TeamID: c.TeamID, Due: fu.Due})
			}
		}
	}
	kind := ""
	switch {
	case c.Owner == "":
		kind = NoticeUnowned
	case !team.IsMember(c.Owner) && !team.IsManager(c.Owner) && !p.IsAdmin(c.Owner):
		kind = "left:" + strings.ToLower(c.Owner)
	}
	if kind != "" && !sent[noticeKey{c.ID, FollowupOwner, kind}] {
		o.OwnerNotice = kind
	}
	return o
}

// assignOwners picks the owners of new cases of team, one per value taken
// from the team's assignment counter, by the team's strategy. load is the
// open cases per lower-case owner (read for least-loaded only); it is not
// changed. Nobody away gets a new case: the rotation moves on to the next
// member who is in; with everyone away the case waits unowned ("") and the
// managers hear of it.
func assignOwners(team *TeamPolicy, counters []int64, load map[string]int64, away map[string]bool) []string {
	out := make([]string, len(counters))
	members := team.Members
	if len(members) == 0 {
		return out
	}
	if team.Assign == AssignLeastLoaded {
		l := make(map[string]int64, len(load))
		for k, v := range load {
			l[k] = v
		}
		load = l
	}
	for j, n := range counters {
		start := int((n - 1) % int64(len(members)))
		switch {
		case team.Assign == AssignChampion && team.Champion != "" && !away[strings.ToLower(team.Champion)]:
			out[j] = team.Champion
		case team.Assign == AssignLeastLoaded:
			// Fewest open cases wins; ties rotate with the counter.
			best, bestN := "", int64(-1)
			for i := range members {
				m := members[(start+i)%len(members)]
				if away[strings.ToLower(m)] {
					continue
				}
				if c := load[strings.ToLower(m)]; bestN < 0 || c < bestN {
					best, bestN = m, c
				}
			}
			out[j] = best
			if best != "" {
				load[strings.ToLower(best)]++
			}
		default:
			for i := range members {
				if m := members[(start+i)%len(members)]; !away[strings.ToLower(m)] {
					out[j] = m
					break
				}
			}
		}
	}
	return out
}

// Paces reports whether messages on transport are paced.
func (p Pacing) Paces(transport string) bool { return p[transport] > 0 }

// pacedTransports lists the paced transports for a claim's "IN ?", sorted;
// a blank, which names no transport, keeps the list non-empty: "x NOT IN
// ()" is not SQL.
func (p Pacing) pacedTransports() []string {
	paced := []string{" "}
	for t, gap := range p {
		if gap > 0 {
			paced = append(paced, t)
		}
	}
	slices.Sort(paced)
	return paced
}

// slotsTaken lists the conversations (transport, pace key) whose pace slot
// the claimed messages take, one per paced message, in claim order.
func (p Pacing) slotsTaken(claimed []OutboxMessage) [][2]string {
	var out [][2]string
	for _, m := range claimed {
		if p.Paces(m.Transport) {
			out = append(out, [2]string{m.Transport, m.PaceKey})
		}
	}
	return out
}

// NextSlot is when a conversation paced on transport may take its next
// message after one that was sent at started and answered at answered: a
// gap after it was sent, never before its answer; false when the transport
// is not paced.
func (p Pacing) NextSlot(transport string, started, answered time.Time) (time.Time, bool) {
	gap := p[transport]
	if gap <= 0 {
		return time.Time{}, false
	}
	next := started.Add(gap)
	if next.Before(answered) {
		next = answered
	}
	return next, true
}
