package chatops_test

import (
	"context"
	"testing"
	"time"

	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// The refusals and input errors of case actions read in the reader's
// language, the case's state named in it too.
func TestCaseRefusalsInReadersLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		p := contactCenterPolicy()
		now := time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)
		ctx := context.Background()
		id := jaansCase(t, s, p, now)
		type step struct {
			actor string
			op    models.Op
			want  map[string]string
		}
		steps := []step{
			{"outsider@example.com", models.Op{Kind: models.OpTake}, map[string]string{
				"et": "Juhtumit #1 saavad enda peale võtta ainult tiimi Contact Center liikmed.",
				"pl": "Przypadek #1 mogą przejąć tylko członkowie zespołu Contact Center.",
				"ru": "Взять случай #1 могут только участники команды Contact Center."}},
			{"jaan@example.com", models.Op{Kind: models.OpTake}, map[string]string{
				"et": "Juhtum #1 on juba sinu vastutada.", "pl": "Już jesteś opiekunem przypadku #1.", "ru": "Вы уже отвечаете за случай #1."}},
			{"liis@example.com", models.Op{Kind: models.OpContact}, map[string]string{
				"et": "Juhtumi #1 kliendi kontaktandmeid näevad ainult juhtumi vastutaja ja tiimi Contact Center juhid.",
				"pl": "Dane kontaktowe klienta z przypadku #1 widzą tylko opiekun przypadku i kierownicy zespołu Contact Center.",
				"ru": "Контактные данные клиента по случаю #1 видят только ответственный за случай и руководители команды Contact Center."}},
			{"liis@example.com", models.Op{Kind: models.OpThank, Method: "call"}, map[string]string{
				"et": "Seda saavad teha ainult juhtumi #1 vastutaja (jaan@example.com) ja tiimi Contact Center juhid.",
				"pl": "To może zrobić tylko opiekun przypadku #1 (jaan@example.com) lub kierownicy zespołu Contact Center.",
				"ru": "Это могут сделать только ответственный за случай #1 (jaan@example.com) и руководители команды Contact Center."}},
			{"mari@example.com", models.Op{Kind: models.OpReopen}, map[string]string{
				"et": "Juhtum #1 on määratud, mitte suletud.",
				"pl": "Przypadek #1 ma status „przypisany”, nie jest zamknięty.",
				"ru": "Случай #1 в статусе «назначен», он не закрыт."}},
			{"jaan@example.com", models.Op{Kind: models.OpNote, Note: " "}, map[string]string{
				"et": "Märkmes peab olema teksti.", "pl": "Notatka musi zawierać tekst.", "ru": "Заметка не может быть пустой."}},
			{"jaan@example.com", models.Op{Kind: models.OpResolve, RootCause: "process"}, map[string]string{
				"et": "Kirjuta, mida kliendi heaks tehti.", "pl": "Napisz, co zrobiono dla klienta.", "ru": "Напишите, что сделали для клиента."}},
			{"mari@example.com", models.Op{Kind: models.OpAssign, Assignee: "outsider@example.com"}, map[string]string{
				"et": "outsider@example.com ei ole tiimi Contact Center liige ega juht.",
				"pl": "outsider@example.com nie jest członkiem ani kierownikiem zespołu Contact Center.",
				"ru": "outsider@example.com не входит в команду Contact Center и не руководит ею."}},
		}
		for _, st := range steps {
			_, err := s.Act(ctx, p, now, id, st.actor, st.op)
			if err == nil {
				t.Fatalf("%s %s went through", st.actor, st.op.Kind)
			}
			for lang, want := range st.want {
				if got := chatops.ActionOutcomeIn(lang, err, "", id); got != want {
					t.Errorf("%s %s in %s:\ngot  %q\nwant %q", st.actor, st.op.Kind, lang, got, want)
				}
			}
		}
	})
}
