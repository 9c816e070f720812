package models_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/models"
)

func TestFindPersonalData(t *testing.T) {
	type want struct {
		kind models.PersonalKind
		text string
	}
	none := []want(nil)
	tests := []struct {
		name string
		in   string
		want []want
	}{
		// Payment cards: 13–19 digits passing Luhn, compact, spaced or dashed.
		{"visa spaced", "my card 4111 1111 1111 1111 was charged twice", []want{{models.PersonalCard, "4111 1111 1111 1111"}}},
		{"visa compact", "card 4111111111111111.", []want{{models.PersonalCard, "4111111111111111"}}},
		{"mastercard dashed", "5500-0000-0000-0004 blocked", []want{{models.PersonalCard, "5500-0000-0000-0004"}}},
		{"amex 15", "amex 3782 822463 10005", []want{{models.PersonalCard, "3782 822463 10005"}}},
		{"visa 13", "old card 4222222222222", []want{{models.PersonalCard, "4222222222222"}}},
		{"19 digits", "card 6304 0000 0000 0000 000 ok", []want{{models.PersonalCard, "6304 0000 0000 0000 000"}}},
		{"card then amount", "4111 1111 1111 1111 15 EUR", []want{{models.PersonalCard, "4111 1111 1111 1111"}}},
		{"nbsp", "kaart 4111\u00a01111\u00a01111\u00a01111", []want{{models.PersonalCard, "4111\u00a01111\u00a01111\u00a01111"}}},
		{"luhn fails", "card 4111 1111 1111 1112", none},
		{"12 digits is no card", "ref 4111 1111 1111", []want{{models.PersonalPhone, "4111 1111 1111"}}},
		{"20 digits", "ref 41111111111111111111", none},
		// IBANs: a known country's length and mod-97.
		{"iban EE", "kanna EE38 2200 2210 2014 5685 palun", []want{{models.PersonalIBAN, "EE38 2200 2210 2014 5685"}}},
		{"iban EE compact", "EE382200221020145685", []want{{models.PersonalIBAN, "EE382200221020145685"}}},
		{"iban PL", "konto PL61 1090 1014 0000 0712 1981 2874.", []want{{models.PersonalIBAN, "PL61 1090 1014 0000 0712 1981 2874"}}},
		{"iban LV", "LV80BANK0000435195001 rēķins", []want{{models.PersonalIBAN, "LV80BANK0000435195001"}}},
		{"iban LT lower", "lt12 1000 0111 0100 1000", []want{{models.PersonalIBAN, "lt12 1000 0111 0100 1000"}}},
		{"iban DE", "DE89 3704 0044 0532 0130 00 bitte", []want{{models.PersonalIBAN, "DE89 3704 0044 0532 0130 00"}}},
		{"iban EE wrong check", "EE39 2200 2210 2014 5685", none},
		{"iban PL wrong check", "PL62109010140000071219812874", none},
		{"iban LV wrong check", "LV81BANK0000435195001", []want{{models.PersonalPhone, "0000435195001"}}},
		{"iban LT wrong check", "LT131000011101001000", none},
		{"iban DE wrong check", "DE88370400440532013000", none},
		{"iban too long", "EE3822002210201456851", none},
		// National ID codes with their checksums.
		{"isikukood", "minu isikukood 37605030299", []want{{models.PersonalNationalID, "37605030299"}}},
		{"isikukood 2000s", "60001019906", []want{{models.PersonalNationalID, "60001019906"}}},
		{"pesel", "PESEL 44051401359", []want{{models.PersonalNationalID, "44051401359"}}},
		{"pesel 2000s", "pesel: 02270803624", []want{{models.PersonalNationalID, "02270803624"}}},
		// Eleven digits failing both checks read as a phone number.
		{"isikukood wrong check", "37605030298", []want{{models.PersonalPhone, "37605030298"}}},
		{"pesel bad date", "44053201359 x", []want{{models.PersonalPhone, "44053201359"}}},
		// Emails and phones.
		{"email", "mail kadri.k@example.com now", []want{{models.PersonalEmail, "kadri.k@example.com"}}},
		{"email unicode", "пишите на иван@пример.рф", []want{{models.PersonalEmail, "иван@пример.рф"}}},
		{"phone EE", "call me on +372 5555 0000 please", []want{{models.PersonalPhone, "+372 5555 0000"}}},
		{"phone PL", "tel. +48 601-234-567", []want{{models.PersonalPhone, "+48 601-234-567"}}},
		{"phone RU", "номер 8 (912) 345-67-89", []want{{models.PersonalPhone, "8 (912) 345-67-89"}}},
		{"date", "on 2026-10-03 I waited 40 minutes", none},
		{"year range", "client 2019-2025", none},
		{"date and time", "visit 2026-11-15 10:00 was cancelled", none},
		{"timestamp", "{{DATE(2026-01-01T00:00:00Z)}}", none},
		{"dotted date", "kohtumine 15.11.2026 kell 10", none},
		{"compact date", "ref 20261115", none},
		{"zloty amount", "Kwota 1 234 567,89 zł pobrana", none},
		{"euro amount", "laen 2 000 000 EUR", none},
		{"rouble amount", "списали 1 250 000 руб.", none},
		{"euro sign first", "charged €1 250 000 twice", none},
		{"short number", "waited 40 minutes, ticket 12345", none},
		{"several", "IBAN EE382200221020145685, card 4111111111111111, k@x.ee", []want{
			{models.PersonalIBAN, "EE382200221020145685"}, {models.PersonalCard, "4111111111111111"}, {models.PersonalEmail, "k@x.ee"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := models.FindPersonalData(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("FindPersonalData(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			for i, w := range tt.want {
				if got[i].Kind != w.kind || got[i].Text != w.text || tt.in[got[i].Start:got[i].End] != w.text {
					t.Errorf("finding %d of %q = %+v, want %s %q", i, tt.in, got[i], w.kind, w.text)
				}
			}
		})
	}
}

func TestMaskPersonalData(t *testing.T) {
	tests := []struct{ in, cards, all string }{
		{"card 4111 1111 1111 1111 charged", "card •••• 1111 charged", "card •••• 1111 charged"},
		{"5500-0000-0000-0004", "•••• 0004", "•••• 0004"},
		{"to EE38 2200 2210 2014 5685 now", "to EE38 2200 2210 2014 5685 now", "to EE•• •••• 5685 now"},
		{"mail kadri.k@example.com", "mail kadri.k@example.com", "mail k***@example.com"},
		{"call +372 5555 0000", "call +372 5555 0000", "call +372 ***0000"},
		{"isikukood 37605030299", "isikukood 37605030299", "isikukood •••••••••••"},
		{"nothing here 2026-10-03", "nothing here 2026-10-03", "nothing here 2026-10-03"},
	}
	for _, tt := range tests {
		if got := models.MaskCardNumbers(tt.in); got != tt.cards {
			t.Errorf("MaskCardNumbers(%q) = %q, want %q", tt.in, got, tt.cards)
		}
		if got := models.MaskPersonalData(tt.in); got != tt.all {
			t.Errorf("MaskPersonalData(%q) = %q, want %q", tt.in, got, tt.all)
		}
	}
	in := "card 4111 1111 1111 1111, EE382200221020145685, k@x.ee, +372 5555 0000, 44051401359; 2026-10-03"
	want := "card [card], [iban], [email], [phone], [national_id]; 2026-10-03"
	if got := models.RedactPersonalData(in); got != want {
		t.Errorf("RedactPersonalData(%q) = %q, want %q", in, got, want)
	}
}

func TestMaskEmailAndPhone(t *testing.T) {
	tests := []struct {
		fn       func(string) string
		in, want string
	}{
		{models.MaskEmail, "kadri@example.com", "k***@example.com"},
		{models.MaskEmail, "", ""},
		{models.MaskEmail, "not-an-email", "***"},
		{models.MaskPhone, "+372 5555 0101", "+372 ***0101"},
		{models.MaskPhone, "55550101", "***0101"},
		{models.MaskPhone, "", ""},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskCardNumbersJSON(t *testing.T) {
	body := []byte(`{"id":4111111111111111,"answers":[{"text":"card 4111 1111 1111 1111 \"x\""}],"n":"EE382200221020145685"}`)
	got := models.MaskCardNumbersJSON(body)
	want := `{"id":4111111111111111,"answers":[{"text":"card •••• 1111 \"x\""}],"n":"EE382200221020145685"}`
	if string(got) != want {
		t.Errorf("MaskCardNumbersJSON = %s, want %s", got, want)
	}
	if !json.Valid(got) {
		t.Error("the masked body is no longer JSON")
	}
	if plain := models.MaskCardNumbersJSON([]byte("not json 4111111111111111")); string(plain) != "not json •••• 1111" {
		t.Errorf("text body = %q", plain)
	}
}

func TestMaskingLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(models.MaskingLogHandler(slog.NewJSONHandler(&buf, nil))).With("from", "kadri@example.com")
	log.Info("comment EE382200221020145685", "comment", "call +372 5555 0000", "err", errors.New("bad 37605030299"),
		slog.Group("g", "email", "mart@example.ee"))
	out := buf.String()
	for _, leak := range []string{"kadri@", "EE382200221020145685", "5555 0000", "37605030299", "mart@"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line carries %q: %s", leak, out)
		}
	}
	for _, kept := range []string{"k***@example.com", "EE•• •••• 5685", "+372 ***0000"} {
		if !strings.Contains(out, kept) {
			t.Errorf("log line lacks %q: %s", kept, out)
		}
	}
}
