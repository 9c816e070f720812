package config_test

import (
	"strings"
	"testing"

	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/models"
)

func TestShippedMessagesInEveryLanguage(t *testing.T) {
	p := (&config.Config{Org: config.DefaultOrg()}).Policy()
	d := models.MessageData{CustomerName: "Kadri", TeamName: "Klienditugi", OwnerName: "Liis", CaseID: 7, WhatWasDone: "we called back"}
	for _, purpose := range models.MessagePurposes {
		for _, lang := range []string{"en", "et", "pl", "ru"} {
			dr, err := p.CustomerMessages.Render(purpose, lang, d)
			if err != nil || dr.Language != lang {
				t.Fatalf("%s %s: %v (%s)", purpose, lang, err, dr.Language)
			}
			if !strings.Contains(dr.Body, "Kadri") || !strings.HasSuffix(dr.Body, "Liis\nKlienditugi") || dr.Subject == "" {
				t.Errorf("%s %s: greets the customer and is signed by the owner and the team:\n%s", purpose, lang, dr.Body)
			}
			if purpose != models.MessageThankYou && !strings.Contains(dr.Body, "we called back") {
				t.Errorf("%s %s: says what was done:\n%s", purpose, lang, dr.Body)
			}
		}
	}
	if dr, _ := p.CustomerMessages.Render(models.MessageThankYou, "de", d); dr.Language != "en" {
		t.Errorf("a language without a message falls back on English, got %s", dr.Language)
	}
}

func TestCustomerMessagesFromYAML(t *testing.T) {
	base := "teams:\n  - id: cc\ncustomer_messages:\n"
	for _, tc := range []struct{ yaml, err string }{
		{"  thank_you:\n    et:\n      body: \"Tere {{.CustomerNimi}}\"\n", "customer_messages.thank_you.et.body"},
		{"  thank_you:\n    et:\n      subject: \"{{if}}\"\n", "customer_messages.thank_you.et.subject"},
		{"  thanks:\n    en: {subject: a, body: b}\n", "customer_messages.thanks: unknown message"},
		{"  fix_done:\n    fi:\n      body: \"Hei {{.CustomerName}}\"\n", "customer_messages.fix_done.fi.subject: required"},
		{"  fix_done:\n    english: {subject: a, body: b}\n", "not a language code"},
	} {
		if _, err := config.ParseOrg([]byte(base + tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.yaml, err, tc.err)
		}
	}
	org, err := config.ParseOrg([]byte(base + "  thank_you:\n    et:\n      body: \"Aitäh, {{.CustomerName}}!\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := (&config.Config{Org: *org}).Policy()
	dr, _ := p.CustomerMessages.Render(models.MessageThankYou, "et", models.MessageData{CustomerName: "Kadri"})
	if dr.Body != "Aitäh, Kadri!" || dr.Subject != "Aitäh tagasiside eest" {
		t.Errorf("override keeps the shipped subject: %+v", dr)
	}
}

func TestSMTPSettings(t *testing.T) {
	for _, tc := range []struct {
		url, from, err string
	}{
		{"smtp://u:p@mail.example:587", "CX Team <cx@example.com>", ""},
		{"smtps://u:p@mail.example:465", "cx@example.com", ""},
		{"smtp://u:p@mail.example:587", "", "CXLOOP_SMTP_FROM: required"},
		{"", "cx@example.com", "CXLOOP_SMTP_URL: required"},
		{"http://u:hunter2@mail.example", "cx@example.com", "CXLOOP_SMTP_URL: write smtp://"},
		{"smtp://mail.example", "not an address", "CXLOOP_SMTP_FROM"},
	} {
		cfg, err := config.Load(envFrom(map[string]string{"CXLOOP_SMTP_URL": tc.url, "CXLOOP_SMTP_FROM": tc.from, "CXLOOP_CONFIG": "../deploy/cxloop.example.yaml"}))
		switch {
		case tc.err == "" && (err != nil || !cfg.EmailEnabled() || !cfg.Policy().EmailEnabled):
			t.Errorf("%s: %v", tc.url, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s / %s: %v, want %q", tc.url, tc.from, err, tc.err)
		case err != nil && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("the error repeats the password: %v", err)
		}
	}
}
