package bot

import (
	"strings"

	"github.com/cxloop/cxloop/models"
)

// EmployeeName is how an employee named by email in a survey's attributes
// is called when the directory does not know them: the name the email
// reads as ("liis.tamm@…" is Liis Tamm); a value that is no email is shown
// as given.
func EmployeeName(email string) string {
	email = strings.TrimSpace(email)
	if local, domain, ok := strings.Cut(email, "@"); ok && local != "" && domain != "" && !strings.ContainsAny(email, "<>") {
		if n := models.PersonName(email); n != "" {
			return n
		}
	}
	return email
}
