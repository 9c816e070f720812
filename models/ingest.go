package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Outcome says what ingesting one response did.
type Outcome string

const (
	OutcomeCreated   Outcome = "created"
	OutcomeUpdated   Outcome = "updated"
	OutcomeUnchanged Outcome = "unchanged"
)

// IngestResult is what happened to one input.
type IngestResult struct {
	ResponseID int64
	CaseID     int64 // 0 when the response has no case
	CaseOpened bool
	Outcome    Outcome
	Segment    Segment
	Source     string
}

// IngestOptions tune a batch.
type IngestOptions struct {
	// CasesSince: responses submitted before it are stored without a case, so
	// a historic import does not flood the channels. Zero opens all.
	CasesSince time.Time
}

// Ingest stores a batch of validated responses in one transaction: each is
// classified, routed, and a detractor gets its case, events and outbound
// messages in the same commit. The batch is all-or-nothing.
func (s *Store) Ingest(ctx context.Context, p *Policy, now time.Time, inputs []ResponseInput, opts IngestOptions) ([]IngestResult, error) {
	now = now.UTC()
	results := make([]IngestResult, len(inputs))
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i := range inputs {
			r, err := s.ingestOne(tx, p, now, &inputs[i], opts)
			if err != nil {
				return fmt.Errorf("response %d (%s/%s): %w", i, inputs[i].Source, inputs[i].ExternalID, err)
			}
			results[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func (s *Store) ingestOne(tx *gorm.DB, p *Policy, now time.Time, in *ResponseInput, opts IngestOptions) (IngestResult, error) {
	seg, err := p.Classify(in.Metric, in.Score)
	if err != nil {
		return IngestResult{}, err
	}
	resp := Response{
		Source: in.Source, ExternalID: in.ExternalID, Metric: in.Metric, Score: in.Score, Segment: seg,
		Comment: in.Comment, SubmittedAt: in.SubmittedAt.UTC(), Touchpoint: in.Touchpoint,
		CustomerID: in.Customer.ID, CustomerName: in.Customer.Name, CustomerEmail: in.Customer.Email,
		CustomerPhone: in.Customer.Phone, ContactOK: in.Customer.ContactOK,
		Attributes: in.Attributes, Themes: p.MatchThemes(in.Comment),
		TeamID:      p.RouteTeam(in, seg),
		ContentHash: in.contentHash(), Version: 1, ReceivedAt: now, UpdatedAt: now,
	}
	// The unique index decides who stores the response first; a concurrent
	// duplicate inserts nothing and takes the update path below.
	ins := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "source"}, {Name: "external_id"}}, DoNothing: true}).Create(&resp)
	if ins.Error != nil {
		return IngestResult{}, fmt.Errorf("insert response: %w", ins.Error)
	}
	res := IngestResult{Segment: seg, Source: in.Source}
	if ins.RowsAffected == 1 {
		res.ResponseID = resp.ID
		res.Outcome = OutcomeCreated
		if err := s.afterNewResponse(tx, p, now, &resp, opts, &res); err != nil {
			return res, err
		}
		return res, nil
	}
	return s.updateExisting(tx, p, now, &resp, opts)
}

func (s *Store) afterNewResponse(tx *gorm.DB, p *Policy, now time.Time, resp *Response, opts IngestOptions, res *IngestResult) error {
	switch {
	case resp.Segment == SegmentDetractor && !resp.SubmittedAt.Before(opts.CasesSince):
		c, err := s.openCase(tx, p, now, resp)
		if err != nil {
			return err
		}
		res.CaseID, res.CaseOpened = c.ID, true
	case resp.Segment == SegmentPromoter && strings.TrimSpace(resp.Comment) != "" && !resp.SubmittedAt.Before(opts.CasesSince):
		for _, d := range p.KudosDestinations {
			m := OutboxMessage{Kind: KindKudos, Transport: d.Transport, Channel: d.Channel, ResponseID: resp.ID,
				Recipient: resp.Attributes["employee_email"], OrderKey: fmt.Sprintf("kudos:%d", resp.ID)}
			if err := enqueue(tx, now, &m); err != nil {
				return err
			}
		}
	}
	return nil
}

// updateExisting handles a response already stored under the same key: an
// identical repeat changes nothing; a changed one is updated, noted in its
// case's trail and its card refreshed; one that became a detractor gets its
// case now.
func (s *Store) updateExisting(tx *gorm.DB, p *Policy, now time.Time, incoming *Response, opts IngestOptions) (IngestResult, error) {
	var cur Response
	q := tx.Where("source = ? AND external_id = ?", incoming.Source, incoming.ExternalID)
	if s.postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Take(&cur).Error; err != nil {
		return IngestResult{}, notFound(err, "load existing response")
	}
	res := IngestResult{ResponseID: cur.ID, Segment: cur.Segment, Source: cur.Source, Outcome: OutcomeUnchanged}
	var c Case
	err := tx.Where("response_id = ?", cur.ID).Take(&c).Error
	hasCase := err == nil
	if err != nil && err != gorm.ErrRecordNotFound {
		return res, fmt.Errorf("load case: %w", err)
	}
	if hasCase {
		res.CaseID = c.ID
	}
	if cur.ContentHash == incoming.ContentHash {
		return res, nil
	}
	detail := describeChange(&cur, incoming)
	upd := map[string]any{
		"metric": incoming.Metric, "score": incoming.Score, "segment": incoming.Segment,
		"comment": incoming.Comment, "submitted_at": incoming.SubmittedAt, "touchpoint": incoming.Touchpoint,
		"customer_id": incoming.CustomerID, "customer_name": incoming.CustomerName,
		"customer_email": incoming.CustomerEmail, "customer_phone": incoming.CustomerPhone,
		"contact_ok": incoming.ContactOK, "content_hash": incoming.ContentHash,
		"version": gorm.Expr("version + 1"), "updated_at": now,
	}
	// gorm's serializer applies only through the model, so these go as JSON text.
	upd["attributes"] = jsonText(incoming.Attributes)
	upd["themes"] = jsonText(incoming.Themes)
	if !hasCase {
		upd["team_id"] = incoming.TeamID
	}
	if err := tx.Model(&Response{}).Where("id = ?", cur.ID).Updates(upd).Error; err != nil {
		return res, fmt.Errorf("update response: %w", err)
	}
	res.Outcome = OutcomeUpdated
	res.Segment = incoming.Segment
	if hasCase {
		ev := CaseEvent{CaseID: c.ID, At: now, Actor: "survey:" + cur.Source, Kind: "response_updated", FromState: c.State, ToState: c.State, Detail: detail}
		if err := tx.Create(&ev).Error; err != nil {
			return res, fmt.Errorf("record response change: %w", err)
		}
		return res, s.queueCardRefresh(tx, now, c.ID, detail)
	}
	cur.Segment, cur.SubmittedAt, cur.TeamID = incoming.Segment, incoming.SubmittedAt, incoming.TeamID
	cur.Comment, cur.Attributes = incoming.Comment, incoming.Attributes
	if incoming.Segment == SegmentDetractor && !incoming.SubmittedAt.Before(opts.CasesSince) {
		c, err := s.openCase(tx, p, now, &cur)
		if err != nil {
			return res, err
		}
		res.CaseID, res.CaseOpened = c.ID, true
	}
	return res, nil
}

func describeChange(old, nw *Response) string {
	var parts []string
	if old.Score != nw.Score || old.Metric != nw.Metric {
		parts = append(parts, fmt.Sprintf("score %d → %d", old.Score, nw.Score))
	}
	switch {
	case old.Comment == "" && nw.Comment != "":
		parts = append(parts, "comment added")
	case old.Comment != nw.Comment:
		parts = append(parts, "comment changed")
	}
	if len(parts) == 0 {
		parts = append(parts, "details changed")
	}
	return "survey response updated: " + strings.Join(parts, ", ")
}

// RouteTeam picks the team for a response: the first route whose conditions
// all hold, else the default team.
func (p *Policy) RouteTeam(in *ResponseInput, seg Segment) string {
	for _, r := range p.Routes {
		if routeMatches(r.When, in, seg) {
			return r.Team
		}
	}
	return p.DefaultTeam
}

func routeMatches(when map[string][]string, in *ResponseInput, seg Segment) bool {
	for field, allowed := range when {
		var v string
		switch field {
		case "touchpoint":
			v = in.Touchpoint
		case "source":
			v = in.Source
		case "metric":
			v = string(in.Metric)
		case "segment":
			v = string(seg)
		default:
			v = in.Attributes[field]
		}
		if !containsFold(allowed, v) {
			return false
		}
	}
	return true
}

// openCase creates the case of a detractor response with its owner, due
// times, trail and outbound messages.
func (s *Store) openCase(tx *gorm.DB, p *Policy, now time.Time, resp *Response) (*Case, error) {
	team, ok := p.Team(resp.TeamID)
	if !ok {
		team, ok = p.Team(p.DefaultTeam)
		if !ok {
			return nil, fmt.Errorf("no team %q and no default team", resp.TeamID)
		}
	}
	owner, err := s.pickOwner(tx, team)
	if err != nil {
		return nil, err
	}
	loc := p.TeamLocation(team)
	c := Case{
		ResponseID: resp.ID, TeamID: team.ID, State: StateOpen, Owner: owner, OpenedAt: now,
		ThankYouDueAt:   DueAt(now, p.SLA.ThankYou, team.Hours, loc, team.Holidays).UTC(),
		ResolutionDueAt: DueAt(now, p.SLA.Resolution, team.Hours, loc, team.Holidays).UTC(),
		UpdatedAt:       now,
	}
	if owner != "" {
		c.State = StateAssigned
	}
	if err := tx.Create(&c).Error; err != nil {
		return nil, fmt.Errorf("create case: %w", err)
	}
	events := []CaseEvent{{CaseID: c.ID, At: now, Actor: "cxloop", Kind: "opened", ToState: StateOpen,
		Detail: fmt.Sprintf("%s %d from %s, routed to %s", resp.Metric, resp.Score, resp.Source, team.Name)}}
	if owner != "" {
		events = append(events, CaseEvent{CaseID: c.ID, At: now, Actor: "cxloop", Kind: "assigned",
			FromState: StateOpen, ToState: StateAssigned, Detail: fmt.Sprintf("assigned to %s (%s)", owner, team.Assign)})
	}
	if err := tx.Create(&events).Error; err != nil {
		return nil, fmt.Errorf("record case events: %w", err)
	}
	var msgs []OutboxMessage
	for _, d := range team.Destinations {
		msgs = append(msgs, OutboxMessage{Kind: KindCardPost, Transport: d.Transport, Channel: d.Channel, CaseID: c.ID,
			OrderKey: cardOrderKey(c.ID, d)})
	}
	recipients, kind := []string{owner}, KindCaseDM
	if owner == "" {
		recipients, kind = team.Managers, KindUnownedDM
		if len(recipients) == 0 {
			recipients = p.Admins
		}
	}
	for _, tr := range p.DMTransports {
		for _, to := range recipients {
			msgs = append(msgs, OutboxMessage{Kind: kind, Transport: tr, Recipient: to, CaseID: c.ID,
				OrderKey: fmt.Sprintf("dm:%d:%s:%s", c.ID, tr, to)})
		}
	}
	for i := range msgs {
		if err := enqueue(tx, now, &msgs[i]); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

func cardOrderKey(caseID int64, d Destination) string {
	return fmt.Sprintf("card:%d:%s:%s", caseID, d.Transport, d.Channel)
}

// pickOwner applies the team's strategy. The team's state row is bumped
// first: on PostgreSQL that row lock serialises assignment per team across
// replicas, and its counter drives round-robin.
func (s *Store) pickOwner(tx *gorm.DB, team *TeamPolicy) (string, error) {
	var n int64
	err := tx.Raw(`INSERT INTO team_states (team_id, assigned) VALUES (?, 1)
		ON CONFLICT (team_id) DO UPDATE SET assigned = team_states.assigned + 1
		RETURNING assigned`, team.ID).Scan(&n).Error
	if err != nil {
		return "", fmt.Errorf("team assignment state: %w", err)
	}
	members := team.Members
	if len(members) == 0 {
		return "", nil
	}
	start := int((n - 1) % int64(len(members)))
	switch team.Assign {
	case AssignChampion:
		if team.Champion != "" {
			return team.Champion, nil
		}
	case AssignLeastLoaded:
		type load struct {
			Owner string
			N     int64
		}
		var loads []load
		err := tx.Model(&Case{}).Select("owner, count(*) AS n").
			Where("team_id = ? AND state IN ?", team.ID, []CaseState{StateAssigned, StateThanked}).
			Group("owner").Scan(&loads).Error
		if err != nil {
			return "", fmt.Errorf("count open cases: %w", err)
		}
		byOwner := map[string]int64{}
		for _, l := range loads {
			byOwner[strings.ToLower(l.Owner)] = l.N
		}
		best, bestN := "", int64(-1)
		for i := range members {
			m := members[(start+i)%len(members)]
			if c := byOwner[strings.ToLower(m)]; bestN < 0 || c < bestN {
				best, bestN = m, c
			}
		}
		return best, nil
	}
	return members[start], nil
}

// queueCardRefresh asks every posted (or to-be-posted) card of the case to be
// updated, and notes the change in its thread.
func (s *Store) queueCardRefresh(tx *gorm.DB, now time.Time, caseID int64, note string) error {
	var posts []OutboxMessage
	if err := tx.Where("case_id = ? AND kind = ?", caseID, KindCardPost).Find(&posts).Error; err != nil {
		return fmt.Errorf("find card posts: %w", err)
	}
	for _, p := range posts {
		d := Destination{Transport: p.Transport, Channel: p.Channel}
		for _, m := range []OutboxMessage{
			{Kind: KindCardUpdate, Transport: p.Transport, Channel: p.Channel, CaseID: caseID, OrderKey: cardOrderKey(caseID, d)},
			{Kind: KindThreadReply, Transport: p.Transport, Channel: p.Channel, CaseID: caseID, Text: note, OrderKey: cardOrderKey(caseID, d)},
		} {
			if err := enqueue(tx, now, &m); err != nil {
				return err
			}
		}
	}
	return nil
}

func enqueue(tx *gorm.DB, now time.Time, m *OutboxMessage) error {
	m.State = OutboxPending
	m.NextAttemptAt = now
	m.CreatedAt = now
	if err := tx.Create(m).Error; err != nil {
		return fmt.Errorf("queue %s message: %w", m.Kind, err)
	}
	return nil
}
