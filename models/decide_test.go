package models

import (
	"reflect"
	"testing"
	"time"
)

// These tests open no database: the decisions are over plain rows.

func TestOwedAt(t *testing.T) {
	t0 := time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)
	p := &Policy{SLA: SLAPolicy{RemindBefore: 2 * time.Hour}, Admins: []string{"root@bank.example"}}
	team := &TeamPolicy{ID: "care", Name: "Care", Members: []string{"ana@bank.example"}, Managers: []string{"mia@bank.example"}}
	thankDue, resolveDue := t0.Add(24*time.Hour), t0.Add(72*time.Hour)
	caseOf := func(state CaseState, owner string) *Case {
		return &Case{ID: 7, TeamID: "care", State: state, Owner: owner, ThankYouDueAt: thankDue, ResolutionDueAt: resolveDue}
	}
	remind := func(fu, owner string, due time.Time) ReminderItem {
		return ReminderItem{CaseID: 7, Followup: fu, Owner: owner, TeamID: "care", Due: due}
	}
	thankYou := chasedFollowup{FollowupThankYou, "thank-you", thankDue, true}
	tests := []struct {
		name string
		c    *Case
		sent []noticeKey
		at   time.Time
		want caseOwed
	}{
		{"a fresh case is owed nothing", caseOf(StateAssigned, "ana@bank.example"), nil, t0, caseOwed{}},
		{"a thank-you coming due reminds its owner", caseOf(StateAssigned, "ana@bank.example"), nil, thankDue.Add(-time.Hour),
			caseOwed{Remind: []ReminderItem{remind(FollowupThankYou, "ana@bank.example", thankDue)}}},
		{"a reminder goes once", caseOf(StateAssigned, "ana@bank.example"), []noticeKey{{7, FollowupThankYou, NoticeReminder}}, thankDue.Add(-time.Hour),
			caseOwed{}},
		{"an overdue thank-you escalates", caseOf(StateAssigned, "ana@bank.example"), nil, thankDue,
			caseOwed{Escalate: []chasedFollowup{thankYou}}},
		{"an escalation goes once", caseOf(StateAssigned, "ana@bank.example"), []noticeKey{{7, FollowupThankYou, NoticeOverdue}}, thankDue.Add(time.Hour),
			caseOwed{}},
		{"a thanked case owes no thank-you", caseOf(StateThanked, "ana@bank.example"), nil, thankDue.Add(time.Hour), caseOwed{}},
		{"a thanked case is reminded of its resolution", caseOf(StateThanked, "ana@bank.example"), nil, resolveDue.Add(-time.Hour),
			caseOwed{Remind: []ReminderItem{remind(FollowupResolution, "ana@bank.example", resolveDue)}}},
		{"both follow-ups overdue escalate in order", caseOf(StateAssigned, "ana@bank.example"), nil, resolveDue,
			caseOwed{Escalate: []chasedFollowup{thankYou, {FollowupResolution, "resolution", resolveDue, true}}}},
		{"nobody is reminded of an unowned case; the managers hear of it", caseOf(StateOpen, ""), nil, thankDue.Add(-time.Hour),
			caseOwed{OwnerNotice: NoticeUnowned}},
		{"an unowned case is reported once", caseOf(StateOpen, ""), []noticeKey{{7, FollowupOwner, NoticeUnowned}}, t0, caseOwed{}},
		{"an owner who left the team is reported by name", caseOf(StateAssigned, "Bob@bank.example"), nil, t0,
			caseOwed{OwnerNotice: "left:bob@bank.example"}},
		{"a departed owner is reported once", caseOf(StateAssigned, "bob@bank.example"), []noticeKey{{7, FollowupOwner, "left:bob@bank.example"}}, t0,
			caseOwed{}},
		{"a manager owning a case has not left", caseOf(StateAssigned, "mia@bank.example"), nil, t0, caseOwed{}},
		{"an admin owning a case has not left", caseOf(StateAssigned, "root@bank.example"), nil, t0, caseOwed{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent := map[noticeKey]bool{}
			for _, k := range tt.sent {
				sent[k] = true
			}
			if got := owedAt(p, team, tt.c, sent, tt.at); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("owed %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCoverAt(t *testing.T) {
	t0 := time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)
	p := &Policy{SLA: SLAPolicy{RemindBefore: 2 * time.Hour}}
	team := &TeamPolicy{ID: "care", Members: []string{"ana@bank.example"}, Managers: []string{"mia@bank.example", "max@bank.example"}}
	due := t0.Add(24 * time.Hour)
	c := func(state CaseState, owner string) *Case {
		return &Case{ID: 7, State: state, Owner: owner, ThankYouDueAt: due, ResolutionDueAt: due.Add(48 * time.Hour)}
	}
	tests := []struct {
		name string
		c    *Case
		away []string
		at   time.Time
		want string
	}{
		{"an owner who is in keeps the case", c(StateAssigned, "ana@bank.example"), nil, due, ""},
		{"an away owner keeps it until a follow-up comes due", c(StateAssigned, "ana@bank.example"), []string{"ana@bank.example"}, due.Add(-3 * time.Hour), ""},
		{"then it moves to the first manager who is in", c(StateAssigned, "Ana@bank.example"), []string{"ana@bank.example"}, due.Add(-2 * time.Hour), "mia@bank.example"},
		{"an away manager is passed over", c(StateAssigned, "ana@bank.example"), []string{"ana@bank.example", "mia@bank.example"}, due, "max@bank.example"},
		{"with everyone away it stays", c(StateAssigned, "ana@bank.example"), []string{"ana@bank.example", "mia@bank.example", "max@bank.example"}, due, ""},
		{"a thanked case moves only when its resolution comes due", c(StateThanked, "ana@bank.example"), []string{"ana@bank.example"}, due, ""},
		{"an unowned case has nobody to cover", c(StateOpen, ""), []string{""}, due, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			away := map[string]bool{}
			for _, a := range tt.away {
				away[a] = true
			}
			if got := coverAt(p, team, tt.c, away, tt.at); got != tt.want {
				t.Errorf("cover %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAssignOwners(t *testing.T) {
	three := []string{"ana@x", "bob@x", "cy@x"}
	tests := []struct {
		name     string
		team     TeamPolicy
		counters []int64
		load     map[string]int64
		away     []string
		want     []string
	}{
		{"round robin rotates with the counter", TeamPolicy{Members: three, Assign: AssignRoundRobin}, []int64{2, 3, 4}, nil, nil,
			[]string{"bob@x", "cy@x", "ana@x"}},
		{"round robin passes over whoever is away", TeamPolicy{Members: three, Assign: AssignRoundRobin}, []int64{1, 2}, nil, []string{"ana@x"},
			[]string{"bob@x", "bob@x"}},
		{"with everyone away cases wait unowned", TeamPolicy{Members: three}, []int64{1, 2}, nil, three,
			[]string{"", ""}},
		{"the champion takes every case", TeamPolicy{Members: three, Assign: AssignChampion, Champion: "cy@x"}, []int64{1, 2}, nil, nil,
			[]string{"cy@x", "cy@x"}},
		{"an away champion's cases rotate", TeamPolicy{Members: three, Assign: AssignChampion, Champion: "cy@x"}, []int64{1, 2}, nil, []string{"cy@x"},
			[]string{"ana@x", "bob@x"}},
		{"least loaded fills the emptiest, ties rotate", TeamPolicy{Members: three, Assign: AssignLeastLoaded}, []int64{1, 2, 3},
			map[string]int64{"ana@x": 2, "cy@x": 1}, nil, []string{"bob@x", "bob@x", "cy@x"}},
		{"least loaded passes over whoever is away", TeamPolicy{Members: three, Assign: AssignLeastLoaded}, []int64{1},
			map[string]int64{"ana@x": 2, "cy@x": 1}, []string{"bob@x"}, []string{"cy@x"}},
		{"a team without members leaves cases unowned", TeamPolicy{Assign: AssignChampion, Champion: "cy@x"}, []int64{1}, nil, nil,
			[]string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			away := map[string]bool{}
			for _, a := range tt.away {
				away[a] = true
			}
			before := map[string]int64{}
			for k, v := range tt.load {
				before[k] = v
			}
			if got := assignOwners(&tt.team, tt.counters, tt.load, away); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("owners %q, want %q", got, tt.want)
			}
			if len(tt.load) > 0 && !reflect.DeepEqual(tt.load, before) {
				t.Errorf("load changed to %v", tt.load)
			}
		})
	}
}

func TestPacing(t *testing.T) {
	sent := time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)
	pace := Pacing{TransportSlack: time.Second, TransportTeams: 150 * time.Millisecond, TransportLog: 0}
	if got, want := pace.pacedTransports(), []string{" ", TransportSlack, TransportTeams}; !reflect.DeepEqual(got, want) {
		t.Errorf("paced %q, want %q", got, want)
	}
	if got, want := Pacing(nil).pacedTransports(), []string{" "}; !reflect.DeepEqual(got, want) {
		t.Errorf("nothing paced gives %q, want %q", got, want)
	}
	claimed := []OutboxMessage{{Transport: TransportSlack, PaceKey: "C1"}, {Transport: TransportLog, PaceKey: "care"},
		{Transport: TransportEmail, PaceKey: "ana@x"}, {Transport: TransportTeams, PaceKey: "19:a"}}
	if got, want := pace.slotsTaken(claimed), [][2]string{{TransportSlack, "C1"}, {TransportTeams, "19:a"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("slots %q, want %q", got, want)
	}
	tests := []struct {
		name      string
		transport string
		answered  time.Time
		want      time.Time
		ok        bool
	}{
		{"a quick answer: a gap after the send", TransportSlack, sent.Add(100 * time.Millisecond), sent.Add(time.Second), true},
		{"a slow answer: not before the answer", TransportSlack, sent.Add(3 * time.Second), sent.Add(3 * time.Second), true},
		{"teams has its own gap", TransportTeams, sent.Add(10 * time.Millisecond), sent.Add(150 * time.Millisecond), true},
		{"an unpaced transport holds nothing", TransportLog, sent, time.Time{}, false},
		{"a transport missing from the pacing holds nothing", TransportEmail, sent, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pace.NextSlot(tt.transport, sent, tt.answered)
			if !got.Equal(tt.want) || ok != tt.ok {
				t.Errorf("next slot %s %t, want %s %t", got, ok, tt.want, tt.ok)
			}
			if pace.Paces(tt.transport) != tt.ok {
				t.Errorf("Paces(%s) = %t", tt.transport, !tt.ok)
			}
		})
	}
}
