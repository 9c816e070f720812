package models

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// joinOpenCases splits the detractors about to open cases: those whose
// customer has an open case in their team join it now; those whose customer
// came earlier in the same batch will join that one's new case; the rest
// are returned to open their own. On PostgreSQL the customers' keys are
// locked for the transaction, so two replicas ingesting the same customer
// at once do not both open a case.
func (s *Store) joinOpenCases(tx *gorm.DB, now time.Time, resps []*Response) ([]*Response, map[int64]joining, error) {
	var keyed []*Response
	var keys []string
	for _, r := range resps {
		if k := customerKeys(r); len(k) > 0 {
			keyed = append(keyed, r)
			keys = append(keys, k...)
		}
	}
	if len(keyed) == 0 {
		return resps, nil, nil
	}
	if s.postgres {
		sort.Strings(keys) // one order everywhere: no deadlocks
		for i, k := range keys {
			if i > 0 && keys[i-1] == k {
				continue
			}
			h := fnv.New64a()
			h.Write([]byte(k))
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", int64(h.Sum64())).Error; err != nil {
				return nil, nil, fmt.Errorf("lock customer: %w", err)
			}
		}
	}
	open, err := openCasesOfCustomers(tx, keyed)
	if err != nil {
		return nil, nil, err
	}
	joined := map[int64]joining{}
	var rest []*Response
	var firsts []*Response // this batch's openers, in order
	for _, r := range resps {
		if len(customerKeys(r)) == 0 {
			rest = append(rest, r)
			continue
		}
		if id := matchOpenCase(open, r); id != 0 {
			joined[r.ID] = joining{resp: r, existing: id}
			continue
		}
		found := false
		for _, f := range firsts {
			if f.TeamID == r.TeamID && SameCustomer(f, r) {
				joined[r.ID] = joining{resp: r, first: f.ID}
				found = true
				break
			}
		}
		if !found {
			firsts = append(firsts, r)
			rest = append(rest, r)
		}
	}
	for _, r := range resps { // in the batch's order, so the thread reads in order
		if j, ok := joined[r.ID]; ok && j.existing != 0 {
			if err := s.joinCase(tx, now, j.resp, j.existing); err != nil {
				return nil, nil, err
			}
		}
	}
	return rest, joined, nil
}

// joinBatchCases joins the batch's later responses of a customer to the
// case its first response opened.
func (s *Store) joinBatchCases(tx *gorm.DB, now time.Time, joined map[int64]joining, opened map[int64]*Case) error {
	ids := make([]int64, 0, len(joined))
	for id, j := range joined {
		if j.existing == 0 {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	for _, id := range ids {
		j := joined[id]
		if c := j.caseID(opened); c != 0 {
			if err := s.joinCase(tx, now, j.resp, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// openCasesOfCustomers finds the open cases, in the responses' teams, of
// their customers, oldest first.
func openCasesOfCustomers(tx *gorm.DB, resps []*Response) ([]openCustomerCase, error) {
	teams, ids, emails := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range resps {
		teams[r.TeamID] = true
		if id := strings.TrimSpace(r.CustomerID); id != "" {
			ids[id] = true
		}
		if e := strings.ToLower(strings.TrimSpace(r.CustomerEmail)); e != "" {
			emails[e] = true
		}
	}
	var rows []openCustomerCase
	q := tx.Table("cases").Select("cases.id AS case_id, cases.team_id, responses.customer_id, responses.customer_email").
		Joins("JOIN responses ON responses.id = cases.response_id").
		Where("cases.state IN ? AND cases.team_id IN ?", OpenStates, keysOf(teams))
	switch {
	case len(ids) > 0 && len(emails) > 0:
		q = q.Where("(responses.customer_id IN ? OR LOWER(responses.customer_email) IN ?)", keysOf(ids), keysOf(emails))
	case len(ids) > 0:
		q = q.Where("responses.customer_id IN ?", keysOf(ids))
	default:
		q = q.Where("LOWER(responses.customer_email) IN ?", keysOf(emails))
	}
	if err := q.Order("cases.id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("open cases of customers: %w", err)
	}
	return rows, nil
}

// joinCase links a response to an open case: its trail and thread get a
// line with the new score and comment, and its card is refreshed.
func (s *Store) joinCase(tx *gorm.DB, now time.Time, r *Response, caseID int64) error {
	if err := tx.Model(&Response{}).Where("id = ?", r.ID).Update("joined_case_id", caseID).Error; err != nil {
		return fmt.Errorf("join response %d to case %d: %w", r.ID, caseID, err)
	}
	var c Case
	if err := tx.Select("id", "state").Take(&c, caseID).Error; err != nil {
		return notFound(err, fmt.Sprintf("case %d", caseID))
	}
	detail := JoinedLine(r)
	ev := CaseEvent{CaseID: caseID, At: now, Actor: "survey:" + r.Source, Kind: "response_joined", FromState: c.State, ToState: c.State, Detail: detail}
	if err := tx.Create(&ev).Error; err != nil {
		return fmt.Errorf("record joined response: %w", err)
	}
	return s.queueCardRefreshMessage(tx, now, caseID, detail, JoinedMessage(r))
}
