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
	// Terms are arguments that are themselves catalog messages (a
	// thank-you method: "method.call"), written in the reader's language.
	Terms map[string]string `json:"terms,omitempty"`
	// Dates are shown as a day without the time of day.
	Dates map[string]time.Time `json:"dates,omitempty"`
	// Lines follow the message, each on a line of its own: a list.
	Lines []Message `json:"lines,omitempty"`
	// Spans are durations, written the short way people read them ("5 h").
	Spans map[string]time.Duration `json:"spans,omitempty"`
}

// Ids of the messages models writes; the catalogs in bot/l10n hold their
// texts.
const (
	MsgOverdueThankYouDM       = "cards.escalation.thank_you"
	MsgOverdueResolutionDM     = "cards.escalation.resolution"
	MsgOverdueThankYouLine     = "cards.thread.overdue_thank_you"
	MsgOverdueResolutionLine   = "cards.thread.overdue_resolution"
	MsgEscalationThankYou      = "escalation.thank_you"
	MsgEscalationResolution    = "escalation.resolution"
	MsgEscalationFixTold       = "escalation.fix_told"
	MsgEscalationUnowned       = "escalation.unowned"
	MsgEscalationOwnerLeft     = "escalation.owner_left"
	MsgThreadOverdueThankYou   = "thread.overdue.thank_you"
	MsgThreadOverdueResolution = "thread.overdue.resolution"
	MsgThreadTake              = "thread.take"
	MsgThreadAssign            = "thread.assign"
	MsgThreadThank             = "thread.thank"
	MsgThreadResolve           = "thread.resolve"
	MsgThreadResolveSystemic   = "thread.resolve_systemic"
	MsgThreadNoContact         = "thread.no_contact"
	MsgThreadReopen            = "thread.reopen"
	MsgThreadNote              = "thread.note"
)

// MessageIDs lists every id models writes, for the catalogs' tests.
var MessageIDs = []string{MsgOverdueThankYouDM, MsgOverdueResolutionDM, MsgOverdueThankYouLine, MsgOverdueResolutionLine, MsgEscalationThankYou, MsgEscalationResolution, MsgEscalationFixTold, MsgEscalationUnowned,
	MsgEscalationOwnerLeft, MsgThreadOverdueThankYou, MsgThreadOverdueResolution,
	MsgThreadTake, MsgThreadAssign, MsgThreadThank, MsgThreadResolve, MsgThreadResolveSystemic, MsgThreadNoContact, MsgThreadReopen,
	MsgThreadTake + "_note", MsgThreadAssign + "_note", MsgThreadThank + "_note", MsgThreadResolve + "_note",
	MsgThreadResolveSystemic + "_note", MsgThreadNoContact + "_note", MsgThreadReopen + "_note", MsgThreadNote + "_note",
	MsgThankEmailed, MsgResolveEmailed, MsgToldByEmail, MsgFixDoneCall, MsgFixDoneEmail,
	MsgEmailFailedThread + "thank_you_due", MsgEmailFailedThread + MessageThankYou, MsgEmailFailedThread + MessageResolution,
	MsgEmailFailedThread + MessageFixDone, MsgEmailFailedDM + "thank_you_due", MsgEmailFailedDM + MessageThankYou,
	MsgEmailFailedDM + MessageResolution, MsgEmailFailedDM + MessageFixDone,
	MsgFixDoneDMIntro, MsgFixDoneDMLine, MsgFixDoneDMLineUnnamed, MsgFixDoneDMOutro, MsgAnnounceDone, MsgAnnounceTold, MsgAnnounceEmailed}

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

// lasting adds a duration argument.
func (m Message) lasting(name string, d time.Duration) Message {
	if m.Spans == nil {
		m.Spans = map[string]time.Duration{}
	}
	m.Spans[name] = d
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
