package models_test

import (
	"testing"

	"github.com/cxloop/cxloop/models"
)

func TestTargetChecks(t *testing.T) {
	nps := func(p, pa, d int64) models.NPS { return models.NPS{Promoters: p, Passives: pa, Detractors: d} }
	tests := []struct {
		name  string
		check models.TargetCheck
		want  models.Verdict
	}{
		{"nps above target", models.CheckNPS(ptr(20), nps(50, 30, 20)), models.Met},                  // +30
		{"nps just below, within ±15", models.CheckNPS(ptr(35), nps(50, 30, 20)), models.Missed},     // 5 short
		{"nps far below", models.CheckNPS(ptr(60), nps(50, 30, 20)), models.MissedBeyondMargin},      // 30 short
		{"too few responses", models.CheckNPS(ptr(60), nps(5, 3, 2)), models.NoTarget},               // not judged
		{"no target", models.CheckNPS(nil, nps(50, 30, 20)), models.NoTarget},                        //
		{"share met", models.CheckShare(ptr(0.8), 90, 100), models.Met},                              // 90%
		{"share within its margin", models.CheckShare(ptr(0.8), 75, 100), models.Missed},             // ±8.5
		{"share beyond its margin", models.CheckShare(ptr(0.9), 60, 100), models.MissedBeyondMargin}, //
		{"too few cases due", models.CheckShare(ptr(0.9), 1, 10), models.NoTarget},                   //
	}
	for _, tt := range tests {
		if tt.check.Verdict != tt.want {
			t.Errorf("%s: verdict %v, want %v (%+v)", tt.name, tt.check.Verdict, tt.want, tt.check)
		}
	}
}
