package models

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
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

type openCustomerCase struct {
	CaseID int64
	TeamID string
	CustomerID,
	CustomerEmail string
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
