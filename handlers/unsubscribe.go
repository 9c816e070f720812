package handlers

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/cxloop/cxloop/handlers/httpio"
	"github.com/cxloop/cxloop/models"
)

// unsubscribePage answers the unsubscribe link. The customer's language is
// not known here, so it says it in every language cxloop writes in.
var unsubscribePage = template.Must(template.New("unsubscribe").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{index . 0}}</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; max-width: 36em; margin: 3em auto; line-height: 1.5;">
{{range .}}<p>{{.}}</p>
{{end}}</body></html>
`))

var (
	unsubscribedText = []string{
		"You are unsubscribed: we will not email you again.",
		"Olete loobunud: me ei saada Teile enam e-kirju.",
		"Rezygnacja przyjęta: nie będziemy już wysyłać Państwu e-maili.",
		"Вы отписались: мы больше не будем присылать Вам письма.",
	}
	badLinkText = []string{
		"This unsubscribe link is not valid. Please use the link from our email, or reply to it.",
		"See loobumislink ei kehti. Palun kasutage meie e-kirjas olevat linki või vastake kirjale.",
		"Ten link rezygnacji jest nieprawidłowy. Prosimy użyć linku z naszej wiadomości lub na nią odpowiedzieć.",
		"Эта ссылка для отписки недействительна. Воспользуйтесь ссылкой из нашего письма или ответьте на него.",
	}
)

// unsubscribe serves GET and POST /unsubscribe?token=…: one click (or the
// mail client's RFC 8058 POST) suppresses the address the token was signed
// for. A token this installation did not sign answers 400 and changes
// nothing.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if r.Method == http.MethodPost {
		if _, ok := httpio.ReadBody(w, r); !ok {
			return
		}
	}
	page := func(code int, lines []string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = unsubscribePage.Execute(w, lines)
	}
	key, err := s.Store.Key(ctx, models.UnsubscribeKeyName)
	if err != nil {
		s.Log.Error("unsubscribe: read the key", "err", err)
		page(http.StatusServiceUnavailable, badLinkText[:1])
		return
	}
	addr, err := models.ParseUnsubscribeToken(key, r.URL.Query().Get("token"))
	if errors.Is(err, models.ErrBadToken) {
		page(http.StatusBadRequest, badLinkText)
		return
	}
	if err := s.Store.Suppress(ctx, addr, "unsubscribe", s.Clock.Now()); err != nil {
		var fe *models.FieldError
		if errors.As(err, &fe) {
			page(http.StatusBadRequest, badLinkText)
			return
		}
		s.Log.Error("unsubscribe", "err", err)
		page(http.StatusServiceUnavailable, badLinkText[:1])
		return
	}
	page(http.StatusOK, unsubscribedText)
}
