package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cxloop/cxloop/models"
)

// MessageText is one customer message in one language as written in the
// YAML: Go templates over .CustomerName, .TeamName, .OwnerName, .CaseID and
// .WhatWasDone.
type MessageText struct {
	Subject string `yaml:"subject"`
	Body    string `yaml:"body"`
}

// defaultMessages are the customer messages cxloop ships; the YAML's
// customer_messages replace them language by language.
const defaultMessages = `
thank_you:
  en:
    subject: Thank you for your feedback
    body: |
      {{if .CustomerName}}Dear {{.CustomerName}},{{else}}Hello,{{end}}

      Thank you for taking the time to tell us about your experience. I am sorry it was not what you expected. I am looking into what happened and will come back to you.

      If you would like to add anything, just reply to this email: it comes straight to me.

      Kind regards,
      {{.OwnerName}}
      {{.TeamName}}
  et:
    subject: Aitäh tagasiside eest
    body: |
      {{if .CustomerName}}Tere, {{.CustomerName}}!{{else}}Tere!{{end}}

      Suur aitäh, et võtsite aega ja andsite meile tagasisidet. Mul on kahju, et kogemus ei vastanud Teie ootustele. Uurin, mis juhtus, ja annan Teile peagi teada.

      Kui soovite midagi lisada, vastake lihtsalt sellele kirjale – see jõuab otse minuni.

      Parimate soovidega
      {{.OwnerName}}
      {{.TeamName}}
  pl:
    subject: Dziękujemy za Państwa opinię
    body: |
      {{if .CustomerName}}Dzień dobry, {{.CustomerName}}!{{else}}Dzień dobry!{{end}}

      Dziękuję za poświęcony czas i podzielenie się z nami opinią. Przykro mi, że tym razem nie spełniliśmy Państwa oczekiwań. Sprawdzam, co się wydarzyło, i wkrótce wrócę z odpowiedzią.

      Jeśli chcą Państwo coś dodać, wystarczy odpowiedzieć na tę wiadomość – trafi bezpośrednio do mnie.

      Serdecznie pozdrawiam
      {{.OwnerName}}
      {{.TeamName}}
  ru:
    subject: Спасибо за Ваш отзыв
    body: |
      {{if .CustomerName}}Здравствуйте, {{.CustomerName}}!{{else}}Здравствуйте!{{end}}

      Спасибо, что нашли время поделиться с нами своим мнением. Мне жаль, что в этот раз мы не оправдали Ваших ожиданий. Я разбираюсь в ситуации и обязательно вернусь к Вам с ответом.

      Если захотите что-то добавить, просто ответьте на это письмо — оно придёт прямо ко мне.

      С уважением,
      {{.OwnerName}}
      {{.TeamName}}
resolution:
  en:
    subject: What we did about your feedback
    body: |
      {{if .CustomerName}}Dear {{.CustomerName}},{{else}}Hello,{{end}}

      Thank you again for your feedback. Here is what we have done:

      {{.WhatWasDone}}

      If anything is still not right, please reply to this email and I will gladly help.

      Kind regards,
      {{.OwnerName}}
      {{.TeamName}}
  et:
    subject: Mida me Teie tagasiside põhjal tegime
    body: |
      {{if .CustomerName}}Tere, {{.CustomerName}}!{{else}}Tere!{{end}}

      Veel kord aitäh tagasiside eest. Siin on, mida me ette võtsime:

      {{.WhatWasDone}}

      Kui midagi on endiselt valesti, vastake sellele kirjale ja aitan meeleldi.

      Parimate soovidega
      {{.OwnerName}}
      {{.TeamName}}
  pl:
    subject: Co zrobiliśmy w sprawie Państwa opinii
    body: |
      {{if .CustomerName}}Dzień dobry, {{.CustomerName}}!{{else}}Dzień dobry!{{end}}

      Jeszcze raz dziękuję za opinię. Oto, co zrobiliśmy:

      {{.WhatWasDone}}

      Jeśli coś nadal jest nie tak, proszę odpowiedzieć na tę wiadomość – chętnie pomogę.

      Serdecznie pozdrawiam
      {{.OwnerName}}
      {{.TeamName}}
  ru:
    subject: Что мы сделали по Вашему отзыву
    body: |
      {{if .CustomerName}}Здравствуйте, {{.CustomerName}}!{{else}}Здравствуйте!{{end}}

      Ещё раз спасибо за Ваш отзыв. Вот что мы сделали:

      {{.WhatWasDone}}

      Если что-то по-прежнему не так, просто ответьте на это письмо — я с радостью помогу.

      С уважением,
      {{.OwnerName}}
      {{.TeamName}}
fix_done:
  en:
    subject: You said, we did
    body: |
      {{if .CustomerName}}Dear {{.CustomerName}},{{else}}Hello,{{end}}

      A while ago you told us what did not work for you. We took it to heart and have made a change:

      {{.WhatWasDone}}

      Thank you for helping us get better. Feedback like yours really makes a difference.

      Kind regards,
      {{.OwnerName}}
      {{.TeamName}}
  et:
    subject: Teie tagasiside põhjal tegime muudatuse
    body: |
      {{if .CustomerName}}Tere, {{.CustomerName}}!{{else}}Tere!{{end}}

      Mõni aeg tagasi andsite meile teada, mis Teile ei sobinud. Võtsime seda tõsiselt ja tegime muudatuse:

      {{.WhatWasDone}}

      Aitäh, et aitate meil paremaks saada – just selline tagasiside loeb.

      Parimate soovidega
      {{.OwnerName}}
      {{.TeamName}}
  pl:
    subject: Posłuchaliśmy Państwa opinii
    body: |
      {{if .CustomerName}}Dzień dobry, {{.CustomerName}}!{{else}}Dzień dobry!{{end}}

      Jakiś czas temu zwrócili nam Państwo uwagę na problem. Potraktowaliśmy to poważnie i wprowadziliśmy zmianę:

      {{.WhatWasDone}}

      Dziękujemy, że pomagają nam Państwo stawać się lepszymi – takie opinie naprawdę mają znaczenie.

      Serdecznie pozdrawiam
      {{.OwnerName}}
      {{.TeamName}}
  ru:
    subject: Вы сказали — мы сделали
    body: |
      {{if .CustomerName}}Здравствуйте, {{.CustomerName}}!{{else}}Здравствуйте!{{end}}

      Некоторое время назад Вы рассказали нам о проблеме. Мы отнеслись к этому серьёзно и внесли изменения:

      {{.WhatWasDone}}

      Спасибо, что помогаете нам становиться лучше, — такие отзывы действительно важны.

      С уважением,
      {{.OwnerName}}
      {{.TeamName}}
`

// DefaultMessages returns the shipped customer messages as written.
func DefaultMessages() map[string]map[string]MessageText {
	var m map[string]map[string]MessageText
	if err := yaml.Unmarshal([]byte(defaultMessages), &m); err != nil {
		panic("built-in customer messages are invalid: " + err.Error()) // a build defect, caught by tests
	}
	return m
}

// customerMessages merges the YAML's customer_messages over the shipped
// ones and compiles them; a template error names its key.
func customerMessages(own map[string]map[string]MessageText, add func(string, ...any)) models.CustomerMessages {
	merged := DefaultMessages()
	for purpose, byLang := range own {
		if _, ok := merged[purpose]; !ok {
			add("customer_messages.%s: unknown message (%s)", purpose, strings.Join(models.MessagePurposes, ", "))
			continue
		}
		for lang, t := range byLang {
			at := fmt.Sprintf("customer_messages.%s.%s", purpose, lang)
			if l := strings.ToLower(lang); len(l) != 2 || l[0] < 'a' || l[0] > 'z' || l[1] < 'a' || l[1] > 'z' {
				add("%s: %q is not a language code (en, et, pl, ru…)", at, lang)
				continue
			}
			base := merged[purpose][lang]
			if t.Subject == "" {
				t.Subject = base.Subject
			}
			if t.Body == "" {
				t.Body = base.Body
			}
			merged[purpose][strings.ToLower(lang)] = t
		}
	}
	out := models.CustomerMessages{}
	purposes := make([]string, 0, len(merged))
	for p := range merged {
		purposes = append(purposes, p)
	}
	sort.Strings(purposes)
	for _, purpose := range purposes {
		out[purpose] = map[string]*models.MessageTemplate{}
		for lang, t := range merged[purpose] {
			mt, err := models.ParseMessageTemplate(fmt.Sprintf("customer_messages.%s.%s", purpose, lang), t.Subject, t.Body)
			if err != nil {
				add("%v", err)
				continue
			}
			out[purpose][lang] = mt
		}
	}
	return out
}

// EmailEnabled reports whether an SMTP server is configured for customer email.
func (c *Config) EmailEnabled() bool { return c.Env.SMTPURL != "" }

// checkSMTP validates CXLOOP_SMTP_URL and CXLOOP_SMTP_FROM, which go together.
func checkSMTP(e Env) []string {
	if e.SMTPURL == "" && e.SMTPFrom == "" {
		return nil
	}
	var errs []string
	if e.SMTPURL == "" {
		errs = append(errs, "CXLOOP_SMTP_URL: required with CXLOOP_SMTP_FROM")
	} else if u, err := url.Parse(e.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		// The URL holds a password: it is never repeated in the message.
		errs = append(errs, "CXLOOP_SMTP_URL: write smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465 (TLS)")
	}
	if e.SMTPFrom == "" {
		errs = append(errs, "CXLOOP_SMTP_FROM: required with CXLOOP_SMTP_URL (e.g. CX Team <cx@example.com>)")
	} else if _, err := mail.ParseAddress(e.SMTPFrom); err != nil {
		errs = append(errs, fmt.Sprintf("CXLOOP_SMTP_FROM: %q is not an address (e.g. CX Team <cx@example.com>)", e.SMTPFrom))
	}
	return errs
}
