// Package apptest is what the Slack app's and the Teams bot's tests share:
// the personal data they type into comments, reading what the database
// holds, English left in a translated reader's view, and email switched on
// against a real SMTP server.
package apptest

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/cxloop/cxloop/bot/email"
	"github.com/cxloop/cxloop/bot/email/smtptest"
	"github.com/cxloop/cxloop/bot/l10n"
	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/models"
)

// Personal data as customers type it into comments.
const (
	FullCard = "4111 1111 1111 1111"
	FullIBAN = "EE38 2200 2210 2014 5685"
	PIIText  = "Charged twice on " + FullCard + ", refund to " + FullIBAN + " or mail kadri.k@example.com, isikukood 37605030299."
)

// ColumnTexts reads every text column of a table as the database holds it.
func ColumnTexts(t *testing.T, s *models.Store, table string, cols ...string) string {
	t.Helper()
	rows, err := s.DB().Table(table).Select(cols).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			switch v := v.(type) {
			case []byte:
				b.Write(v)
			case string:
				b.WriteString(v)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// ContactViews lists who opened a case's contact details, in order.
func ContactViews(t *testing.T, s *models.Store, caseID int64) string {
	t.Helper()
	var who []string
	if err := s.DB().Model(&models.CaseEvent{}).Where("case_id = ? AND kind = ?", caseID, models.EventContactViewed).
		Order("id").Pluck("actor", &who).Error; err != nil {
		t.Fatal(err)
	}
	return strings.Join(who, ",")
}

var placeholder = regexp.MustCompile(`\{\{[^}]*\}\}`)

// EnglishPhrases are the runs of at least three words between the
// placeholders of the English catalog, the ones a reader of lang should
// never see: a run lang's own catalog also has (a product or setting name)
// is left out.
func EnglishPhrases(lang string) []string {
	c := l10n.Default()
	var own strings.Builder
	for _, m := range c.Messages[lang] {
		for _, text := range l10n.Forms(m) {
			own.WriteString(placeholder.ReplaceAllString(text, "\x00") + "\x00")
		}
	}
	seen := map[string]bool{}
	for _, m := range c.Messages[models.LangEnglish] {
		for _, text := range l10n.Forms(m) {
			for _, run := range strings.Split(placeholder.ReplaceAllString(text, "\x00"), "\x00") {
				run = strings.Map(func(r rune) rune {
					if strings.ContainsRune("*_`\n", r) {
						return ' '
					}
					return r
				}, run)
				run = strings.Join(strings.Fields(run), " ")
				run = strings.TrimFunc(run, func(r rune) bool { return !unicode.IsLetter(r) })
				words := 0
				for _, w := range strings.Fields(run) {
					if len(w) > 1 && strings.IndexFunc(w, unicode.IsLetter) >= 0 {
						words++
					}
				}
				if words >= 3 && !strings.Contains(own.String(), run) {
					seen[run] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// EnglishIn lists the English phrases found in what people read.
func EnglishIn(phrases []string, texts []string) []string {
	all := strings.Join(texts, "\n")
	// Slack and Teams escape; the reader sees the characters.
	all = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "\\n", "\n").Replace(all)
	all = strings.Join(strings.Fields(strings.NewReplacer("*", " ", "_", " ", "`", " ").Replace(all)), " ")
	var found []string
	for _, p := range phrases {
		if strings.Contains(all, p) {
			found = append(found, p)
		}
	}
	return found
}

// Sender and link base of the customer emails the tests send.
const (
	MailFrom  = "Klienditugi <cx@bank.example>"
	PublicURL = "https://cx.bank.example"
)

// WithEmail turns email on for a policy and returns a mailer sending to a
// real SMTP server started for the test, for the delivery worker to use.
func WithEmail(t *testing.T, p *models.Policy) (*email.SMTP, *smtptest.Server) {
	t.Helper()
	srv := smtptest.Start(t, smtptest.Options{})
	p.EmailEnabled = true
	p.CustomerMessages = (&config.Config{Org: config.DefaultOrg()}).Policy().CustomerMessages
	mailer, err := email.NewSMTP(srv.URL(), email.Options{TLS: srv.ClientTLS(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return mailer, srv
}

// StoredResponse reads a response as the database holds it.
func StoredResponse(t *testing.T, s *models.Store, source, externalID string) models.Response {
	t.Helper()
	var r models.Response
	if err := s.DB().Where("source = ? AND external_id = ?", source, externalID).Take(&r).Error; err != nil {
		t.Fatalf("response %s/%s: %v", source, externalID, err)
	}
	return r
}
