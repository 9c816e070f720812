package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/importer"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A card number in an imported comment is stored masked, and a rejected
// row carrying one is written to the rejects file masked.
func TestImportMasksCardNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		in := "external_id,score,submitted_at,comment\n" +
			"c-1,3,2026-09-30,\"card 4111 1111 1111 1111, charged twice\"\n" +
			"c-2,99,2026-09-30,my card is 5500-0000-0000-0004\n"
		rej := &importer.RejectsFile{Path: filepath.Join(t.TempDir(), "in.rejects.csv")}
		st, err := importer.Import(context.Background(), s, policy(), strings.NewReader(in), opts(rej))
		if err != nil {
			t.Fatal(err)
		}
		if err := rej.Close(); err != nil {
			t.Fatal(err)
		}
		if st.Created != 1 || st.Rejected != 1 {
			t.Fatalf("stats %+v", st)
		}
		var comment string
		if err := s.DB().Table("responses").Where("external_id = ?", "c-1").Pluck("comment", &comment).Error; err != nil {
			t.Fatal(err)
		}
		if comment != "card •••• 1111, charged twice" {
			t.Errorf("stored comment %q", comment)
		}
		b, err := os.ReadFile(rej.Path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "5500-0000-0000-0004") || !strings.Contains(string(b), "my card is •••• 0004") {
			t.Errorf("rejects file:\n%s", b)
		}
	})
}
