package models

import (
	"time"
)

// CaseState is where a case stands in the loop (contract: DESIGN.md).
type CaseState string

const (
	StateOpen      CaseState = "open"
	StateAssigned  CaseState = "assigned"
	StateThanked   CaseState = "thanked"
	StateResolved  CaseState = "resolved"
	StateNoContact CaseState = "no_contact"
)

// Closed reports whether the case needs no more follow-up.
func (s CaseState) Closed() bool { return s == StateResolved || s == StateNoContact }

// Customer is who answered the survey. Contact details are shown masked in
// channels and never logged.
type Customer struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	ContactOK *bool  `json:"contact_ok,omitempty"`
}

// Response is one survey answer, stored once per (source, external_id).
type Response struct {
	ID            int64     `gorm:"primaryKey"`
	Source        string    `gorm:"size:100;not null;uniqueIndex:ux_responses_source_external,priority:1"`
	ExternalID    string    `gorm:"size:200;not null;uniqueIndex:ux_responses_source_external,priority:2"`
	Metric        Metric    `gorm:"size:10;not null;index:ix_responses_metric_segment_time,priority:1"`
	Score         int       `gorm:"not null"`
	Segment       Segment   `gorm:"size:10;not null;index:ix_responses_metric_segment_time,priority:2"`
	Comment       string    `gorm:"type:text"`
	SubmittedAt   time.Time `gorm:"not null;index;index:ix_responses_metric_segment_time,priority:3"`
	Touchpoint    string    `gorm:"size:200"`
	CustomerID    string    `gorm:"size:200"`
	CustomerName  string    `gorm:"size:300"`
	CustomerEmail string    `gorm:"size:300"`
	CustomerPhone string    `gorm:"size:100"`
	ContactOK     *bool
	Attributes    map[string]string `gorm:"type:text;serializer:json"`
	Themes        []string          `gorm:"type:text;serializer:json"`
	// Language is the customer's ISO 639-1 code, empty when not known.
	Language string `gorm:"size:10;not null;default:''"`
	TeamID   string `gorm:"size:100;not null;index"`
	// ContentHash identifies the content as sent, so an identical repeat is
	// recognised without comparing every field.
	ContentHash string `gorm:"size:64;not null"`
	Version     int    `gorm:"not null;default:1"`
	// JoinedCaseID is the open case of the same customer this detractor
	// response joined instead of opening its own.
	JoinedCaseID *int64    `gorm:"index"`
	ReceivedAt   time.Time `gorm:"not null"`
	UpdatedAt    time.Time `gorm:"not null"`
}

// Customer returns the response's customer.
func (r *Response) Customer() Customer {
	return Customer{ID: r.CustomerID, Name: r.CustomerName, Email: r.CustomerEmail, Phone: r.CustomerPhone, ContactOK: r.ContactOK}
}

// Case is the follow-up of one detractor response; the database allows one
// case per response.
type Case struct {
	ID              int64     `gorm:"primaryKey"`
	ResponseID      int64     `gorm:"not null;uniqueIndex"`
	TeamID          string    `gorm:"size:100;not null;index"`
	State           CaseState `gorm:"size:20;not null;index"`
	Owner           string    `gorm:"size:300;index"`
	OpenedAt        time.Time `gorm:"not null;index"`
	ThankYouDueAt   time.Time `gorm:"not null"`
	ResolutionDueAt time.Time `gorm:"not null"`
	ThankedAt       *time.Time
	ThankMethod     string     `gorm:"size:20"`
	ResolvedAt      *time.Time `gorm:"index"`
	ClosedAt        *time.Time
	RootCause       string `gorm:"size:100"`
	Resolution      string `gorm:"type:text"`
	Systemic        bool   `gorm:"not null;default:false"`
	NoContactReason string `gorm:"size:30"`
	Overdue         bool   `gorm:"not null;default:false"`
	// ImprovementID links a systemic case to its improvement item.
	ImprovementID *int64 `gorm:"index"`
	// CustomerToldAt is the third follow-up: the customer heard of the fix.
	CustomerToldAt *time.Time
	// Urgent cases (from a route marked urgent) escalate even in quiet hours.
	Urgent    bool      `gorm:"not null;default:false"`
	UpdatedAt time.Time `gorm:"not null"`
}

// CaseEvent is one line of a case's audit trail: who did what, when, and
// from which state to which.
type CaseEvent struct {
	ID        int64     `gorm:"primaryKey"`
	CaseID    int64     `gorm:"not null;index"`
	At        time.Time `gorm:"not null"`
	Actor     string    `gorm:"size:300;not null"`
	Kind      string    `gorm:"size:40;not null"`
	FromState CaseState `gorm:"size:20"`
	ToState   CaseState `gorm:"size:20"`
	Detail    string    `gorm:"type:text"`
}

// TeamState is the team's assignment state, shared by every replica so that
// round-robin rotates fairly across restarts.
type TeamState struct {
	TeamID   string `gorm:"primaryKey;size:100"`
	Assigned int64  `gorm:"not null;default:0"`
}

// Outbox message states.
const (
	OutboxPending   = "pending"
	OutboxDelivered = "delivered"
	OutboxFailed    = "failed"
)

// OutboxMessage is one message to a chat platform, written in the same
// transaction as the change it announces and delivered by the worker.
type OutboxMessage struct {
	// (state, id) lets a claim walk the pending messages in order without
	// stepping over every delivered one; (order_key, state, id) answers "is an
	// earlier message of this key pending" with one probe; (state, transport,
	// pace_key, next_attempt_at, id) lists the conversations and the head of
	// each one's queue, so a claim costs the same at any backlog.
	ID         int64      `gorm:"primaryKey;index:ix_outbox_pending,priority:2;index:ix_outbox_order,priority:3;index:ix_outbox_conv,priority:5"`
	Kind       OutboxKind `gorm:"size:20;not null"`
	Transport  string     `gorm:"size:20;not null;index:ix_outbox_conv,priority:2"`
	Channel    string     `gorm:"size:200"` // team channel, or empty for a DM
	Recipient  string     `gorm:"size:300"` // a person's email for a DM
	CaseID     int64      `gorm:"index"`
	ResponseID int64
	Text       string `gorm:"type:text"`
	// Message, when set, is written in the reader's language at delivery
	// and takes the place of Text.
	Message *Message `gorm:"type:text;serializer:json"`
	// OrderKey serialises messages that must not overtake each other (a card's
	// post, then its updates).
	OrderKey string `gorm:"size:250;not null;index:ix_outbox_order,priority:1"`
	// PaceKey is the conversation the message lands in, paced per platform.
	PaceKey       string     `gorm:"size:320;not null;default:'';index:ix_outbox_conv,priority:3"`
	State         string     `gorm:"size:12;not null;index:ix_outbox_due,priority:1;index:ix_outbox_pending,priority:1;index:ix_outbox_order,priority:2;index:ix_outbox_conv,priority:1;index:ix_outbox_lease,priority:1"`
	NextAttemptAt time.Time  `gorm:"not null;index:ix_outbox_due,priority:2;index:ix_outbox_conv,priority:4"`
	Attempts      int        `gorm:"not null;default:0"`
	LeaseOwner    string     `gorm:"size:100"`
	LeaseUntil    *time.Time `gorm:"index:ix_outbox_lease,priority:2"`
	LastError     string     `gorm:"type:text"`
	CreatedAt     time.Time  `gorm:"not null"`
	DeliveredAt   *time.Time
	// PaceNext, set by the worker, moves the conversation's next slot to
	// this instant when the delivery is recorded: the slot booked at claim
	// counts from the claim, this one from when the message was really sent.
	PaceNext *time.Time `gorm:"-"`
}

// CardRef remembers where a case's card was posted, so updates and thread
// replies reach the same message.
type CardRef struct {
	CaseID    int64  `gorm:"primaryKey"`
	Transport string `gorm:"primaryKey;size:20"`
	Channel   string `gorm:"primaryKey;size:200"`
	Ref       string `gorm:"size:200;not null"`
	PostedAt  time.Time
}

// Improvement item statuses.
const (
	ImprovementProposed   = "proposed"
	ImprovementInProgress = "in_progress"
	ImprovementDone       = "done"
	ImprovementDropped    = "dropped"
)

// ImprovementItem is one systemic fix in the backlog (the outer loop).
type ImprovementItem struct {
	ID        int64     `gorm:"primaryKey"`
	Title     string    `gorm:"size:300;not null"`
	RootCause string    `gorm:"size:100;not null;index"`
	Owner     string    `gorm:"size:300"`
	Status    string    `gorm:"size:20;not null;index"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
	DoneAt    *time.Time
}

// ChannelPace is the earliest moment the next message may go to one
// conversation of a platform, shared by every replica.
type ChannelPace struct {
	Transport string    `gorm:"primaryKey;size:20"`
	Channel   string    `gorm:"primaryKey;size:320"`
	NextAt    time.Time `gorm:"not null"`
}

// SchemaVersion records the schema the database holds.
type SchemaVersion struct {
	ID        int `gorm:"primaryKey;autoIncrement:false"`
	Version   int `gorm:"not null"`
	AppliedAt time.Time
}

// allModels is the schema, in creation order.
func allModels() []any {
	return []any{
		&Response{},
		&Case{},
		&CaseEvent{},
		&TeamState{},
		&OutboxMessage{},
		&CardRef{},
		&ImprovementItem{},
		&PlatformUser{},
		&ProcessedEvent{},
		&Conversation{},
		&FollowupNotice{},
		&ChannelPace{},
		&DeadLetter{},
		&DigestRun{}, &FixFollowUp{},
		&ChannelBurst{}, &RollupCase{}, &Away{}, &AwayMove{},
		&Suppression{}, &ServerKey{},
		&Erasure{},
		&SchemaVersion{},
	}
}
