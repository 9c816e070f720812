package models

import (
	"strconv"
	"time"
)

// Message is a sentence for a person, kept as a catalog id and its
// parameters rather than as text, so that it is written in the reader's
// language when it is delivered: a reminder reads Polish to a Polish
// owner in an Estonian team. Times are shown in Zone, the team's.
type Message struct {
	ID    string               `json:"id"`
	Args  map[string]string    `json:"args,omitempty"`
	Count *int                 `json:"count,omitempty"`
	Times map[string]time.Time `json:"times,omitempty"`
	Zone  string               `json:"zone,omitempty"`
}

// Ids of the messages models writes; the catalogs in bot/l10n hold their
// texts.
const (
	MsgEscalationThankYou      = "escalation.thank_you"
	MsgEscalationResolution    = "escalation.resolution"
	MsgEscalationFixTold       = "escalation.fix_told"
	MsgEscalationUnowned       = "escalation.unowned"
	MsgEscalationOwnerLeft     = "escalation.owner_left"
	MsgThreadOverdueThankYou   = "thread.overdue.thank_you"
	MsgThreadOverdueResolution = "thread.overdue.resolution"
)

// MessageIDs lists every id models writes, for the catalogs' tests.
var MessageIDs = []string{MsgEscalationThankYou, MsgEscalationResolution, MsgEscalationFixTold, MsgEscalationUnowned,
	MsgEscalationOwnerLeft, MsgThreadOverdueThankYou, MsgThreadOverdueResolution}

// caseMessage is message id about a case, with key, value pairs of
// arguments; its times show in loc.
func caseMessage(id string, caseID int64, loc *time.Location, kv ...string) Message {
	m := Message{ID: id, Args: map[string]string{"CaseID": strconv.FormatInt(caseID, 10)}}
	if loc != nil {
		m.Zone = loc.String()
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Args[kv[i]] = kv[i+1]
	}
	return m
}

// at adds a time argument.
func (m Message) at(name string, t time.Time) Message {
	if m.Times == nil {
		m.Times = map[string]time.Time{}
	}
	m.Times[name] = t.UTC()
	return m
}

func ownerOrDash(o string) string {
	if o == "" {
		return "—"
	}
	return o
}
