package models

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Improvements lists the backlog, most linked detractors first.
func (s *Store) Improvements(ctx context.Context, f ImprovementFilter) ([]ImprovementSummary, error) {
	return listImprovements(s.db.WithContext(ctx), f)
}

// Improvement loads one item with its counts.
func (s *Store) Improvement(ctx context.Context, id int64) (ImprovementSummary, error) {
	return loadImprovement(s.db.WithContext(ctx), id)
}

func listImprovements(db *gorm.DB, f ImprovementFilter) ([]ImprovementSummary, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	where, args := "", []any{}
	if len(f.Statuses) > 0 {
		where, args = "WHERE i.status IN ?", append(args, f.Statuses)
	}
	args = append(args, f.Limit)
	type row struct {
		ID, Linked, Told int64
	}
	var rows []row
	err := db.Raw(`SELECT i.id AS id, count(c.id) AS linked,
  COALESCE(sum(CASE WHEN c.customer_told_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS told
FROM improvement_items i LEFT JOIN cases c ON c.improvement_id = i.id `+where+`
GROUP BY i.id ORDER BY linked DESC, i.id LIMIT ?`, args...).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list improvement items: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var items []ImprovementItem
	if err := db.Where("id IN ?", ids).Find(&items).Error; err != nil {
		return nil, fmt.Errorf("load improvement items: %w", err)
	}
	byID := make(map[int64]ImprovementItem, len(items))
	for _, it := range items {
		byID[it.ID] = it
	}
	out := make([]ImprovementSummary, 0, len(rows))
	for _, r := range rows {
		if it, ok := byID[r.ID]; ok {
			out = append(out, ImprovementSummary{ImprovementItem: it, Linked: r.Linked, Told: r.Told})
		}
	}
	return out, nil
}

func loadImprovement(db *gorm.DB, id int64) (ImprovementSummary, error) {
	var sum ImprovementSummary
	if err := db.Take(&sum.ImprovementItem, id).Error; err != nil {
		return sum, notFound(err, fmt.Sprintf("improvement item %d", id))
	}
	var c struct{ Linked, Told int64 }
	err := db.Raw(`SELECT count(*) AS linked, COALESCE(sum(CASE WHEN customer_told_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS told
FROM cases WHERE improvement_id = ?`, id).Scan(&c).Error
	if err != nil {
		return sum, fmt.Errorf("count cases of improvement %d: %w", id, err)
	}
	sum.Linked, sum.Told = c.Linked, c.Told
	return sum, nil
}

// ActOnImprovement changes an improvement item on behalf of actor (an admin
// or a manager). Marking it done closes the outer loop in the same
// transaction: each linked case whose customer can be contacted gets its
// "customer told of the fix" follow-up, each owner one DM listing the
// customers to call back, and each affected team's channels an announcement.
func (s *Store) ActOnImprovement(ctx context.Context, p *Policy, now time.Time, id int64, actor string, op ItemOp) (ImprovementSummary, error) {
	now = now.UTC()
	if !p.CanManageBacklog(actor) {
		return ImprovementSummary{}, refuseAs("backlogoutcome.only_managers", "only admins and team managers can change improvement items")
	}
	fixDone, err := p.fixDoneTemplates(op.FixDone)
	if err != nil {
		return ImprovementSummary{}, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var item ImprovementItem
		q := tx
		if s.postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Take(&item, id).Error; err != nil {
			return notFound(err, fmt.Sprintf("improvement item %d", id))
		}
		upd := map[string]any{"updated_at": now}
		switch op.Kind {
		case ItemOpTake:
			if strings.EqualFold(item.Owner, actor) {
				return refuseAs("backlogoutcome.already_yours", fmt.Sprintf("improvement #%d is already yours", id), "ItemID", id)
			}
			upd["owner"] = actor
		case ItemOpRename:
			title := strings.Join(strings.Fields(op.Title), " ")
			if title == "" {
				return fieldError("title", "backlogoutcome.title_missing", "an improvement needs a title")
			}
			if utf8.RuneCountInString(title) > 300 {
				return fieldError("title", "backlogoutcome.title_long", "keep the title under 300 characters")
			}
			upd["title"] = title
			item.Title = title
		case ItemOpStatus:
			to := strings.ToLower(strings.TrimSpace(op.Status))
			if !containsFold(ImprovementStatuses, to) {
				return fieldError("status", "backlogoutcome.status_unknown", "choose a status: "+strings.Join(ImprovementStatuses, ", "),
					"List", strings.Join(ImprovementStatuses, ", "))
			}
			if to == item.Status {
				return &Refusal{Msg: fmt.Sprintf("improvement #%d is already %s", id, strings.ReplaceAll(to, "_", " ")),
					ID: "backlogoutcome.already_status", Args: []any{"ItemID", id}, Terms: map[string]string{"Status": statusTerm(to)}}
			}
			if !containsFold(itemTransitions[item.Status], to) {
				return &Refusal{Msg: fmt.Sprintf("improvement #%d is %s and cannot become %s", id, strings.ReplaceAll(item.Status, "_", " "), strings.ReplaceAll(to, "_", " ")),
					ID: "backlogoutcome.cannot_become", Args: []any{"ItemID", id},
					Terms: map[string]string{"From": statusTerm(item.Status), "To": statusTerm(to)}}
			}
			upd["status"] = to
			if to == ImprovementDone {
				upd["done_at"] = now
			}
		default:
			return refuseAs("backlogoutcome.unknown_action", fmt.Sprintf("unknown action %q", op.Kind), "Action", string(op.Kind))
		}
		// The status in the WHERE makes a concurrent change lose cleanly.
		res := tx.Model(&ImprovementItem{}).Where("id = ? AND status = ?", id, item.Status).Updates(upd)
		if res.Error != nil {
			return fmt.Errorf("update improvement %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return refuseAs("backlogoutcome.changed_meanwhile", fmt.Sprintf("improvement #%d was changed meanwhile; look again", id), "ItemID", id)
		}
		if op.Kind == ItemOpStatus && upd["status"] == ImprovementDone {
			return s.closeOuterLoop(tx, p, now, &item, actor, fixDone)
		}
		return nil
	})
	if err != nil {
		return ImprovementSummary{}, err
	}
	return s.Improvement(ctx, id)
}

// closeOuterLoop runs in the transaction that marks item done: customers
// who can be emailed get the fix_done message (their follow-up closes when
// it is delivered); the owners are asked to call the others.
func (s *Store) closeOuterLoop(tx *gorm.DB, p *Policy, now time.Time, item *ImprovementItem, actor string, fixDone map[string]*MessageTemplate) error {
	var cases []Case
	if err := tx.Where("improvement_id = ?", item.ID).Order("id").Find(&cases).Error; err != nil {
		return fmt.Errorf("cases of improvement %d: %w", item.ID, err)
	}
	if len(cases) == 0 {
		return nil
	}
	respIDs := make([]int64, len(cases))
	for i, c := range cases {
		respIDs[i] = c.ResponseID
	}
	var resps []Response
	if err := tx.Where("id IN ?", respIDs).Find(&resps).Error; err != nil {
		return fmt.Errorf("responses of improvement %d: %w", item.ID, err)
	}
	byResp := make(map[int64]Response, len(resps))
	var addrs []string
	for _, r := range resps {
		byResp[r.ID] = r
		if a := strings.ToLower(strings.TrimSpace(r.CustomerEmail)); a != "" {
			addrs = append(addrs, a)
		}
	}
	var sups []string
	if len(addrs) > 0 {
		if err := tx.Model(&Suppression{}).Where("email IN ?", addrs).Pluck("email", &sups).Error; err != nil {
			return fmt.Errorf("suppressions: %w", err)
		}
	}
	// Follow-ups for the customers who can be told; the unique key on
	// (improvement, case) decides which are new.
	var rows [][]any
	tell := map[int64]fixCase{}
	var teams []string
	for _, c := range cases {
		if !containsFold(teams, c.TeamID) {
			teams = append(teams, c.TeamID)
		}
		r := byResp[c.ResponseID]
		if c.State == StateNoContact || (r.ContactOK != nil && !*r.ContactOK) || c.CustomerToldAt != nil {
			continue
		}
		owner := c.Owner
		team, _ := p.Team(c.TeamID)
		if owner == "" && team != nil && len(team.Managers) > 0 {
			owner = team.Managers[0]
		}
		var hours *BusinessHours
		var holidays []string
		if team != nil {
			hours, holidays = team.Hours, team.Holidays
		}
		due := DueAt(now, p.SLA.Resolution, hours, p.TeamLocation(team), holidays).UTC()
		rows = append(rows, []any{item.ID, c.ID, c.TeamID, owner, now, due})
		c.Owner = owner
		sup := containsFold(sups, strings.TrimSpace(r.CustomerEmail))
		tell[c.ID] = fixCase{c: c, r: r, email: p.EmailOfferFor(&r, sup).Allowed()}
	}
	var opened []fixCase
	if len(rows) > 0 {
		sql, args := valuesSQL("fix_followups", []string{"improvement_id", "case_id", "team_id", "owner", "opened_at", "due_at"}, rows)
		rs, err := tx.Raw(sql+" ON CONFLICT (improvement_id, case_id) DO NOTHING RETURNING case_id", args...).Rows()
		if err != nil {
			return fmt.Errorf("open customer-told follow-ups: %w", err)
		}
		for rs.Next() {
			var id int64
			if err := rs.Scan(&id); err != nil {
				rs.Close()
				return fmt.Errorf("read follow-ups: %w", err)
			}
			opened = append(opened, tell[id])
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return fmt.Errorf("open customer-told follow-ups: %w", err)
		}
	}
	sort.Slice(opened, func(i, j int) bool { return opened[i].c.ID < opened[j].c.ID })
	byOwner := map[string][]fixCase{}
	var owners []string
	var msgs []OutboxMessage
	emailed := map[string]int{}
	for _, fc := range opened {
		ev := CaseEvent{CaseID: fc.c.ID, At: now, Actor: actor, Kind: "fix_done", FromState: fc.c.State, ToState: fc.c.State,
			Detail: fmt.Sprintf("improvement #%d %q is done: tell the customer what changed", item.ID, item.Title)}
		if fc.email {
			ev.Detail = fmt.Sprintf("improvement #%d %q is done: the customer is emailed what changed", item.ID, item.Title)
		}
		if err := tx.Create(&ev).Error; err != nil {
			return fmt.Errorf("record fix on case %d: %w", fc.c.ID, err)
		}
		line := itemMessage(MsgFixDoneCall, item)
		if fc.email {
			line.ID = MsgFixDoneEmail
		}
		if err := s.queueCardRefreshMessage(tx, now, fc.c.ID, ev.Detail, &line); err != nil {
			return err
		}
		if fc.email {
			m, err := fixDoneEmail(p, fixDone, item, fc)
			if err != nil {
				return err
			}
			msgs = append(msgs, m)
			emailed[fc.c.TeamID]++
			continue
		}
		key := strings.ToLower(fc.c.Owner)
		if _, ok := byOwner[key]; !ok {
			owners = append(owners, fc.c.Owner)
		}
		byOwner[key] = append(byOwner[key], fc)
	}
	for _, owner := range owners {
		if owner == "" {
			continue
		}
		cases := byOwner[strings.ToLower(owner)]
		text, dm := fixDoneDM(item, cases, p.TeamLocation(teamOf(p, cases[0].c.TeamID)))
		msgs = append(msgs, fanOutDM(p, []string{owner}, OutboxMessage{Kind: KindFixDoneDM, Text: text, Message: &dm},
			func(tr, to string) string { return fmt.Sprintf("fix:%d:%s:%s", item.ID, tr, strings.ToLower(to)) })...)
	}
	for _, id := range teams {
		team, ok := p.Team(id)
		if !ok {
			continue
		}
		n := 0
		for _, fc := range opened {
			if fc.c.TeamID == id {
				n++
			}
		}
		text := fmt.Sprintf("Improvement done: %s.\n", item.Title)
		ann := itemMessage(MsgAnnounceDone, item)
		if n > 0 {
			text += fmt.Sprintf("Customers told us about this; %s of this team will now hear back from us", plural(n, "customer", "customers"))
			ann = itemMessage(MsgAnnounceTold, item).counted(n)
			if e := emailed[id]; e > 0 {
				text += fmt.Sprintf(" (%d by email)", e)
				ann.ID, ann.Args["Emailed"] = MsgAnnounceEmailed, strconv.Itoa(e)
			}
			text += ". "
		}
		text += "Thank you for logging the root causes that made it visible."
		for _, d := range team.Destinations {
			msgs = append(msgs, OutboxMessage{Kind: KindImprovementDone, Transport: d.Transport, Channel: d.Channel, Text: text, Message: &ann,
				OrderKey: fmt.Sprintf("improvement:%d:%s:%s", item.ID, d.Transport, d.Channel)})
		}
	}
	return enqueue(tx, now, msgs...)
}

// MarkCustomerTold records that the owner told the customer of the fix: it
// closes the case's open fix follow-up, sets the case's CustomerToldAt,
// records the event in the trail and refreshes the card.
func (s *Store) MarkCustomerTold(ctx context.Context, p *Policy, now time.Time, caseID int64, actor, note string) (CaseView, error) {
	now = now.UTC()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.lockCase(tx, p, caseID, actor, OpCustomerTold)
		if err != nil {
			return err
		}
		var f FixFollowUp
		err = tx.Where("case_id = ? AND told_at IS NULL", caseID).Order("id DESC").Take(&f).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			if c.CustomerToldAt != nil {
				return refuseAs("backlogoutcome.told_already", fmt.Sprintf("the customer of case #%d was already told of the fix", caseID), "CaseID", caseID)
			}
			return refuseAs("backlogoutcome.told_nothing", fmt.Sprintf("case #%d has no finished improvement to tell the customer about", caseID), "CaseID", caseID)
		}
		if err != nil {
			return fmt.Errorf("follow-up of case %d: %w", caseID, err)
		}
		if err := tx.Model(&FixFollowUp{}).Where("id = ?", f.ID).
			Updates(map[string]any{"told_at": now, "told_by": actor, "told_via": ToldByPhone, "note": note}).Error; err != nil {
			return fmt.Errorf("close follow-up of case %d: %w", caseID, err)
		}
		if err := tx.Model(&Case{}).Where("id = ?", caseID).
			Updates(map[string]any{"customer_told_at": now, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("update case %d: %w", caseID, err)
		}
		var item ImprovementItem
		title := fmt.Sprintf("#%d", f.ImprovementID)
		if tx.Take(&item, f.ImprovementID).Error == nil {
			title = fmt.Sprintf("#%d %q", item.ID, item.Title)
		}
		detail := withNote("told the customer of the fix (improvement "+title+")", note)
		ev := CaseEvent{CaseID: caseID, At: now, Actor: actor, Kind: string(OpCustomerTold), FromState: c.State, ToState: c.State, Detail: detail}
		if err := tx.Create(&ev).Error; err != nil {
			return fmt.Errorf("record customer told: %w", err)
		}
		return s.queueCardRefresh(tx, now, caseID, actor+": "+detail)
	})
	if err != nil {
		return CaseView{}, err
	}
	return s.CaseView(ctx, caseID)
}

// FixFollowUps lists the open "customer told of the fix" follow-ups, soonest
// due first; owner "" lists everyone's.
func (s *Store) FixFollowUps(ctx context.Context, owner string) ([]FixFollowUp, error) {
	q := s.db.WithContext(ctx).Where("told_at IS NULL")
	if owner != "" {
		q = q.Where("LOWER(owner) = ?", strings.ToLower(owner))
	}
	var out []FixFollowUp
	if err := q.Order("due_at, id").Limit(200).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list fix follow-ups: %w", err)
	}
	return out, nil
}

// FixDoneAudience counts, by the language their message would be written
// in, the linked customers of an item who would be emailed if it were
// marked done now: the text the manager confirms is per language.
func (s *Store) FixDoneAudience(ctx context.Context, p *Policy, id int64) (map[string]int, error) {
	out := map[string]int{}
	if !p.EmailEnabled {
		return out, nil
	}
	var rows []struct {
		Language, CustomerEmail, TeamID string
		ContactOK                       *bool
		Suppressed                      bool
	}
	err := s.db.WithContext(ctx).Raw(`SELECT r.language, r.customer_email, r.team_id, r.contact_ok,
  EXISTS (SELECT 1 FROM suppressions x WHERE x.email = LOWER(r.customer_email)) AS suppressed
FROM cases c JOIN responses r ON r.id = c.response_id
WHERE c.improvement_id = ? AND c.customer_told_at IS NULL AND c.state <> ?`, id, StateNoContact).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("customers of improvement %d: %w", id, err)
	}
	for _, r := range rows {
		resp := Response{Language: r.Language, CustomerEmail: r.CustomerEmail, TeamID: r.TeamID, ContactOK: r.ContactOK}
		if !p.EmailOfferFor(&resp, r.Suppressed).Allowed() {
			continue
		}
		if _, lang := p.CustomerMessages.Template(MessageFixDone, p.CustomerLanguage(&resp)); lang != "" {
			out[lang]++
		}
	}
	return out, nil
}
