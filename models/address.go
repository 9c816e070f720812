package models

import (
	"net/mail"
	"strings"
)

// ValidEmail reports whether s is one plain email address (no display
// name, no list) whose domain has a dot: what a survey tool or a CSV
// should send, and what a reply could reach.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}
