// Package storetest gives tests real databases: a fresh SQLite file always,
// and a fresh PostgreSQL schema when CXLOOP_TEST_POSTGRES_URL is set.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxloop/cxloop/models"
)

// EnvPostgres names the variable holding the PostgreSQL URL for tests.
const EnvPostgres = "CXLOOP_TEST_POSTGRES_URL"

// DB is one test database.
type DB struct {
	Name string // "sqlite" or "postgres"
	URL  string
}

// Databases returns a fresh, empty database of each kind available. Each
// PostgreSQL one is its own schema, dropped when the test ends.
func Databases(t testing.TB) []DB {
	t.Helper()
	dbs := []DB{{Name: "sqlite", URL: "sqlite://" + filepath.Join(t.TempDir(), "test.db")}}
	if pg := os.Getenv(EnvPostgres); pg != "" {
		dbs = append(dbs, DB{Name: "postgres", URL: PostgresSchema(t, pg)})
	}
	return dbs
}

// PostgresSchema creates a schema of its own for the test and returns a URL
// whose connections use it.
func PostgresSchema(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := models.Open(context.Background(), base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if err := admin.DB().Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_ = admin.DB().Exec("DROP SCHEMA " + schema + " CASCADE").Error
		_ = admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens and migrates a database, closing it when the test ends.
func Open(t testing.TB, db DB) *models.Store {
	t.Helper()
	s, err := models.Open(context.Background(), db.URL)
	if err != nil {
		t.Fatalf("open %s: %v", db.Name, err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", db.Name, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Each runs fn as a subtest against every available database.
func Each(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	for _, db := range Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			fn(t, Open(t, db))
		})
	}
}

// Describe names the databases in use, for logs.
func Describe() string {
	if os.Getenv(EnvPostgres) != "" {
		return "sqlite and postgres"
	}
	return fmt.Sprintf("sqlite only (set %s for postgres)", EnvPostgres)
}
