package chatops_test

import (
	"context"
	"testing"
	"time"

	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A refused action is answered in the reader's language, not in English.
func TestRefusalsInReadersLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := contactCenterPolicy()
		now := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
		ctx := context.Background()
		id := jaansCase(t, s, p, now)
		tests := []struct {
			name, lang, actor string
			op                models.Op
			caseID            int64
			want              string
		}{
			{"take owned et", "et", "liis@example.com", models.Op{Kind: models.OpTake}, id,
				"Juhtum #1 on jaan@example.com vastutada; ümber määrata saavad ainult tiimi Contact Center juhid."},
			{"take owned pl", "pl", "liis@example.com", models.Op{Kind: models.OpTake}, id,
				"Przypadek #1 należy do jaan@example.com; przekazać go komuś innemu mogą tylko kierownicy zespołu Contact Center."},
			{"take owned ru", "ru", "liis@example.com", models.Op{Kind: models.OpTake}, id,
				"Случай #1 закреплён за jaan@example.com; переназначить его могут только руководители команды Contact Center."},
			{"assign et", "et", "jaan@example.com", models.Op{Kind: models.OpAssign, Assignee: "liis@example.com"}, id,
				"Ümber määrata saavad ainult tiimi Contact Center juhid."},
			{"assign pl", "pl", "jaan@example.com", models.Op{Kind: models.OpAssign, Assignee: "liis@example.com"}, id,
				"Przekazywać przypadki mogą tylko kierownicy zespołu Contact Center."},
			{"assign ru", "ru", "jaan@example.com", models.Op{Kind: models.OpAssign, Assignee: "liis@example.com"}, id,
				"Переназначать случаи могут только руководители команды Contact Center."},
			{"reopen et", "et", "jaan@example.com", models.Op{Kind: models.OpReopen}, id,
				"Uuesti avada saavad ainult tiimi Contact Center juhid."},
			{"reopen pl", "pl", "jaan@example.com", models.Op{Kind: models.OpReopen}, id,
				"Ponownie otwierać przypadki mogą tylko kierownicy zespołu Contact Center."},
			{"reopen ru", "ru", "jaan@example.com", models.Op{Kind: models.OpReopen}, id,
				"Повторно открывать случаи могут только руководители команды Contact Center."},
			{"email off et", "et", "jaan@example.com", models.Op{Kind: models.OpThank, Method: models.ThankByEmail}, id,
				"Juhtum #1: sellele kliendile ei saa e-kirja saata: klientidele e-kirjade saatmine pole seadistatud (CXLOOP_SMTP_URL)."},
			{"email off pl", "pl", "jaan@example.com", models.Op{Kind: models.OpThank, Method: models.ThankByEmail}, id,
				"Przypadek #1: do tego klienta nie można wysłać e-maila: wysyłka e-maili do klientów nie jest skonfigurowana (CXLOOP_SMTP_URL)."},
			{"email off ru", "ru", "jaan@example.com", models.Op{Kind: models.OpThank, Method: models.ThankByEmail}, id,
				"Случай #1: этому клиенту нельзя отправить письмо: отправка писем клиентам не настроена (CXLOOP_SMTP_URL)."},
			{"no case et", "et", "jaan@example.com", models.Op{Kind: models.OpTake}, 999, "Juhtumit #999 ei ole."},
			{"no case pl", "pl", "jaan@example.com", models.Op{Kind: models.OpTake}, 999, "Nie ma przypadku #999."},
			{"no case ru", "ru", "jaan@example.com", models.Op{Kind: models.OpTake}, 999, "Случая #999 нет."},
			{"take owned en", "en", "liis@example.com", models.Op{Kind: models.OpTake}, id,
				"Case #1 belongs to jaan@example.com; only managers of Contact Center can reassign."},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.Act(ctx, p, now, tt.caseID, tt.actor, tt.op)
				if err == nil {
					t.Fatal("the action went through")
				}
				if got := chatops.ActionOutcomeIn(tt.lang, err, "", tt.caseID); got != tt.want {
					t.Errorf("got  %q\nwant %q", got, tt.want)
				}
			})
		}
	})
}
