package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ImprovementStatuses are the statuses an item can have, in backlog order.
var ImprovementStatuses = []string{ImprovementProposed, ImprovementInProgress, ImprovementDone, ImprovementDropped}

// FixFollowUp is the third follow-up of a case: once the improvement its
// resolution fed is done, the owner tells the customer "you said, we did".
// There is one per (improvement, case), so marking an item done notifies
// each owner once however often it is tried.
type FixFollowUp struct {
	ID            int64      `gorm:"primaryKey"`
	ImprovementID int64      `gorm:"not null;uniqueIndex:ux_fix_followups_item_case,priority:1"`
	CaseID        int64      `gorm:"not null;uniqueIndex:ux_fix_followups_item_case,priority:2;index"`
	TeamID        string     `gorm:"size:100;not null"`
	Owner         string     `gorm:"size:300;not null;index"`
	OpenedAt      time.Time  `gorm:"not null"`
	DueAt         time.Time  `gorm:"not null;index"`
	ToldAt        *time.Time `gorm:"index"`
	ToldBy        string     `gorm:"size:300"`
	// ToldVia is how the customer heard: ToldByEmail when the fix_done
	// email went out, ToldByPhone when the owner marked it told by hand.
	ToldVia string `gorm:"size:20"`
	Note    string `gorm:"type:text"`
}

// How a customer was told of a fix.
const (
	ToldByEmail = "email"
	ToldByPhone = "phone"
)

// TableName keeps the table's name short.
func (FixFollowUp) TableName() string { return "fix_followups" }

// ImprovementSummary is an item with its linked detractor cases.
type ImprovementSummary struct {
	ImprovementItem
	Linked int64 // detractor cases linked to the item
	Told   int64 // of those, customers told of the fix
}

// ImprovementFilter selects items for the backlog.
type ImprovementFilter struct {
	Statuses []string // empty: all
	Limit    int      // 0: 100
}

// ItemOpKind is something a person does to an improvement item.
type ItemOpKind string

const (
	ItemOpTake   ItemOpKind = "take"   // become the item's owner
	ItemOpRename ItemOpKind = "rename" // change its title
	ItemOpStatus ItemOpKind = "status" // move it: proposed, in_progress, done, dropped
)

// ItemOp is one action on an improvement item with its input.
type ItemOp struct {
	Kind   ItemOpKind
	Title  string // rename
	Status string // status
	// FixDone, for status done, replaces the fix_done message's body per
	// language (a template like the configured one), as the manager
	// confirmed or edited it.
	FixDone map[string]string
}

// FixDoneField starts the field name of a language's edited fix_done
// message (fix_done_et).
const FixDoneField = "fix_done_"

// fixDoneTemplates are the fix_done messages to send: the configured ones,
// with the manager's edits; an edit that does not parse is a field error
// named fix_done_LANG.
func (p *Policy) fixDoneTemplates(edits map[string]string) (map[string]*MessageTemplate, error) {
	out := map[string]*MessageTemplate{}
	for lang, t := range p.CustomerMessages[MessageFixDone] {
		out[lang] = t
	}
	for lang, body := range edits {
		base, _ := p.CustomerMessages.Template(MessageFixDone, lang)
		if base == nil || strings.TrimSpace(body) == "" {
			continue
		}
		t, err := ParseMessageTemplate("fix_done."+lang, base.SubjectSource, body)
		if err != nil {
			return nil, fieldError(FixDoneField+lang, "backlogoutcome.fix_done_broken", "the message does not work: "+err.Error(), "Err", err.Error())
		}
		out[lang] = t
	}
	return out, nil
}

// CanManageBacklog reports whether actor may change improvement items:
// admins and the managers of any team.
func (p *Policy) CanManageBacklog(actor string) bool {
	if p.IsAdmin(actor) {
		return true
	}
	for i := range p.Teams {
		if p.Teams[i].IsManager(actor) {
			return true
		}
	}
	return false
}

// itemTransitions lists where each status may go.
var itemTransitions = map[string][]string{
	ImprovementProposed:   {ImprovementInProgress, ImprovementDone, ImprovementDropped},
	ImprovementInProgress: {ImprovementProposed, ImprovementDone, ImprovementDropped},
	ImprovementDropped:    {ImprovementProposed, ImprovementInProgress},
	ImprovementDone:       {},
}

// statusTerm is the catalog id of a status's name as a sentence uses it.
func statusTerm(status string) string { return "backlogoutcome.state." + status }

// NextImprovementStatuses lists the statuses an item in status from may
// move to, in backlog order; none for a done item.
func NextImprovementStatuses(from string) []string {
	return append([]string(nil), itemTransitions[from]...)
}

// fixCase is a linked case with what the owner's DM names.
type fixCase struct {
	c     Case
	r     Response
	email bool // the customer is told by email, not by the owner
}

// fixDoneEmail is the "you said, we did" email to one customer, signed by
// the case's owner.
func fixDoneEmail(p *Policy, fixDone map[string]*MessageTemplate, item *ImprovementItem, fc fixCase) (OutboxMessage, error) {
	lang := p.CustomerLanguage(&fc.r)
	t := fixDone[lang]
	if t == nil {
		lang, t = "en", fixDone["en"]
	}
	if t == nil {
		return OutboxMessage{}, fmt.Errorf("no fix_done message is configured")
	}
	d, err := t.Render(p.messageData(&fc.c, &fc.r, item.Title))
	if err != nil {
		return OutboxMessage{}, fmt.Errorf("fix_done message of case %d: %w", fc.c.ID, err)
	}
	return emailMessage(&fc.c, &fc.r, CustomerEmail{Purpose: MessageFixDone, To: strings.TrimSpace(fc.r.CustomerEmail),
		ToName: customerFirstName(fc.r.CustomerName), ReplyTo: fc.c.Owner, Language: lang, Subject: d.Subject, Body: d.Body,
		ImprovementID: item.ID})
}

// fixDoneDM asks an owner to tell the customers who cannot be emailed: the
// English text kept in the outbox, and the message the owner reads in their
// language. Dates show in the team's zone.
func fixDoneDM(item *ImprovementItem, cases []fixCase, loc *time.Location) (string, Message) {
	var b strings.Builder
	fmt.Fprintf(&b, "You said, we did: improvement #%d %q is done.\n", item.ID, item.Title)
	if len(cases) == 1 {
		b.WriteString("Please tell this customer what changed:\n")
	} else {
		fmt.Fprintf(&b, "Please tell these %d customers what changed:\n", len(cases))
	}
	m := itemMessage(MsgFixDoneDMIntro, item).counted(len(cases))
	for _, fc := range cases {
		name := strings.TrimSpace(fc.r.CustomerName)
		line := caseMessage(MsgFixDoneDMLine, fc.c.ID, loc, "Name", name, "Metric", strings.ToUpper(string(fc.r.Metric)),
			"Score", strconv.Itoa(fc.r.Score))
		line.Dates = map[string]time.Time{"Date": fc.r.SubmittedAt.UTC()}
		if name == "" {
			name, line.ID = "the customer", MsgFixDoneDMLineUnnamed
		}
		m.Lines = append(m.Lines, line)
		fmt.Fprintf(&b, "• case #%d — %s (%s %d, %s)\n", fc.c.ID, name, strings.ToUpper(string(fc.r.Metric)), fc.r.Score,
			fc.r.SubmittedAt.UTC().Format("2 Jan 2006"))
	}
	b.WriteString("Then mark each case \"customer told\".")
	m.Lines = append(m.Lines, Message{ID: MsgFixDoneDMOutro})
	return b.String(), m
}

// teamOf is the team of id, nil when it is no longer configured.
func teamOf(p *Policy, id string) *TeamPolicy {
	if t, ok := p.Team(id); ok {
		return t
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// OpCustomerTold is marking the third follow-up done; it is authorised like
// the other follow-ups (the owner, the team's managers, admins).
const OpCustomerTold OpKind = "customer_told"
