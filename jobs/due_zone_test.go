package jobs_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// The "case is yours" DM names its due times in the team's zone, as the
// reminders do.
func TestCaseDMDueTimesInTeamZone(t *testing.T) {
	riga, err := time.LoadLocation("Europe/Riga")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		var out bytes.Buffer
		p := policy()
		p.Teams[0].Location = riga
		d := &jobs.Deliverer{Store: s, Policy: p, Clock: models.NewFixedClock(t0), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Messengers: map[string]bot.Messenger{"log": bot.NewLogMessenger(&out)}}
		ingest(t, s, p, models.ResponseInput{ExternalID: "z1", Score: 2})
		if _, err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		// t0 is Mon 5 Oct 10:00 UTC; 24 h and 72 h later, in Riga (+03:00).
		for _, want := range []string{"Thank the customer by Tue 6 Oct 13:00 EEST and resolve by Thu 8 Oct 13:00 EEST"} {
			if !strings.Contains(got, want) {
				t.Errorf("DM lacks %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "UTC") {
			t.Errorf("a due time is written in UTC:\n%s", got)
		}
	})
}
