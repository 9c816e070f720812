package digest_test

import (
	"strings"
	"testing"

	"github.com/cxloop/cxloop/jobs/digest"
	"github.com/cxloop/cxloop/models"
)

// month is a hand-made digest month: NPS this month and last, optionally
// targets, a theme and a done item.
func month(cur, prev models.NPS) *models.DigestStats {
	st := &models.DigestStats{Month: "2026-11", Location: "UTC", NPS: cur, PrevNPS: prev, Change: models.CompareNPS(cur, prev)}
	st.Teams = []models.TeamStats{{ID: "cc", Name: "Contact Center", Responses: cur.N(), NPS: cur}}
	return st
}

func TestStory(t *testing.T) {
	done := models.DoneItem{ImprovementSummary: models.ImprovementSummary{ImprovementItem: models.ImprovementItem{Title: "Call-back instead of the queue"}, Linked: 12, Told: 7},
		ToldByEmail: 5, ToldByPhone: 2, NotYetTold: 3, CannotTell: 2, Theme: "waiting", Before: 14, After: 5, Days: 12}
	tests := []struct {
		name string
		st   *models.DigestStats
		want []string // each sentence, in order, contains these
		not  []string
	}{
		{
			name: "significant rise, a team below target beyond the margin, a fix done",
			st: func() *models.DigestStats {
				st := month(models.NPS{Promoters: 120, Passives: 50, Detractors: 30}, models.NPS{Promoters: 80, Passives: 60, Detractors: 60})
				st.Targets = models.Targets{NPS: f(30)}
				st.Teams = []models.TeamStats{
					{Name: "Contact Center", Responses: 150, NPS: models.NPS{Promoters: 100, Passives: 35, Detractors: 15}, Targets: models.Targets{NPS: f(30)}},
					{Name: "Riga Branch", Responses: 50, NPS: models.NPS{Promoters: 10, Passives: 15, Detractors: 25}, Targets: models.Targets{NPS: f(30)}},
				}
				st.Improvements.DoneItems = []models.DoneItem{done}
				return st
			}(),
			want: []string{
				"NPS rose significantly, from +10 the month before to +45 (±10 on 200 responses).",
				"Riga Branch is furthest from target: NPS -30 against +30, a miss beyond the margin of error.",
				`Done: "Call-back instead of the queue" (7 of 10 customers told); waiting detractors: 14 in the 12 days before, 5 in the 12 days since.`,
			},
		},
		{
			name: "significant fall, shares below target",
			st: func() *models.DigestStats {
				st := month(models.NPS{Promoters: 60, Passives: 60, Detractors: 80}, models.NPS{Promoters: 110, Passives: 60, Detractors: 30})
				st.Targets = models.Targets{ThankedInSLA: f(0.9)}
				st.Loop = models.LoopHealth{Cases: 80, ThankDue: 75, ThankedInSLA: 45}
				return st
			}(),
			want: []string{
				"NPS fell significantly, from +40 the month before to -10 (±12 on 200 responses).",
				"Thanked within SLA is furthest from target: 60% (45 of 75 cases due) against 90%, a miss beyond the margin of error.",
			},
			not: []string{"rose"},
		},
		{
			name: "flat: a change within the margin, every target met, nothing done",
			st: func() *models.DigestStats {
				st := month(models.NPS{Promoters: 90, Passives: 60, Detractors: 50}, models.NPS{Promoters: 95, Passives: 60, Detractors: 45})
				st.Targets = models.Targets{NPS: f(10)}
				st.Teams[0].Targets = st.Targets
				st.Improvements.InProgress = 2
				return st
			}(),
			want: []string{
				"NPS was +20 against +25 the month before: a difference of 5 points, within the margin of error (±16), so not a real change.",
				"Every target that could be judged was met (2 of 2).",
				"No improvement was finished this month; 2 are in progress.",
			},
			not: []string{"significantly"},
		},
		{
			name: "too few responses: no verdict on the score, the theme that weighs most",
			st: func() *models.DigestStats {
				st := month(models.NPS{Promoters: 5, Passives: 5, Detractors: 8}, models.NPS{Promoters: 100, Passives: 60, Detractors: 40})
				st.Targets = models.Targets{NPS: f(30)}
				st.Themes = []models.ThemeCount{{Name: "fees", Count: 6, PrevCount: 11}}
				return st
			}(),
			want: []string{
				"Only 18 NPS responses came in: too few to read the score or any change in it.",
				"The theme detractors named most was fees: 6 responses, against 11 the month before.",
			},
			not: []string{"significantly", "target"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := digest.Story(tt.st)
			if len(got) > 3 || len(got) != len(tt.want) {
				t.Fatalf("%d sentences, want %d (at most 3):\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("sentence %d:\n %s\nwant it to contain\n %s", i+1, got[i], w)
				}
			}
			all := strings.Join(got, " ")
			for _, n := range tt.not {
				if strings.Contains(all, n) {
					t.Errorf("story says %q:\n%s", n, all)
				}
			}
		})
	}
}

// The paragraph reads in digest.language, numbers written its way.
func TestStoryLanguages(t *testing.T) {
	st := month(models.NPS{Promoters: 1200, Passives: 500, Detractors: 300}, models.NPS{Promoters: 800, Passives: 600, Detractors: 600})
	st.Improvements.DoneItems = []models.DoneItem{{ImprovementSummary: models.ImprovementSummary{ImprovementItem: models.ImprovementItem{Title: "Tagasihelistamine"}, Linked: 4, Told: 2},
		ToldByEmail: 2, NotYetTold: 2, Theme: "ootamine", Before: 1500, After: 3, Days: 2}}
	for _, tt := range []struct{ lang, first, third string }{
		{"et", "NPS tõusis oluliselt: eelmise kuu +10 asemel on see nüüd +45 (±3; vastuseid 2\u00a0000).",
			"Tehtud: „Tagasihelistamine“ (teavitatud kliente 2 / 4); teema „ootamine“ kriitikuid: 1\u00a0500 sellele eelnenud 2 päeva jooksul, 3 järgnenud 2 päeva jooksul."},
		{"pl", "NPS wzrósł istotnie statystycznie: z +10 w poprzednim miesiącu do +45 (±3; odpowiedzi: 2\u00a0000).",
			"w ciągu 2 dni przed, 3 w ciągu 2 dni po."},
		{"ru", "NPS статистически значимо вырос: с +10 в предыдущем месяце до +45 (±3; ответов: 2\u00a0000).",
			"недовольных по теме «ootamine»: 1\u00a0500 за 2 дня до, 3 за 2 дня после."},
	} {
		st.Language = tt.lang
		got := digest.Story(st)
		if len(got) != 2 || got[0] != tt.first || !strings.Contains(got[1], tt.third) {
			t.Errorf("%s:\n%s", tt.lang, strings.Join(got, "\n"))
		}
	}
}
