package models

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// FindCustomer returns the ids of every response of the customer named by
// key (customer id, email or phone), and of every response that shares an
// id, email or phone with those: one person, however they were recorded.
func (s *Store) FindCustomer(ctx context.Context, key string) ([]int64, error) {
	return findCustomer(s.db.WithContext(ctx), key)
}

func findCustomer(db *gorm.DB, key string) ([]int64, error) {
	if strings.TrimSpace(key) == "" {
		return nil, &FieldError{Field: "customer", Msg: "name the customer by id, email or phone"}
	}
	// Phone numbers are compared as digits, which SQL cannot do portably:
	// the contact columns of every response are read (erasure is rare).
	var rows []contactRow
	err := db.Model(&Response{}).Select("id", "customer_id", "customer_email", "customer_phone").
		Where("customer_id <> '' OR customer_email <> '' OR customer_phone <> ''").Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	keys := []customerKey{newCustomerKey(key)}
	matched := map[int64]bool{}
	for grew := true; grew; {
		grew = false
		for _, r := range rows {
			if matched[r.ID] || !matchesAny(r, keys) {
				continue
			}
			matched[r.ID], grew = true, true
			for _, v := range []string{r.CustomerID, r.CustomerEmail, r.CustomerPhone} {
				if strings.TrimSpace(v) != "" {
					k := newCustomerKey(v)
					if v != r.CustomerID {
						k.id = "" // an email or phone is not an id
					}
					keys = append(keys, k)
				}
			}
		}
	}
	ids := make([]int64, 0, len(matched))
	for id := range matched {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// EraseCustomer removes the customer's name, email, phone, id and comment
// text from responses, cases, case events, outbox messages, dead letters
// and stored digests, in one transaction; scores, dates, segments, teams
// and themes stay, so statistics do not change. Posted cards are refreshed
// through the outbox, and each case gets an erased event. A second run
// finds nothing. dryRun reports without changing anything.
func (s *Store) EraseCustomer(ctx context.Context, p *Policy, now time.Time, actor, key string, dryRun bool) (ErasureReport, error) {
	e := erasure{contact: true, comment: true, trail: true, reason: ErasureRequest, actor: actor}
	var rep ErasureReport
	err := s.onOneConn(ctx, func(db *gorm.DB) error {
		ids, err := findCustomer(db, key)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if dryRun {
			rep, err = s.eraseTx(db.Begin(), p, now, ids, e, true)
			return err
		}
		if err := db.Transaction(func(tx *gorm.DB) error {
			rep, err = s.eraseTx(tx, p, now, ids, e, false)
			return err
		}); err != nil {
			return err
		}
		return s.compact(db)
	})
	return rep, err
}

// onOneConn runs f on a single connection, with SQLite's secure_delete on
// so that freed space is overwritten.
func (s *Store) onOneConn(ctx context.Context, f func(db *gorm.DB) error) error {
	return s.db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		db := conn.Session(&gorm.Session{NewDB: true}) // each query its own statement, on this connection
		if !s.postgres {
			if err := db.Exec("PRAGMA secure_delete = ON").Error; err != nil {
				return fmt.Errorf("secure_delete: %w", err)
			}
		}
		return f(db)
	})
}

// compact leaves no copy of erased data in the database files: on SQLite
// VACUUM rewrites the file and the WAL is checkpointed and truncated; on
// PostgreSQL VACUUM drops the old row versions from the tables (see the
// README for what it does not guarantee).
func (s *Store) compact(db *gorm.DB) error {
	if s.postgres {
		err := db.Exec("VACUUM responses, cases, case_events, outbox_messages, dead_letters, digest_runs, fix_followups").Error
		if err != nil {
			return fmt.Errorf("vacuum after erasure: %w", err)
		}
		return nil
	}
	if err := db.Exec("VACUUM").Error; err != nil {
		return fmt.Errorf("vacuum after erasure: %w", err)
	}
	// A reader of another connection (cxloop serve) may hold the WAL for a
	// moment: the checkpoint is tried again for a few seconds.
	var busy, logFrames, done int
	for try := 0; try < 40; try++ {
		if err := db.Raw("PRAGMA wal_checkpoint(TRUNCATE)").Row().Scan(&busy, &logFrames, &done); err != nil {
			return fmt.Errorf("checkpoint after erasure: %w", err)
		}
		if busy == 0 {
			break
		}
		select {
		case <-db.Statement.Context.Done():
			return db.Statement.Context.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint after erasure: the database is busy; the WAL still holds erased data until the next checkpoint")
	}
	return nil
}

// eraseTx erases the responses ids within tx; dry rolls tx back.
func (s *Store) eraseTx(tx *gorm.DB, p *Policy, now time.Time, ids []int64, e erasure, dry bool) (rep ErasureReport, err error) {
	if dry {
		defer tx.Rollback()
	}
	now = now.UTC()
	var resps []Response
	q := tx
	if s.postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Where("id IN ?", ids).Order("id").Find(&resps).Error; err != nil {
		return rep, fmt.Errorf("load responses to erase: %w", err)
	}
	// Another replica may have erased them meanwhile: only what still
	// holds something is erased, so a repeat changes nothing.
	var live []Response
	for _, r := range resps {
		if e.holds(&r) {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return rep, nil
	}
	fp := fingerprints{}
	for i := range live {
		r := &live[i]
		rep.ResponseIDs = append(rep.ResponseIDs, r.ID)
		fp.add(r, e)
		upd := map[string]any{"content_hash": erasedHash}
		if e.contact {
			upd["customer_id"], upd["customer_name"], upd["customer_email"], upd["customer_phone"], upd["contact_ok"] = "", "", "", "", nil
			attrs, err := json.Marshal(scrubAttributes(r.Attributes, r))
			if err != nil {
				return rep, fmt.Errorf("erase attributes of response %d: %w", r.ID, err)
			}
			upd["attributes"] = string(attrs)
		}
		if e.comment {
			upd["comment"] = ""
		}
		if err := tx.Model(&Response{}).Where("id = ?", r.ID).Updates(upd).Error; err != nil {
			return rep, fmt.Errorf("erase response %d: %w", r.ID, err)
		}
	}
	rep.Responses = len(live)
	if err := tx.Model(&Case{}).Where("response_id IN ?", rep.ResponseIDs).Order("id").Pluck("id", &rep.CaseIDs).Error; err != nil {
		return rep, fmt.Errorf("cases to erase: %w", err)
	}
	rep.Cases = len(rep.CaseIDs)
	if err := s.eraseTrail(tx, now, &rep, e, fp); err != nil {
		return rep, err
	}
	for _, id := range rep.CaseIDs {
		ev := CaseEvent{CaseID: id, At: now, Actor: e.actor, Kind: EventErased, Detail: e.reason}
		if err := tx.Create(&ev).Error; err != nil {
			return rep, fmt.Errorf("record erasure of case %d: %w", id, err)
		}
		if err := s.queueCardRefresh(tx, now, id, e.actor+": "+erasedLine[e.reason]); err != nil {
			return rep, err
		}
	}
	if err := tx.Create(&Erasure{At: now, Actor: e.actor, Reason: e.reason, Responses: rep.Responses, Cases: rep.Cases}).Error; err != nil {
		return rep, fmt.Errorf("record erasure: %w", err)
	}
	return rep, nil
}

// eraseTrail removes the copies around the responses: case texts, outbox
// texts, dead letters and stored digests.
func (s *Store) eraseTrail(tx *gorm.DB, now time.Time, rep *ErasureReport, e erasure, fp fingerprints) error {
	// Dead letters keep the raw body, which holds everything.
	var dls []DeadLetter
	if err := tx.Select("id", "body", "response_id").Find(&dls).Error; err != nil {
		return fmt.Errorf("dead letters to erase: %w", err)
	}
	isResp := map[int64]bool{}
	for _, id := range rep.ResponseIDs {
		isResp[id] = true
	}
	var dead []int64
	for _, d := range dls {
		if d.ResponseID != nil && isResp[*d.ResponseID] || fp.in(string(d.Body)) {
			dead = append(dead, d.ID)
		}
	}
	if len(dead) > 0 {
		if err := tx.Where("id IN ?", dead).Delete(&DeadLetter{}).Error; err != nil {
			return fmt.Errorf("erase dead letters: %w", err)
		}
	}
	rep.DeadLetters = len(dead)
	if !e.trail {
		return nil
	}
	if len(rep.CaseIDs) > 0 {
		if err := tx.Model(&Case{}).Where("id IN ?", rep.CaseIDs).Updates(map[string]any{"resolution": "", "updated_at": now}).Error; err != nil {
			return fmt.Errorf("erase resolutions: %w", err)
		}
		res := tx.Model(&CaseEvent{}).Where("case_id IN ? AND detail <> ''", rep.CaseIDs).Update("detail", "")
		if res.Error != nil {
			return fmt.Errorf("erase case trail: %w", res.Error)
		}
		rep.Events = int(res.RowsAffected)
		if err := tx.Model(&FixFollowUp{}).Where("case_id IN ?", rep.CaseIDs).Update("note", "").Error; err != nil {
			return fmt.Errorf("erase fix notes: %w", err)
		}
	}
	// Outbox texts of the cases; a message not yet sent that carried text
	// of the customer is not sent at all.
	caseIDs := append([]int64{0}, rep.CaseIDs...)
	res := tx.Model(&OutboxMessage{}).Where("(case_id IN ? OR response_id IN ?) AND state = ? AND (text <> '' OR message IS NOT NULL)", caseIDs, rep.ResponseIDs, OutboxPending).
		Updates(map[string]any{"state": OutboxFailed, "text": "", "message": nil, "last_error": "not sent: the customer's data was erased"})
	if res.Error != nil {
		return fmt.Errorf("erase pending messages: %w", res.Error)
	}
	n := res.RowsAffected
	res = tx.Model(&OutboxMessage{}).Where("(case_id IN ? OR response_id IN ?) AND (text <> '' OR last_error <> '' OR message IS NOT NULL)", caseIDs, rep.ResponseIDs).
		Updates(map[string]any{"text": "", "last_error": "", "message": nil})
	if res.Error != nil {
		return fmt.Errorf("erase sent messages: %w", res.Error)
	}
	rep.Messages = int(n + res.RowsAffected)
	// Stored digests that quote the customer are dropped; they render again
	// from the data, whose numbers the erasure leaves alone.
	var runs []DigestRun
	if err := tx.Select("id", "month", "summary", "html").Find(&runs).Error; err != nil {
		return fmt.Errorf("digests to erase: %w", err)
	}
	for _, r := range runs {
		if !fp.in(r.Summary) && !fp.in(r.HTML) {
			continue
		}
		if err := tx.Model(&DigestRun{}).Where("id = ?", r.ID).Updates(map[string]any{"summary": "", "html": "", "chart_png": nil}).Error; err != nil {
			return fmt.Errorf("erase digest %s: %w", r.Month, err)
		}
		if err := tx.Model(&OutboxMessage{}).Where("kind = ? AND order_key LIKE ?", KindDigest, "digest:"+r.Month+":%").
			Update("text", "").Error; err != nil {
			return fmt.Errorf("erase digest posts %s: %w", r.Month, err)
		}
		rep.DigestMonths = append(rep.DigestMonths, r.Month)
	}
	rep.Digests = len(rep.DigestMonths)
	return nil
}

// ApplyRetention removes the contact details of responses submitted before
// now−contactAge, and the comments of those before now−commentAge, whose
// cases are closed (or that have none). A zero age is off. Run again, it
// finds nothing more.
func (s *Store) ApplyRetention(ctx context.Context, p *Policy, now time.Time, contactAge, commentAge time.Duration) (RetentionReport, error) {
	var out RetentionReport
	err := s.onOneConn(ctx, func(db *gorm.DB) error {
		passes := []struct {
			age  time.Duration
			e    erasure
			cond string
			into *ErasureReport
		}{
			{contactAge, erasure{contact: true, reason: ErasureContactRetention, actor: "retention"},
				"(customer_id <> '' OR customer_name <> '' OR customer_email <> '' OR customer_phone <> '')", &out.Contact},
			{commentAge, erasure{comment: true, reason: ErasureCommentRetention, actor: "retention"}, "comment <> ''", &out.Comment},
		}
		changed := false
		for _, ps := range passes {
			if ps.age <= 0 {
				continue
			}
			for {
				var ids []int64
				err := db.Model(&Response{}).Where("submitted_at < ? AND "+ps.cond, now.Add(-ps.age).UTC()).
					Where("NOT EXISTS (SELECT 1 FROM cases WHERE cases.response_id = responses.id AND cases.state IN ?)", OpenStates).
					Order("id").Limit(retentionBatch).Pluck("id", &ids).Error
				if err != nil {
					return fmt.Errorf("responses past retention: %w", err)
				}
				if len(ids) == 0 {
					break
				}
				var rep ErasureReport
				if err := db.Transaction(func(tx *gorm.DB) error {
					rep, err = s.eraseTx(tx, p, now, ids, ps.e, false)
					return err
				}); err != nil {
					return err
				}
				if rep.Responses == 0 {
					break
				}
				changed = true
				ps.into.add(rep)
			}
		}
		if changed {
			return s.compact(db)
		}
		return nil
	})
	return out, err
}

// ExportCustomer gathers what is stored about the customer named by key.
func (s *Store) ExportCustomer(ctx context.Context, key string) (CustomerExport, error) {
	out := CustomerExport{Query: key, Responses: []Response{}, Cases: []Case{}, Events: []CaseEvent{}, Messages: []OutboxMessage{},
		DeadLetters: []ExportedBody{}}
	db := s.db.WithContext(ctx)
	ids, err := findCustomer(db, key)
	if err != nil || len(ids) == 0 {
		return out, err
	}
	if err := db.Where("id IN ?", ids).Order("id").Find(&out.Responses).Error; err != nil {
		return out, fmt.Errorf("export responses: %w", err)
	}
	if err := db.Where("response_id IN ?", ids).Order("id").Find(&out.Cases).Error; err != nil {
		return out, fmt.Errorf("export cases: %w", err)
	}
	caseIDs := []int64{0}
	for _, c := range out.Cases {
		caseIDs = append(caseIDs, c.ID)
	}
	if err := db.Where("case_id IN ?", caseIDs).Order("id").Find(&out.Events).Error; err != nil {
		return out, fmt.Errorf("export events: %w", err)
	}
	if err := db.Where("case_id IN ? OR response_id IN ?", caseIDs, ids).Order("id").Find(&out.Messages).Error; err != nil {
		return out, fmt.Errorf("export messages: %w", err)
	}
	fp := fingerprints{}
	isResp := map[int64]bool{}
	for i := range out.Responses {
		fp.add(&out.Responses[i], erasure{contact: true})
		isResp[out.Responses[i].ID] = true
	}
	var dls []DeadLetter
	if err := db.Order("id").Find(&dls).Error; err != nil {
		return out, fmt.Errorf("export dead letters: %w", err)
	}
	for _, d := range dls {
		if d.ResponseID != nil && isResp[*d.ResponseID] || fp.in(string(d.Body)) {
			out.DeadLetters = append(out.DeadLetters, ExportedBody{ID: d.ID, Provider: d.Provider, ReceivedAt: d.ReceivedAt, Body: string(d.Body)})
		}
	}
	return out, nil
}

// Audit lists case events (contact views and erasures among them) and
// erasures, oldest first, for a data-protection officer.
func (s *Store) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	db := s.db.WithContext(ctx)
	evq := db.Model(&CaseEvent{}).Order("at, id")
	if q.CaseID != 0 {
		evq = evq.Where("case_id = ?", q.CaseID)
	}
	if !q.Since.IsZero() {
		evq = evq.Where("at >= ?", q.Since.UTC())
	}
	var evs []CaseEvent
	if err := evq.Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("audit events: %w", err)
	}
	out := make([]AuditEntry, 0, len(evs))
	for _, e := range evs {
		out = append(out, AuditEntry{At: e.At.UTC(), CaseID: e.CaseID, Actor: e.Actor, Kind: e.Kind, FromState: string(e.FromState),
			ToState: string(e.ToState), Detail: e.Detail})
	}
	if q.CaseID == 0 {
		erq := db.Model(&Erasure{}).Order("at, id")
		if !q.Since.IsZero() {
			erq = erq.Where("at >= ?", q.Since.UTC())
		}
		var ers []Erasure
		if err := erq.Find(&ers).Error; err != nil {
			return nil, fmt.Errorf("audit erasures: %w", err)
		}
		for _, e := range ers {
			out = append(out, AuditEntry{At: e.At.UTC(), Actor: e.Actor, Kind: "erasure",
				Detail: fmt.Sprintf("%s: %d responses, %d cases", e.Reason, e.Responses, e.Cases)})
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	}
	return out, nil
}
