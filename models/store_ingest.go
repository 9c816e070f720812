package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Ingest stores a batch of validated responses in one transaction: each is
// classified, routed, and a detractor gets its case, events and outbound
// messages in the same commit. The batch is all-or-nothing. New responses,
// their cases, events and messages are written with one statement each for
// the whole batch; repeats and updates take a row-by-row path.
func (s *Store) Ingest(ctx context.Context, p *Policy, now time.Time, inputs []ResponseInput, opts IngestOptions) ([]IngestResult, error) {
	now = now.UTC()
	if err := s.ensureTeams(ctx, p); err != nil {
		return nil, err
	}
	rows := make([]Response, len(inputs))
	for i := range inputs {
		r, err := newResponse(p, now, &inputs[i])
		if err != nil {
			return nil, fmt.Errorf("response %d (%s/%s): %w", i, inputs[i].Source, inputs[i].ExternalID, err)
		}
		rows[i] = r
	}
	results := make([]IngestResult, len(inputs))
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		inserted, err := insertNew(tx, rows)
		if err != nil {
			return err
		}
		known, err := storedUnchanged(tx, rows, inputs, inserted)
		if err != nil {
			return err
		}
		var toOpen []*Response
		var kudos []OutboxMessage
		for i := range rows {
			r := &rows[i]
			id, isNew := inserted[responseKey{r.Source, r.ExternalID}]
			if res, same := known[responseKey{r.Source, r.ExternalID}]; !isNew && same {
				results[i] = res // an identical repeat: nothing to do
				continue
			}
			if !isNew {
				res, err := s.updateExisting(tx, p, now, r, &inputs[i], opts)
				if err != nil {
					return fmt.Errorf("response %d (%s/%s): %w", i, r.Source, r.ExternalID, err)
				}
				results[i] = res
				continue
			}
			r.ID = id
			results[i] = IngestResult{ResponseID: id, Outcome: OutcomeCreated, Segment: r.Segment, Source: r.Source, TeamID: r.TeamID}
			if r.SubmittedAt.Before(opts.CasesSince) {
				continue
			}
			switch {
			case r.Segment == SegmentDetractor:
				toOpen = append(toOpen, r)
			case r.Segment == SegmentPromoter && strings.TrimSpace(r.Comment) != "":
				for _, d := range p.KudosDestinations {
					kudos = append(kudos, OutboxMessage{Kind: KindKudos, Transport: d.Transport, Channel: d.Channel, ResponseID: r.ID,
						Recipient: r.Attributes["employee_email"], OrderKey: fmt.Sprintf("kudos:%d", r.ID)})
				}
			}
		}
		toOpen, joined, err := s.joinOpenCases(tx, now, toOpen)
		if err != nil {
			return err
		}
		cases, err := s.openCases(tx, p, now, toOpen)
		if err != nil {
			return err
		}
		for i := range results {
			if c, ok := cases[results[i].ResponseID]; ok && results[i].Outcome == OutcomeCreated {
				results[i].CaseID, results[i].CaseOpened, results[i].TeamID = c.ID, true, c.TeamID
			}
		}
		// Responses that came in this batch after their customer's first
		// one join the case it just opened.
		if err := s.joinBatchCases(tx, now, joined, cases); err != nil {
			return err
		}
		for i := range results {
			if j, ok := joined[results[i].ResponseID]; ok && results[i].Outcome == OutcomeCreated {
				results[i].CaseID, results[i].TeamID = j.caseID(cases), j.resp.TeamID
			}
		}
		return enqueue(tx, now, kudos...)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// insertNew inserts the batch in one statement and returns the ids of the
// rows it stored. The unique index on (source, external_id) decides who
// stores a response first: a row that already exists, or that a concurrent
// transaction is storing, is skipped here and takes the update path.
func insertNew(tx *gorm.DB, rows []Response) (map[responseKey]int64, error) {
	vals := make([][]any, len(rows))
	for i := range rows {
		r := &rows[i]
		vals[i] = []any{r.Source, r.ExternalID, r.Metric, r.Score, r.Segment, r.Comment, r.SubmittedAt, r.Touchpoint,
			r.CustomerID, r.CustomerName, r.CustomerEmail, r.CustomerPhone, r.ContactOK, jsonText(r.Attributes), jsonText(r.Themes),
			r.Language, r.TeamID, r.ContentHash, r.Version, r.ReceivedAt, r.UpdatedAt}
	}
	sql, args := valuesSQL("responses", responseColumns, vals)
	sql += " ON CONFLICT (source, external_id) DO NOTHING RETURNING id, source, external_id"
	// Rows, not Scan: gorm's Scan renders the whole statement with its
	// arguments for its logger even when logging is off.
	rs, err := tx.Raw(sql, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("insert responses: %w", err)
	}
	defer rs.Close()
	out := make(map[responseKey]int64, len(rows))
	for rs.Next() {
		var id int64
		var k responseKey
		if err := rs.Scan(&id, &k.source, &k.externalID); err != nil {
			return nil, fmt.Errorf("read inserted responses: %w", err)
		}
		out[k] = id
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("insert responses: %w", err)
	}
	return out, nil
}

// storedUnchanged finds, in two queries for the whole batch, the responses
// that were already stored with exactly this content, so repeats (a re-run
// import, a retried webhook) skip the row-by-row update path. A repeat
// without submitted_at is compared at the stored time.
func storedUnchanged(tx *gorm.DB, rows []Response, inputs []ResponseInput, inserted map[responseKey]int64) (map[responseKey]IngestResult, error) {
	var keys [][]any
	hashes := map[responseKey]string{}
	omitted := map[responseKey]*ResponseInput{}
	for i := range rows {
		k := responseKey{rows[i].Source, rows[i].ExternalID}
		if _, isNew := inserted[k]; !isNew {
			keys = append(keys, []any{k.source, k.externalID})
			hashes[k] = rows[i].ContentHash
			if inputs[i].SubmittedAtOmitted {
				omitted[k] = &inputs[i]
			}
		}
	}
	out := map[responseKey]IngestResult{}
	if len(keys) == 0 {
		return out, nil
	}
	var stored []Response
	if err := tx.Select("id", "source", "external_id", "content_hash", "segment", "team_id", "submitted_at").
		Where("(source, external_id) IN ?", keys).Find(&stored).Error; err != nil {
		return nil, fmt.Errorf("look up repeats: %w", err)
	}
	byID := map[int64]responseKey{}
	var ids []int64
	for _, r := range stored {
		k := responseKey{r.Source, r.ExternalID}
		h := hashes[k]
		if in := omitted[k]; in != nil {
			h = in.contentHashAt(r.SubmittedAt)
		}
		if h != r.ContentHash {
			continue
		}
		out[k] = IngestResult{ResponseID: r.ID, Outcome: OutcomeUnchanged, Segment: r.Segment, Source: r.Source, TeamID: r.TeamID}
		byID[r.ID] = k
		ids = append(ids, r.ID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	var cases []Case
	if err := tx.Select("id", "response_id", "team_id").Where("response_id IN ?", ids).Find(&cases).Error; err != nil {
		return nil, fmt.Errorf("look up cases of repeats: %w", err)
	}
	for _, c := range cases {
		k := byID[c.ResponseID]
		res := out[k]
		res.CaseID, res.TeamID = c.ID, c.TeamID
		out[k] = res
	}
	return out, nil
}

// updateExisting handles a response already stored under the same key: an
// identical repeat changes nothing; a changed one is updated, noted in its
// case's trail and its card refreshed; one that became a detractor gets its
// case now. A repeat without submitted_at keeps the stored one.
func (s *Store) updateExisting(tx *gorm.DB, p *Policy, now time.Time, incoming *Response, in *ResponseInput, opts IngestOptions) (IngestResult, error) {
	var cur Response
	q := tx.Where("source = ? AND external_id = ?", incoming.Source, incoming.ExternalID)
	if s.postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Take(&cur).Error; err != nil {
		return IngestResult{}, notFound(err, "load existing response")
	}
	res := IngestResult{ResponseID: cur.ID, Segment: cur.Segment, Source: cur.Source, Outcome: OutcomeUnchanged, TeamID: cur.TeamID}
	var c Case
	err := tx.Where("response_id = ?", cur.ID).Take(&c).Error
	hasCase := err == nil
	if err != nil && err != gorm.ErrRecordNotFound {
		return res, fmt.Errorf("load case: %w", err)
	}
	if hasCase {
		res.CaseID, res.TeamID = c.ID, c.TeamID
	}
	if in.SubmittedAtOmitted {
		incoming.SubmittedAt = cur.SubmittedAt.UTC()
		incoming.ContentHash = in.contentHashAt(cur.SubmittedAt)
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
		"attributes": jsonText(incoming.Attributes), "themes": jsonText(incoming.Themes),
		"language": incoming.Language, "version": gorm.Expr("version + 1"), "updated_at": now,
	}
	if !hasCase {
		// Without a case nothing has been routed yet; the new content decides.
		upd["team_id"] = incoming.TeamID
		res.TeamID = incoming.TeamID
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
	if incoming.Segment == SegmentDetractor && !incoming.SubmittedAt.Before(opts.CasesSince) {
		r := *incoming
		r.ID = cur.ID
		cases, err := s.openCases(tx, p, now, []*Response{&r})
		if err != nil {
			return res, err
		}
		res.CaseID, res.CaseOpened, res.TeamID = cases[r.ID].ID, true, cases[r.ID].TeamID
	}
	return res, nil
}

// openCases opens the cases of detractor responses (already stored, with
// ids) with their owners, due times, trails and outbound messages, writing
// each kind of row in one statement. It returns the cases by response id.
func (s *Store) openCases(tx *gorm.DB, p *Policy, now time.Time, resps []*Response) (map[int64]*Case, error) {
	if len(resps) == 0 {
		return nil, nil
	}
	byTeam := map[string][]int{} // team id → indexes into resps, in order
	var teamOrder []string
	teams := make([]*TeamPolicy, len(resps))
	for i, r := range resps {
		team, ok := p.Team(r.TeamID)
		if !ok {
			if team, ok = p.Team(p.DefaultTeam); !ok {
				return nil, fmt.Errorf("no team %q and no default team", r.TeamID)
			}
		}
		teams[i] = team
		if _, seen := byTeam[team.ID]; !seen {
			teamOrder = append(teamOrder, team.ID)
		}
		byTeam[team.ID] = append(byTeam[team.ID], i)
	}
	owners := make([]string, len(resps))
	away, err := awayPeople(tx, now)
	if err != nil {
		return nil, err
	}
	for _, id := range teamOrder {
		idx := byTeam[id]
		picked, err := s.pickOwners(tx, teams[idx[0]], len(idx), away)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			owners[i] = picked[j]
		}
	}
	cases := make([]Case, len(resps))
	for i, r := range resps {
		team, loc := teams[i], p.TeamLocation(teams[i])
		cases[i] = Case{
			ResponseID: r.ID, TeamID: team.ID, State: StateOpen, Owner: owners[i], OpenedAt: now,
			ThankYouDueAt:   DueAt(now, p.SLA.ThankYou, team.Hours, loc, team.Holidays).UTC(),
			ResolutionDueAt: DueAt(now, p.SLA.Resolution, team.Hours, loc, team.Holidays).UTC(),
			Urgent:          p.urgent(r),
			UpdatedAt:       now,
		}
		if owners[i] != "" {
			cases[i].State = StateAssigned
		}
	}
	if err := tx.Create(&cases).Error; err != nil {
		return nil, fmt.Errorf("create cases: %w", err)
	}
	var events []CaseEvent
	var msgs []OutboxMessage
	out := make(map[int64]*Case, len(cases))
	for i := range cases {
		c, r, team := &cases[i], resps[i], teams[i]
		out[r.ID] = c
		events = append(events, CaseEvent{CaseID: c.ID, At: now, Actor: "cxloop", Kind: "opened", ToState: StateOpen,
			Detail: fmt.Sprintf("%s %d from %s, routed to %s", r.Metric, r.Score, r.Source, team.Name)})
		if c.Owner != "" {
			events = append(events, CaseEvent{CaseID: c.ID, At: now, Actor: "cxloop", Kind: "assigned",
				FromState: StateOpen, ToState: StateAssigned, Detail: fmt.Sprintf("assigned to %s (%s)", c.Owner, team.Assign)})
		}
		recipients, kind := []string{c.Owner}, KindCaseDM
		if c.Owner == "" {
			recipients, kind = team.Managers, KindUnownedDM
			if len(recipients) == 0 {
				recipients = p.Admins
			}
		}
		msgs = append(msgs, fanOutDM(p, recipients,
			OutboxMessage{Kind: kind, CaseID: c.ID, NextAttemptAt: p.DMAt(team, now, false)}, caseDMKey(c.ID))...)
	}
	// Card posts per channel, in the order the cases opened, within each
	// channel's burst budget.
	type dest struct {
		d     Destination
		limit int
	}
	var dests []dest
	byDest := map[Destination][]int64{}
	for i := range cases {
		for _, d := range teams[i].Destinations {
			if _, seen := byDest[d]; !seen {
				dests = append(dests, dest{d, teams[i].Burst})
			}
			byDest[d] = append(byDest[d], cases[i].ID)
		}
	}
	// The cards go first: a DM links to its case's card, so it follows it.
	var cardMsgs []OutboxMessage
	for _, d := range dests {
		posts, err := s.queueCardPosts(tx, now, d.d, d.limit, byDest[d.d])
		if err != nil {
			return nil, err
		}
		cardMsgs = append(cardMsgs, posts...)
	}
	msgs = append(cardMsgs, msgs...)
	if err := s.insertEventsAndMessages(tx, now, events, msgs); err != nil {
		return nil, err
	}
	// The managers were just told of cases without an owner; the SLA sweep
	// must not tell them again.
	var notices []FollowupNotice
	for i := range cases {
		if cases[i].Owner == "" {
			notices = append(notices, FollowupNotice{CaseID: cases[i].ID, Followup: FollowupOwner, Kind: NoticeUnowned, At: now})
		}
	}
	if len(notices) > 0 {
		if err := tx.Create(&notices).Error; err != nil {
			return nil, fmt.Errorf("record unowned notices: %w", err)
		}
	}
	return out, nil
}

// insertEventsAndMessages writes a new case's trail and its outbound
// messages. On PostgreSQL both go in one statement (a data-modifying CTE):
// a round trip saved on the path every detractor takes.
func (s *Store) insertEventsAndMessages(tx *gorm.DB, now time.Time, events []CaseEvent, msgs []OutboxMessage) error {
	evRows := make([][]any, len(events))
	for i, e := range events {
		evRows[i] = []any{e.CaseID, e.At, e.Actor, e.Kind, e.FromState, e.ToState, e.Detail}
	}
	msgRows := make([][]any, len(msgs))
	for i, m := range msgs {
		msgRows[i] = []any{m.Kind, m.Transport, m.Channel, m.Recipient, m.CaseID, m.ResponseID, m.Text, m.OrderKey, paceKey(&m),
			OutboxPending, attemptAt(m.NextAttemptAt, now), 0, "", "", now}
	}
	evSQL, evArgs := valuesSQL("case_events", eventColumns, evRows)
	msgSQL, msgArgs := valuesSQL("outbox_messages", outboxColumns, msgRows)
	switch {
	case len(msgs) == 0:
		return execInsert(tx, "record case events", evSQL, evArgs)
	case s.postgres:
		return execInsert(tx, "record case events and messages", "WITH ev AS ("+evSQL+") "+msgSQL, append(evArgs, msgArgs...))
	default:
		if err := execInsert(tx, "record case events", evSQL, evArgs); err != nil {
			return err
		}
		return execInsert(tx, "queue messages", msgSQL, msgArgs)
	}
}

func execInsert(tx *gorm.DB, what, sql string, args []any) error {
	if err := tx.Exec(sql, args...).Error; err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// pickOwners chooses owners for k new cases of a team by its strategy,
// driven by the team's assignment counter in the database so that restarts
// and replicas rotate fairly.
func (s *Store) pickOwners(tx *gorm.DB, team *TeamPolicy, k int, away map[string]bool) ([]string, error) {
	counters, err := s.reserveAssignments(tx, team.ID, k)
	if err != nil {
		return nil, err
	}
	var load map[string]int64
	if team.Assign == AssignLeastLoaded && len(team.Members) > 0 {
		if load, err = openLoad(tx, team.ID); err != nil {
			return nil, err
		}
	}
	return assignOwners(team, counters[:k], load, away), nil
}

func openLoad(tx *gorm.DB, teamID string) (map[string]int64, error) {
	var rows []struct {
		Owner string
		N     int64
	}
	err := tx.Model(&Case{}).Select("owner, count(*) AS n").
		Where("team_id = ? AND state IN ?", teamID, []CaseState{StateAssigned, StateThanked}).
		Group("owner").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count open cases: %w", err)
	}
	load := make(map[string]int64, len(rows))
	for _, r := range rows {
		load[strings.ToLower(r.Owner)] += r.N
	}
	return load, nil
}

// reserveAssignments advances the team's assignment counter by k and
// returns the k values taken. On PostgreSQL the counter is a sequence per team:
// nextval takes no row lock, so concurrent ingests of one team do not queue
// behind each other's commits (a counter row would serialise them), and the
// value survives restarts and is shared by replicas. A rolled-back ingest
// leaves a gap, which shifts the rotation by one. SQLite has a single
// writer, so there a row in team_states serves.
func (s *Store) reserveAssignments(tx *gorm.DB, teamID string, k int) ([]int64, error) {
	if s.postgres {
		var vals []int64
		err := tx.Raw("SELECT nextval(?::regclass) AS v FROM generate_series(1, ?) ORDER BY 1", assignSequence(teamID), k).Scan(&vals).Error
		if err != nil {
			return nil, fmt.Errorf("team assignment sequence: %w", err)
		}
		if len(vals) != k {
			return nil, fmt.Errorf("team assignment sequence gave %d values for %d cases", len(vals), k)
		}
		return vals, nil
	}
	var n int64
	err := tx.Raw(`INSERT INTO team_states (team_id, assigned) VALUES (?, ?)
		ON CONFLICT (team_id) DO UPDATE SET assigned = team_states.assigned + excluded.assigned
		RETURNING assigned`, teamID, k).Scan(&n).Error
	if err != nil {
		return nil, fmt.Errorf("team assignment state: %w", err)
	}
	vals := make([]int64, k)
	for j := range vals {
		vals[j] = n - int64(k) + int64(j) + 1
	}
	return vals, nil
}

// ensureTeams creates the assignment sequences of the policy's teams once
// per store. It runs before the ingest transaction so that DDL never holds
// up an ingest.
func (s *Store) ensureTeams(ctx context.Context, p *Policy) error {
	if !s.postgres {
		return nil
	}
	for _, t := range p.Teams {
		if _, done := s.teamsReady.Load(t.ID); done {
			continue
		}
		seq := assignSequence(t.ID)
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			// Replicas may create the same sequence at once; the lock makes
			// IF NOT EXISTS safe.
			if err := tx.Exec(takeMigrateLock).Error; err != nil {
				return err
			}
			return tx.Exec("CREATE SEQUENCE IF NOT EXISTS " + seq).Error
		})
		if err != nil {
			return fmt.Errorf("create assignment sequence of team %s: %w", t.ID, err)
		}
		s.teamsReady.Store(t.ID, true)
	}
	return nil
}

// queueCardRefresh asks every posted (or to-be-posted) card of the case to be
// updated, and notes the change in its thread.
func (s *Store) queueCardRefresh(tx *gorm.DB, now time.Time, caseID int64, note string) error {
	return s.queueCardRefreshMessage(tx, now, caseID, note, nil)
}

// queueCardRefreshMessage is queueCardRefresh with a thread line that is a
// catalog message (line), written in the team's language at delivery; note
// is used when line is nil.
func (s *Store) queueCardRefreshMessage(tx *gorm.DB, now time.Time, caseID int64, note string, line *Message) error {
	var posts []OutboxMessage
	if err := tx.Where("case_id = ? AND kind = ?", caseID, KindCardPost).Find(&posts).Error; err != nil {
		return fmt.Errorf("find card posts: %w", err)
	}
	var msgs []OutboxMessage
	for _, p := range posts {
		key := cardOrderKey(caseID, Destination{Transport: p.Transport, Channel: p.Channel})
		msgs = append(msgs,
			OutboxMessage{Kind: KindCardUpdate, Transport: p.Transport, Channel: p.Channel, CaseID: caseID, OrderKey: key},
			OutboxMessage{Kind: KindThreadReply, Transport: p.Transport, Channel: p.Channel, CaseID: caseID, Text: note, Message: line, OrderKey: key})
	}
	// The copies of the card sent in DMs are updated too; they have no thread.
	var dms []CardRef
	if err := tx.Where("case_id = ? AND channel LIKE ?", caseID, DMCardPrefix+"%").Find(&dms).Error; err != nil {
		return fmt.Errorf("find DM cards: %w", err)
	}
	for _, r := range dms {
		to := strings.TrimPrefix(r.Channel, DMCardPrefix)
		msgs = append(msgs, OutboxMessage{Kind: KindCardUpdate, Transport: r.Transport, Channel: r.Channel, Recipient: to,
			CaseID: caseID, OrderKey: fmt.Sprintf("dm:%d:%s:%s", caseID, r.Transport, to)})
	}
	if err := queueRollupRefresh(tx, now, caseID); err != nil {
		return err
	}
	return enqueue(tx, now, msgs...)
}

// enqueue writes outbound messages in the caller's transaction, in one statement.
func enqueue(tx *gorm.DB, now time.Time, msgs ...OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	for i := range msgs {
		msgs[i].State = OutboxPending
		msgs[i].NextAttemptAt = attemptAt(msgs[i].NextAttemptAt, now)
		msgs[i].CreatedAt = now
		msgs[i].PaceKey = paceKey(&msgs[i])
	}
	if err := tx.Create(&msgs).Error; err != nil {
		return fmt.Errorf("queue %s message: %w", msgs[0].Kind, err)
	}
	return nil
}

// valuesSQL builds a multi-row INSERT with ? placeholders.
func valuesSQL(table string, cols []string, rows [][]any) (string, []any) {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	args := make([]any, 0, len(rows)*len(cols))
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(ph)
		args = append(args, r...)
	}
	return sb.String(), args
}
