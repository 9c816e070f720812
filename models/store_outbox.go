package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ClaimOutbox leases up to n due messages to worker until now+lease. A
// message is due when pending, its next attempt has come, no live lease holds
// it, no earlier pending message shares its order key (so a card's update
// never overtakes its post), and its conversation's pace allows another
// message. On PostgreSQL rows locked by another replica's claim are skipped,
// so replicas never claim the same message at once; an expired lease (a
// crashed worker) makes the message claimable again. At most one message per
// conversation is claimed, and a paced conversation's next slot is taken in
// the same statement, so replicas together keep to the pace.
//
// The cost does not grow with the backlog: the claim visits each
// conversation with pending messages once (a skip scan of the
// (state, transport, pace_key, next_attempt_at) index) and reads only the head
// of its queue, and the order-key check is one probe of the
// (order_key, state, id) index; a conversation whose pace slot is taken is
// not read at all.
func (s *Store) ClaimOutbox(ctx context.Context, worker string, now time.Time, lease time.Duration, n int, pace Pacing) ([]OutboxMessage, error) {
	now = now.UTC()
	until := now.Add(lease)
	paced := pace.pacedTransports()
	var claimed []OutboxMessage
	var err error
	if s.postgres {
		err = s.db.WithContext(ctx).Raw(claimSQLPostgres, now, now, now, n, until, paced, now, worker, until, paced).
			Scan(&claimed).Error
	} else {
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Raw(claimSQLSQLite, worker, until, now, now, now, n).Scan(&claimed).Error; err != nil {
				return err
			}
			// One writer at a time on SQLite: the pace check in the claim
			// above still holds, so every claimed conversation takes its slot.
			var vals [][]any
			for _, slot := range pace.slotsTaken(claimed) {
				vals = append(vals, []any{slot[0], slot[1], until})
			}
			if len(vals) == 0 {
				return nil
			}
			sql, args := valuesSQL("channel_paces", []string{"transport", "channel", "next_at"}, vals)
			return tx.Exec(sql+" ON CONFLICT (transport, channel) DO UPDATE SET next_at = excluded.next_at", args...).Error
		})
	}
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	slices.SortFunc(claimed, func(a, b OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
	return claimed, nil
}

// SetPace sets when the next message may go to a conversation: after a
// failed delivery, a gap after the platform's answer.
func (s *Store) SetPace(ctx context.Context, transport, channel string, next time.Time) error {
	return setPace(s.db.WithContext(ctx), transport, channel, next)
}

func setPace(tx *gorm.DB, transport, channel string, next time.Time) error {
	err := tx.Model(&ChannelPace{}).Where("transport = ? AND channel = ?", transport, channel).Update("next_at", next.UTC()).Error
	if err != nil {
		return fmt.Errorf("pace %s %s: %w", transport, channel, err)
	}
	return nil
}

// NextDue is the earliest moment after now at which a pending message may
// become claimable, so an idle worker sleeps exactly as long as it must; the
// zero time when nothing waits.
func (s *Store) NextDue(ctx context.Context, now time.Time) (time.Time, error) {
	now = now.UTC()
	var next time.Time
	var attempt, pace []time.Time
	db := s.read(ctx)
	if err := db.Model(&OutboxMessage{}).Where("state = ? AND next_attempt_at > ?", OutboxPending, now).
		Order("next_attempt_at").Limit(1).Pluck("next_attempt_at", &attempt).Error; err != nil {
		return next, fmt.Errorf("next attempt: %w", err)
	}
	if err := db.Model(&ChannelPace{}).Where("next_at > ?", now).Order("next_at").Limit(1).Pluck("next_at", &pace).Error; err != nil {
		return next, fmt.Errorf("next pace slot: %w", err)
	}
	var leased []time.Time
	if err := db.Model(&OutboxMessage{}).Where("state = ? AND lease_until > ?", OutboxPending, now).
		Order("lease_until").Limit(1).Pluck("lease_until", &leased).Error; err != nil {
		return next, fmt.Errorf("next lease expiry: %w", err)
	}
	for _, l := range [][]time.Time{attempt, pace, leased} {
		if len(l) == 1 && (next.IsZero() || l[0].Before(next)) {
			next = l[0]
		}
	}
	return next, nil
}

// MarkDelivered records a delivery. The message's state, its conversation's
// next pace slot and, for a card post, the platform's message reference (so
// later updates find it) are written together: on PostgreSQL in one
// statement, on SQLite in one transaction of at most three statements on the
// in-process writer, which costs one commit. Roll-ups and customer emails,
// rare beside cards and DMs, also update what they belong to.
func (s *Store) MarkDelivered(ctx context.Context, m *OutboxMessage, ref string, now time.Time) error {
	now = now.UTC()
	writes := deliveryWrites(m, ref, now)
	db := s.db.WithContext(ctx)
	var err error
	switch {
	case m.Kind == KindRollupPost && ref != "", m.Kind == KindCustomerEmail:
		err = db.Transaction(func(tx *gorm.DB) error {
			if err := writes.exec(tx); err != nil {
				return err
			}
			if m.Kind == KindCustomerEmail {
				return s.emailDelivered(tx, m, now)
			}
			return rollupPosted(tx, m, ref, now)
		})
	case s.postgres:
		err = writes.execAsOne(db)
	case len(writes) == 1:
		err = writes.exec(db)
	default:
		err = db.Transaction(writes.exec)
	}
	if err != nil {
		return fmt.Errorf("mark message %d delivered: %w", m.ID, err)
	}
	return nil
}

func (w sqlWrites) exec(tx *gorm.DB) error {
	for _, st := range w {
		if err := tx.Exec(st.sql, st.args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// execAsOne runs the writes as one PostgreSQL statement: each but the last
// becomes a data-modifying WITH clause, all against one snapshot and
// atomically. PostgreSQL runs such clauses in no set order, so each write
// waits for the one before it by reading its result: the rows are locked in
// the order of a transaction of the same statements, as other writers lock
// them, and no deadlock can come of the order.
func (w sqlWrites) execAsOne(db *gorm.DB) error {
	if len(w) == 1 {
		return w.exec(db)
	}
	var b strings.Builder
	var args []any
	for i, st := range w {
		text := st.sql
		if i > 0 {
			text = fmt.Sprintf(st.after, fmt.Sprintf("(SELECT count(*) FROM w%d) >= 0", i-1))
		}
		switch {
		case i == len(w)-1:
			b.WriteString(text)
		case i == 0:
			fmt.Fprintf(&b, "WITH w%d AS (%s RETURNING 1)\n", i, text)
		default:
			fmt.Fprintf(&b, ", w%d AS (%s RETURNING 1)\n", i, text)
		}
		args = append(args, st.args...)
	}
	return db.Exec(b.String(), args...).Error
}

// MarkRetry releases a message for another attempt at next. An attempt the
// platform refused only for its rate limit is not counted (counted false),
// so it does not lengthen the backoff of later failures.
func (s *Store) MarkRetry(ctx context.Context, id int64, next time.Time, reason string, counted bool) error {
	set := map[string]any{"next_attempt_at": next.UTC(), "lease_owner": "", "lease_until": nil, "last_error": truncate(reason, 2000)}
	if !counted {
		set["attempts"] = gorm.Expr("attempts - 1")
	}
	err := s.db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ?", id).Updates(set).Error
	if err != nil {
		return fmt.Errorf("reschedule message %d: %w", id, err)
	}
	return nil
}

// MarkFailed gives up on a message for good.
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string) error {
	err := s.db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ?", id).Updates(map[string]any{
		"state": OutboxFailed, "lease_owner": "", "lease_until": nil, "last_error": truncate(reason, 2000),
	}).Error
	if err != nil {
		return fmt.Errorf("mark message %d failed: %w", id, err)
	}
	return nil
}

// ReleaseLease hands a claimed message back without counting the attempt,
// as a worker does when it shuts down before delivering.
func (s *Store) ReleaseLease(ctx context.Context, id int64) error {
	err := s.db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ? AND state = ?", id, OutboxPending).Updates(map[string]any{
		"lease_owner": "", "lease_until": nil, "attempts": gorm.Expr("attempts - 1"),
	}).Error
	if err != nil {
		return fmt.Errorf("release message %d: %w", id, err)
	}
	return nil
}

// CardRefsOf returns where a case's card was posted on one transport, in
// every channel it went to, oldest post first.
func (s *Store) CardRefsOf(ctx context.Context, caseID int64, transport string) ([]CardRef, error) {
	var refs []CardRef
	err := s.db.WithContext(ctx).Where("case_id = ? AND transport = ?", caseID, transport).Order("posted_at, channel").Find(&refs).Error
	if err != nil {
		return nil, fmt.Errorf("cards of case %d: %w", caseID, err)
	}
	return refs, nil
}

// CardRef returns where a case's card was posted on one channel.
func (s *Store) CardRef(ctx context.Context, caseID int64, transport, channel string) (CardRef, error) {
	var cr CardRef
	err := s.read(ctx).Where("case_id = ? AND transport = ? AND channel = ?", caseID, transport, channel).Take(&cr).Error
	if err != nil {
		return cr, notFound(err, fmt.Sprintf("card of case %d", caseID))
	}
	return cr, nil
}

// OutboxCounts returns the number of messages in each state.
func (s *Store) OutboxCounts(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		State string
		N     int64
	}
	err := s.read(ctx).Model(&OutboxMessage{}).Select("state, count(*) AS n").Group("state").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count outbox: %w", err)
	}
	out := map[string]int64{OutboxPending: 0, OutboxDelivered: 0, OutboxFailed: 0}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

// OldestPending returns when the oldest undelivered message was queued (ids
// grow with time, so the (state, id) index finds it at once);
// ok is false when none waits.
func (s *Store) OldestPending(ctx context.Context) (t time.Time, ok bool, err error) {
	var ts []time.Time
	err = s.read(ctx).Model(&OutboxMessage{}).Where("state = ?", OutboxPending).
		Order("id").Limit(1).Pluck("created_at", &ts).Error
	if err != nil {
		return t, false, fmt.Errorf("oldest pending message: %w", err)
	}
	if len(ts) == 0 {
		return t, false, nil
	}
	return ts[0], true, nil
}

// CaseView loads a case for display: the case, its response and whether the
// customer unsubscribed in one query, the trail in a second, and joined
// responses only when there are any, since delivery loads a view per card.
func (s *Store) CaseView(ctx context.Context, caseID int64) (CaseView, error) {
	var v CaseView
	db := s.read(ctx)
	cols, err := caseViewColumns(db)
	if err != nil {
		return v, err
	}
	var row caseViewRow
	q := db.Raw("SELECT "+cols+`,
		EXISTS (SELECT 1 FROM suppressions sp WHERE sp.email = lower(trim(r.customer_email))) AS suppressed,
		EXISTS (SELECT 1 FROM responses j WHERE j.joined_case_id = c.id) AS has_joined
		FROM cases c JOIN responses r ON r.id = c.response_id WHERE c.id = ?`, caseID).Scan(&row)
	if q.Error != nil {
		return v, fmt.Errorf("case %d: %w", caseID, q.Error)
	}
	if q.RowsAffected == 0 {
		return v, notFound(gorm.ErrRecordNotFound, fmt.Sprintf("case %d", caseID))
	}
	v.Case, v.Response, v.Suppressed = row.Case, row.Response, row.Suppressed
	if !sqlFoldsLikeGo(v.Response.CustomerEmail) {
		// lower and trim in SQL fold only ASCII; such an address is
		// normalised here the way it was when it was suppressed.
		if v.Suppressed, err = suppressed(db, v.Response.CustomerEmail); err != nil {
			return v, err
		}
	}
	if err := db.Where("case_id = ?", caseID).Order("id").Find(&v.Events).Error; err != nil {
		return v, fmt.Errorf("events of case %d: %w", caseID, err)
	}
	if row.HasJoined {
		if err := db.Where("joined_case_id = ?", caseID).Order("id").Find(&v.Joined).Error; err != nil {
			return v, fmt.Errorf("joined responses of case %d: %w", caseID, err)
		}
	}
	return v, nil
}

// caseViewColumns lists the case's and the response's columns under the
// prefixes caseViewRow expects, from the models' own schema.
func caseViewColumns(db *gorm.DB) (string, error) {
	var b strings.Builder
	for _, t := range []struct {
		model any
		alias string
	}{{&Case{}, "c"}, {&Response{}, "r"}} {
		stmt := &gorm.Statement{DB: db}
		if err := stmt.Parse(t.model); err != nil {
			return "", fmt.Errorf("schema of %T: %w", t.model, err)
		}
		for _, c := range stmt.Schema.DBNames {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s.%s AS %s_%s", t.alias, c, t.alias, c)
		}
	}
	return b.String(), nil
}

// Response loads one response.
func (s *Store) Response(ctx context.Context, id int64) (Response, error) {
	var r Response
	if err := s.read(ctx).Take(&r, id).Error; err != nil {
		return r, notFound(err, fmt.Sprintf("response %d", id))
	}
	return r, nil
}

// DiscardPending marks every pending message of transport as delivered
// without sending it, and says how many there were: the demo's chat, which
// nobody reads, so that its worker has only the emails to send.
func (s *Store) DiscardPending(ctx context.Context, transport string, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Model(&OutboxMessage{}).Where("state = ? AND transport = ?", OutboxPending, transport).
		Updates(map[string]any{"state": OutboxDelivered, "delivered_at": now.UTC()})
	if res.Error != nil {
		return 0, fmt.Errorf("discard pending %s messages: %w", transport, res.Error)
	}
	return res.RowsAffected, nil
}

// nextConv is one column of the conversation after c: the next pace key of
// the same transport, else the first of the next transport.
func nextConv(col string) string {
	return `COALESCE(
    (SELECT o.` + col + ` FROM outbox_messages o WHERE o.state = 'pending' AND o.transport = c.transport AND o.pace_key > c.pace_key
     ORDER BY o.state, o.transport, o.pace_key LIMIT 1),
    (SELECT o.` + col + ` FROM outbox_messages o WHERE o.state = 'pending' AND o.transport > c.transport
     ORDER BY o.state, o.transport, o.pace_key LIMIT 1))`
}

// sqlWrite is one data-changing statement. after is the same statement
// for PostgreSQL with a %s where a condition goes that makes it wait for the
// statement before it (see execAsOne); empty for the first.
type sqlWrite struct {
	sql, after string
	args       []any
}

type sqlWrites []sqlWrite

// deliveryWrites lists what recording m's delivery changes, in the order
// its rows are locked: the message, its conversation's pace, and where a
// card was posted.
func deliveryWrites(m *OutboxMessage, ref string, now time.Time) sqlWrites {
	w := sqlWrites{{sql: `UPDATE outbox_messages SET state = ?, delivered_at = ?, lease_owner = '', lease_until = NULL, last_error = '' WHERE id = ?`,
		args: []any{OutboxDelivered, now, m.ID}}}
	if m.PaceNext != nil {
		const pace = `UPDATE channel_paces SET next_at = ? WHERE transport = ? AND channel = ?`
		w = append(w, sqlWrite{sql: pace, after: pace + ` AND %s`, args: []any{m.PaceNext.UTC(), m.Transport, m.PaceKey}})
	}
	channel := m.Channel
	if (m.Kind == KindCaseDM || m.Kind == KindUnownedDM) && m.CaseID != 0 {
		// A DM's copy of the card, updated with the channel's.
		channel = DMCardChannel(m.Recipient)
	} else if m.Kind != KindCardPost {
		ref = ""
	}
	if ref != "" {
		const upsert = `
  ON CONFLICT (case_id, transport, channel) DO UPDATE SET ref = excluded.ref, posted_at = excluded.posted_at`
		w = append(w, sqlWrite{
			sql: `INSERT INTO card_refs (case_id, transport, channel, ref, posted_at) VALUES (?, ?, ?, ?, ?)` + upsert,
			after: `INSERT INTO card_refs (case_id, transport, channel, ref, posted_at)
  SELECT CAST(? AS bigint), CAST(? AS text), CAST(? AS text), CAST(? AS text), CAST(? AS timestamptz) WHERE %s` + upsert,
			args: []any{m.CaseID, m.Transport, channel, ref, now}})
	}
	return w
}

// caseViewRow is one row of CaseView's first query.
type caseViewRow struct {
	Case       Case     `gorm:"embedded;embeddedPrefix:c_"`
	Response   Response `gorm:"embedded;embeddedPrefix:r_"`
	Suppressed bool
	HasJoined  bool
}

// sqlFoldsLikeGo reports whether SQL's lower(trim(a)) equals suppressed's
// strings.ToLower(strings.TrimSpace(a)): true for ASCII without tabs or
// line breaks at its ends.
func sqlFoldsLikeGo(a string) bool {
	for i := 0; i < len(a); i++ {
		if a[i] >= 0x80 {
			return false
		}
	}
	return strings.TrimSpace(a) == strings.Trim(a, " ")
}

// conversationsSQL lists the conversations (transport, pace key) with
// pending messages by skipping through the index from one to the next, so
// it reads as many index entries as there are conversations, not messages.
// Each column comes from a scalar subquery: the planner always runs those
// as index probes, whatever its statistics say.
var conversationsSQL = `WITH RECURSIVE conv(transport, pace_key) AS (
  SELECT transport, pace_key FROM (SELECT transport, pace_key FROM outbox_messages WHERE state = 'pending'
    ORDER BY state, transport, pace_key LIMIT 1) f
  UNION ALL
  SELECT ` + nextConv("transport") + `, ` + nextConv("pace_key") + `
  FROM conv c WHERE c.transport IS NOT NULL
)`

// headFilter makes o the next message of its conversation: due, not leased,
// and first of its order key.
const headFilter = `o.state = 'pending' AND o.transport = c.transport AND o.pace_key = c.pace_key
    AND o.next_attempt_at <= ? AND (o.lease_until IS NULL OR o.lease_until < ?)
    AND NOT EXISTS (SELECT 1 FROM outbox_messages e WHERE e.order_key = o.order_key AND e.state = 'pending' AND e.id < o.id)
    ORDER BY o.next_attempt_at, o.id LIMIT 1`

const paceFree = `NOT EXISTS (SELECT 1 FROM channel_paces p WHERE p.transport = c.transport AND p.channel = c.pace_key AND p.next_at > ?)`

// claimSQLPostgres claims in one statement: the heads of the free
// conversations are locked (skipping those another replica holds), the paced
// ones take their conversation's slot, and those that won it are leased.
var claimSQLPostgres = conversationsSQL + `,
heads AS (
  SELECT h.id, h.transport, h.pace_key
  FROM conv c
  CROSS JOIN LATERAL (SELECT o.id, o.transport, o.pace_key FROM outbox_messages o WHERE ` + headFilter + ` FOR UPDATE SKIP LOCKED) h
  WHERE c.transport IS NOT NULL AND ` + paceFree + `
  ORDER BY h.id LIMIT ?
),
slots AS (
  INSERT INTO channel_paces (transport, channel, next_at)
  SELECT transport, pace_key, CAST(? AS timestamptz) FROM heads WHERE transport IN ?
  ON CONFLICT (transport, channel) DO UPDATE SET next_at = excluded.next_at WHERE channel_paces.next_at <= ?
  RETURNING transport, channel
)
UPDATE outbox_messages m SET lease_owner = ?, lease_until = ?, attempts = m.attempts + 1
FROM heads h
WHERE m.id = h.id AND (h.transport NOT IN ? OR EXISTS (SELECT 1 FROM slots s WHERE s.transport = h.transport AND s.channel = h.pace_key))
RETURNING m.*`

// claimSQLSQLite leases the heads of the free conversations in one
// statement; SQLite has a single writer, so nothing is to be skipped.
var claimSQLSQLite = `UPDATE outbox_messages SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
WHERE id IN (` + conversationsSQL + `
  SELECT (SELECT o.id FROM outbox_messages o WHERE ` + headFilter + `) AS hid
  FROM conv c
  WHERE c.transport IS NOT NULL AND ` + paceFree + `
  ORDER BY hid LIMIT ?)
RETURNING *`

// QueueWelcome queues the bot's hello to a conversation of transport it was
// just added to, through the outbox, so that it is delivered and retried
// like every other message.
func (s *Store) QueueWelcome(ctx context.Context, now time.Time, transport, conversationID, text string) error {
	m := OutboxMessage{Kind: KindWelcome, Transport: transport, Channel: conversationID, Text: text,
		OrderKey: truncate(transport+":"+conversationID, 250)}
	return enqueue(s.db.WithContext(ctx), now.UTC(), m)
}
