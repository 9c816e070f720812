package models

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// One customer, one open case: a detractor response from a customer who
// already has an open case in the team joins that case (a thread line and
// a card refresh) instead of opening a second one and a second DM.

// customerKeys are the identities a response's customer is known by in a
// team: the customer id and the email, each when given.
func customerKeys(r *Response) []string {
	var keys []string
	if id := strings.TrimSpace(r.CustomerID); id != "" {
		keys = append(keys, r.TeamID+"\x00id\x00"+id)
	}
	if e := strings.ToLower(strings.TrimSpace(r.CustomerEmail)); e != "" {
		keys = append(keys, r.TeamID+"\x00email\x00"+e)
	}
	return keys
}

// SameCustomer reports whether two responses come from the same customer:
// the same customer id; else, when either has none, the same email.
func SameCustomer(a, b *Response) bool {
	ida, idb := strings.TrimSpace(a.CustomerID), strings.TrimSpace(b.CustomerID)
	if ida != "" && idb != "" {
		return ida == idb
	}
	ea, eb := strings.TrimSpace(a.CustomerEmail), strings.TrimSpace(b.CustomerEmail)
	return ea != "" && strings.EqualFold(ea, eb)
}

// joining is a response that joins a case: an open one found in the
// database (existing), or the one its batch's first response opens (first).
type joining struct {
	resp     *Response
	existing int64
	first    int64 // response id whose new case it joins
}

func (j joining) caseID(opened map[int64]*Case) int64 {
	if j.existing != 0 {
		return j.existing
	}
	if c, ok := opened[j.first]; ok {
		return c.ID
	}
	return 0
}

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

type openCustomerCase struct {
	CaseID int64
	TeamID string
	CustomerID,
	CustomerEmail string
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

func matchOpenCase(open []openCustomerCase, r *Response) int64 {
	for _, o := range open {
		old := Response{CustomerID: o.CustomerID, CustomerEmail: o.CustomerEmail}
		if o.TeamID == r.TeamID && SameCustomer(&old, r) {
			return o.CaseID
		}
	}
	return 0
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

// JoinedMessage is JoinedLine as a catalog message, for the thread.
func JoinedMessage(r *Response) *Message {
	m := &Message{ID: "joined.line", Args: map[string]string{"Metric": strings.ToUpper(string(r.Metric)), "Score": strconv.Itoa(r.Score)}}
	if c := FirstWords(r.Comment, 20); c != "" {
		m.ID, m.Args["Comment"] = "joined.line_comment", c
	}
	return m
}

// JoinedLine is the trail's and thread's line for a response that joined a
// case: the new score and the comment's first words.
func JoinedLine(r *Response) string {
	line := fmt.Sprintf("The same customer answered again: %s %d", strings.ToUpper(string(r.Metric)), r.Score)
	if c := FirstWords(r.Comment, 20); c != "" {
		line += " — “" + c + "”"
	}
	return line
}

// FirstWords is the start of a text, at most n words on one line, with an
// ellipsis when it was cut.
func FirstWords(s string, n int) string {
	w := strings.Fields(s)
	if len(w) <= n {
		return strings.Join(w, " ")
	}
	return strings.Join(w[:n], " ") + "…"
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
