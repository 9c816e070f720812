package email_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/email"
	"github.com/cxloop/cxloop/bot/email/smtptest"
)

func sender(t *testing.T, srv *smtptest.Server) *email.SMTP {
	t.Helper()
	s, err := email.NewSMTP(srv.URL(), email.Options{TLS: srv.ClientTLS(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendsUTF8OverSTARTTLSWithAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := sender(t, srv)
	texts := map[string]struct{ subject, body string }{
		"et": {"Aitäh tagasiside eest, Õie", "Tere, Õie!\n\nSuur aitäh, et võtsite aega. Jõudsime järjekorra üle ühele meelele: šokolaad ja žürii.\n\nParimate soovidega\nLiis"},
		"pl": {"Dziękujemy za Państwa opinię – Łódź", "Dzień dobry, Zażółć gęślą jaźń!\n\nDziękuję za poświęcony czas.\n\nSerdecznie pozdrawiam\nLiis"},
		"ru": {"Спасибо за Ваш отзыв, Ёлка", "Здравствуйте, Ёлка!\n\nСпасибо, что нашли время. Съешь же ещё этих мягких французских булок.\n\nС уважением,\nЛийс"},
	}
	for lang, tx := range texts {
		t.Run(lang, func(t *testing.T) {
			before := len(srv.Messages())
			err := s.Send(context.Background(), email.Message{
				From: "CX Team <cx@bank.example>", To: "kadri@example.com", ToName: "Kadri Kõiv",
				ReplyTo: "liis@bank.example", ReplyToName: "Liis", Subject: tx.subject, Text: tx.body,
				MessageID: "cxloop.7.1." + lang + "@bank.example", Unsubscribe: "https://cx.bank.example/unsubscribe?token=abc",
			})
			if err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != before+1 {
				t.Fatalf("%d messages delivered, want one more than %d", len(msgs), before)
			}
			d := msgs[len(msgs)-1]
			if d.From != "cx@bank.example" || len(d.To) != 1 || d.To[0] != "kadri@example.com" {
				t.Errorf("envelope from %q to %v", d.From, d.To)
			}
			p, err := smtptest.Parse(d.Data)
			if err != nil {
				t.Fatal(err)
			}
			if p.Subject != tx.subject {
				t.Errorf("subject %q, want %q", p.Subject, tx.subject)
			}
			if raw := p.Header.Get("Subject"); !strings.HasPrefix(raw, "=?UTF-8?") {
				t.Errorf("subject not encoded for 7-bit headers: %q", raw)
			}
			if p.Text != tx.body {
				t.Errorf("text part\n%q\nwant\n%q", p.Text, tx.body)
			}
			for _, line := range strings.Split(tx.body, "\n") {
				if line != "" && !strings.Contains(p.HTML, line) {
					t.Errorf("html part lacks %q:\n%s", line, p.HTML)
				}
			}
			hdr := map[string]string{
				"Reply-To":              `"Liis" <liis@bank.example>`,
				"Message-Id":            "<cxloop.7.1." + lang + "@bank.example>",
				"List-Unsubscribe":      "<https://cx.bank.example/unsubscribe?token=abc>",
				"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			}
			for k, want := range hdr {
				if got := p.Header.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			from, _ := p.Header.AddressList("From")
			to, _ := p.Header.AddressList("To")
			if len(from) != 1 || from[0].Address != "cx@bank.example" || from[0].Name != "CX Team" {
				t.Errorf("From %v", from)
			}
			if len(to) != 1 || to[0].Address != "kadri@example.com" || to[0].Name != "Kadri Kõiv" {
				t.Errorf("To %v", to)
			}
		})
	}
	if srv.Authenticated() < 3 {
		t.Errorf("%d AUTH PLAIN logins, want one per message (after STARTTLS)", srv.Authenticated())
	}
}

func TestHTMLPartEscapesTheText(t *testing.T) {
	h, err := email.HTMLFromText("Hi <b>Kadri</b> & co\nline two\n\nsecond paragraph")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "<b>") || !strings.Contains(h, "&lt;b&gt;Kadri&lt;/b&gt; &amp; co<br>line two</p>") ||
		!strings.Contains(h, ">second paragraph</p>") {
		t.Errorf("html:\n%s", h)
	}
}

func TestInlineImages(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	png := []byte("\x89PNG\r\n\x1a\nnot really a picture")
	err := sender(t, srv).Send(context.Background(), email.Message{
		From: "cx@bank.example", To: "board@bank.example", Subject: "Digest", Text: "See the chart.",
		HTML:   `<p>See the chart.</p><img src="cid:chart">`,
		Inline: []email.Inline{{CID: "chart", Name: "nps.png", ContentType: "image/png", Data: png}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := smtptest.Parse(srv.Messages()[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Inline["chart"]) != string(png) || !strings.Contains(p.HTML, `cid:chart`) {
		t.Errorf("inline %q, html %q", p.Inline, p.HTML)
	}
}

func TestSMTPAnswersAreClassified(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := sender(t, srv)
	msg := email.Message{From: "cx@bank.example", To: "kadri@example.com", Subject: "x", Text: "y"}
	for _, tc := range []struct {
		code int
		want bot.ErrorClass
	}{{421, bot.Transient}, {451, bot.Transient}, {550, bot.Permanent}, {553, bot.Permanent}} {
		srv.Reject(tc.code)
		err := s.Send(context.Background(), msg)
		if class, _ := bot.ClassOf(err); err == nil || class != tc.want {
			t.Errorf("%d: err %v class %v, want %v", tc.code, err, class, tc.want)
		}
	}
	dead, _ := email.NewSMTP("smtp://127.0.0.1:1", email.Options{Timeout: time.Second})
	if err := dead.Send(context.Background(), msg); err == nil {
		t.Error("no server, no error")
	} else if class, _ := bot.ClassOf(err); class != bot.Transient {
		t.Errorf("connection refused is %v, want transient", class)
	}
}

func TestURLs(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"smtp://u:p@mail.example:587", true}, {"smtps://u:p@mail.example", true}, {"smtp://mail.example", true},
		{"http://mail.example", false}, {"smtp://", false}, {"smtp://mail.example:port", false},
	} {
		if _, err := email.NewSMTP(tc.url, email.Options{}); (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.url, err)
		}
	}
}

func TestOutline(t *testing.T) {
	m := email.Message{From: "Bank <cx@bank.example>", To: "ceo@bank.example", Subject: "Digest", Text: "one\ntwo\nthree\n",
		HTML: strings.Repeat("x", 3000), Inline: []email.Inline{{CID: "chart", Name: "nps.png", ContentType: "image/png", Data: make([]byte, 1024)}}}
	got := email.Outline(m, 2)
	for _, want := range []string{"── email → ceo@bank.example ──", "Subject:  Digest", "Parts:    plain text, HTML (3 KB), inline image/png nps.png as cid:chart (1 KB)",
		"  one\n  two\n  …\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("outline lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "three") {
		t.Errorf("outline shows more than two lines:\n%s", got)
	}
}
