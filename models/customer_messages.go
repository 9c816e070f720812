package models

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
	"unicode"
)

// Purposes of the messages cxloop writes to customers; each is a key of the
// YAML customer_messages.
const (
	MessageThankYou   = "thank_you"
	MessageResolution = "resolution"
	MessageFixDone    = "fix_done"
)

// MessagePurposes lists the customer messages, in the order people meet them.
var MessagePurposes = []string{MessageThankYou, MessageResolution, MessageFixDone}

// MessageData is what a customer message template may use.
type MessageData struct {
	CustomerName string
	TeamName     string
	OwnerName    string
	CaseID       int64
	WhatWasDone  string
}

// MessageTemplate is one customer message in one language: a subject and a
// plain-text body, both Go text templates over MessageData.
type MessageTemplate struct {
	SubjectSource, BodySource string
	subject, body             *template.Template
}

// sampleMessage is what a template is tried with when it is parsed, so that
// a misspelt field fails at start and not in front of a customer.
var sampleMessage = MessageData{CustomerName: "Kadri", TeamName: "Contact Center", OwnerName: "Liis", CaseID: 42, WhatWasDone: "we called back"}

// ParseMessageTemplate compiles a subject and body and tries them once; at
// names the setting in errors (customer_messages.thank_you.et).
func ParseMessageTemplate(at, subject, body string) (*MessageTemplate, error) {
	if strings.TrimSpace(subject) == "" {
		return nil, fmt.Errorf("%s.subject: required", at)
	}
	if strings.TrimSpace(body) == "" {
		return nil, fmt.Errorf("%s.body: required", at)
	}
	mt := &MessageTemplate{SubjectSource: subject, BodySource: body}
	var err error
	if mt.subject, err = template.New(at + ".subject").Option("missingkey=error").Parse(subject); err != nil {
		return nil, fmt.Errorf("%s.subject: %w", at, err)
	}
	if mt.body, err = template.New(at + ".body").Option("missingkey=error").Parse(body); err != nil {
		return nil, fmt.Errorf("%s.body: %w", at, err)
	}
	if _, err := mt.Render(sampleMessage); err != nil {
		return nil, err
	}
	return mt, nil
}

// Draft is a customer message ready to send (or to be edited first).
type Draft struct {
	Language string
	Subject  string
	Body     string
}

// Render fills the template in.
func (mt *MessageTemplate) Render(d MessageData) (Draft, error) {
	var s, b bytes.Buffer
	if err := mt.subject.Execute(&s, d); err != nil {
		return Draft{}, fmt.Errorf("%s: %w", mt.subject.Name(), err)
	}
	if err := mt.body.Execute(&b, d); err != nil {
		return Draft{}, fmt.Errorf("%s: %w", mt.body.Name(), err)
	}
	// A subject is one line whatever the template's layout.
	return Draft{Subject: strings.Join(strings.Fields(s.String()), " "), Body: strings.TrimSpace(b.String())}, nil
}

// CustomerMessages holds the templates by purpose, then language.
type CustomerMessages map[string]map[string]*MessageTemplate

// Template returns the template of a purpose in lang, falling back on
// English; nil when there is none.
func (m CustomerMessages) Template(purpose, lang string) (*MessageTemplate, string) {
	byLang := m[purpose]
	if t := byLang[lang]; t != nil {
		return t, lang
	}
	return byLang["en"], "en"
}

// Render fills in the purpose's template in lang (or English).
func (m CustomerMessages) Render(purpose, lang string, d MessageData) (Draft, error) {
	t, used := m.Template(purpose, lang)
	if t == nil {
		return Draft{}, fmt.Errorf("no %s message is configured", purpose)
	}
	dr, err := t.Render(d)
	dr.Language = used
	return dr, err
}

// PersonName is how a customer message signs for a person known only by
// email: "liis@example.com" is Liis, "mari.tamm@example.com" Mari Tamm.
func PersonName(email string) string {
	local, _, _ := strings.Cut(strings.TrimSpace(email), "@")
	parts := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' || unicode.IsDigit(r) })
	for i, p := range parts {
		r := []rune(strings.ToLower(p))
		r[0] = unicode.ToUpper(r[0])
		parts[i] = string(r)
	}
	return strings.Join(parts, " ")
}

// CustomerLanguage is the language to write to the customer of r in: the
// language the response carries, else the team's.
func (p *Policy) CustomerLanguage(r *Response) string {
	if l, ok := NormalizeLanguage(r.Language); ok {
		return l
	}
	return p.TeamLanguage(r.TeamID)
}

// messageData is what the templates know about a case.
func (p *Policy) messageData(c *Case, r *Response, whatWasDone string) MessageData {
	team := c.TeamID
	if t, ok := p.Team(c.TeamID); ok && t.Name != "" {
		team = t.Name
	}
	return MessageData{CustomerName: customerFirstName(r.CustomerName), TeamName: team, OwnerName: PersonName(c.Owner),
		CaseID: c.ID, WhatWasDone: strings.TrimSpace(whatWasDone)}
}

// customerFirstName greets by the name as given, unless it is empty.
func customerFirstName(name string) string {
	return strings.Join(strings.Fields(name), " ")
}

// CaseDraft renders a customer message of purpose for a case, signed by
// owner (the person sending it).
func (p *Policy) CaseDraft(v CaseView, purpose, owner, whatWasDone string) (Draft, error) {
	c := v.Case
	if owner != "" {
		c.Owner = owner
	}
	return p.CustomerMessages.Render(purpose, p.CustomerLanguage(&v.Response), p.messageData(&c, &v.Response, whatWasDone))
}
