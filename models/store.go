package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// SchemaVersion of this build; /readyz is green only when the database holds it.
const CurrentSchema = 5

// takeMigrateLock is the PostgreSQL advisory lock held while the schema
// changes. It is keyed by the schema in use, so installations (and test
// runs) in other schemas of one database do not queue behind each other.
const takeMigrateLock = "SELECT pg_advisory_xact_lock(hashtextextended('cxloop-migrate:' || current_schema(), 0))"

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Store is the database: every read and write of cxloop's state.
type Store struct {
	db       *gorm.DB
	postgres bool
	// teamsReady remembers which teams' assignment sequences exist; only a
	// shortcut, the database is the truth.
	teamsReady sync.Map
	jobs       jobLocks
	// rdb serves reads that need no transaction: on SQLite a pool of
	// read-only connections beside the single writer, which WAL lets read
	// while the writer writes; on PostgreSQL the same pool as db.
	rdb *gorm.DB
}

// read is the handle for plain reads.
func (s *Store) read(ctx context.Context) *gorm.DB { return s.rdb.WithContext(ctx) }

// Open connects to a database URL: postgres://… or sqlite://PATH.
func Open(ctx context.Context, dbURL string) (*Store, error) {
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		SkipDefaultTransaction: true,
		TranslateError:         true,
	}
	var (
		db  *gorm.DB
		err error
		pg  bool
	)
	switch {
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		pg = true
		db, err = gorm.Open(postgres.Open(dbURL), cfg)
	case strings.HasPrefix(dbURL, "sqlite://"):
		db, err = gorm.Open(sqlite.Open(sqliteDSN(strings.TrimPrefix(dbURL, "sqlite://"), false)), cfg)
	default:
		return nil, fmt.Errorf("database url must start with postgres:// or sqlite://, got %q", redactURL(dbURL))
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redactURL(dbURL), err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("database handle: %w", err)
	}
	if pg {
		sqlDB.SetMaxOpenConns(40)
		sqlDB.SetMaxIdleConns(40)
	} else {
		// One writer connection: SQLite has one writer, and a single
		// connection turns lock contention into queueing instead of
		// SQLITE_BUSY errors.
		sqlDB.SetMaxOpenConns(1)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to %s: %w", redactURL(dbURL), err)
	}
	s := &Store{db: db, rdb: db, postgres: pg}
	if !pg {
		// The writer has created the file and switched it to WAL; readers
		// open it read-only.
		rdb, err := gorm.Open(sqlite.Open(sqliteDSN(strings.TrimPrefix(dbURL, "sqlite://"), true)), cfg)
		if err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("open readers of %s: %w", redactURL(dbURL), err)
		}
		rDB, err := rdb.DB()
		if err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("database handle: %w", err)
		}
		rDB.SetMaxOpenConns(4)
		rDB.SetConnMaxIdleTime(5 * time.Minute)
		s.rdb = rdb
	}
	return s, nil
}

// sqliteDSN: WAL so readers never wait for the writer (and the CLI can run
// beside serve), busy_timeout so a second process's writer queues instead
// of failing, immediate transactions so a transaction never has to upgrade
// a read lock (which fails at once, whatever the timeout).
func sqliteDSN(path string, readOnly bool) string {
	if path == "" {
		path = "cxloop.db"
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
	}
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	return "file:" + path + "?" + q.Encode()
}

// redactURL hides a password in a database URL so it never reaches a log.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Postgres reports whether the store runs on PostgreSQL.
func (s *Store) Postgres() bool { return s.postgres }

// Close releases the connections.
func (s *Store) Close() error {
	if s.rdb != s.db {
		if r, err := s.rdb.DB(); err == nil {
			_ = r.Close()
		}
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Migrate brings the schema up to date. On PostgreSQL it holds an advisory
// lock for the duration, so replicas migrating at once queue instead of
// racing; the second finds nothing to do.
func (s *Store) Migrate(ctx context.Context) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.postgres {
			if err := tx.Exec(takeMigrateLock).Error; err != nil {
				return fmt.Errorf("take migration lock: %w", err)
			}
		}
		if err := tx.AutoMigrate(allModels()...); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if err := moveTeamsConversations(tx); err != nil {
			return fmt.Errorf("migrate to schema 5: %w", err)
		}
		// The order-key index of earlier versions is covered by ix_outbox_order.
		if err := tx.Exec("DROP INDEX IF EXISTS idx_outbox_messages_order_key").Error; err != nil {
			return fmt.Errorf("drop superseded index: %w", err)
		}
		v := SchemaVersion{ID: 1, Version: CurrentSchema, AppliedAt: time.Now().UTC()}
		if err := tx.Save(&v).Error; err != nil {
			return fmt.Errorf("record schema version: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.Analyze(ctx)
}

// Analyze refreshes the planner's statistics of every table. PostgreSQL's
// autovacuum may be off and SQLite has none, and a planner without
// statistics may choose a plan that reads every pending message. Migrate
// runs it, and the analyze job hourly; analysis_limit bounds SQLite's work
// on a large file.
func (s *Store) Analyze(ctx context.Context) error {
	if s.postgres {
		// A bare ANALYZE walks every schema of the database and waits on
		// other schemas' locks; cxloop analyses only its own tables.
		var tables []string
		err := s.db.WithContext(ctx).Raw("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename").
			Scan(&tables).Error
		if err != nil {
			return fmt.Errorf("list tables: %w", err)
		}
		if len(tables) == 0 {
			return nil
		}
		return s.exec(ctx, "ANALYZE "+strings.Join(tables, ", "))
	}
	return s.exec(ctx, "PRAGMA analysis_limit = 1000", "ANALYZE")
}

// Optimize is the outbox's upkeep, run every minute: on PostgreSQL a VACUUM
// of the tables every delivery changes, so their indexes do not fill with
// the dead entries of delivered messages when autovacuum is off, and fresh
// statistics for them; on SQLite, which reuses space at once, PRAGMA
// optimize re-analyses what changed.
func (s *Store) Optimize(ctx context.Context) error {
	if s.postgres {
		return s.exec(ctx, "VACUUM (ANALYZE) outbox_messages, channel_paces")
	}
	return s.exec(ctx, "PRAGMA analysis_limit = 1000", "PRAGMA optimize")
}

func (s *Store) exec(ctx context.Context, qs ...string) error {
	db := s.db.WithContext(ctx)
	for _, q := range qs {
		if err := db.Exec(q).Error; err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// ErrSchemaNotCurrent: the database answers but needs cxloop migrate.
var ErrSchemaNotCurrent = errors.New("schema is not current")

// Ready checks that the database answers and holds the current schema.
func (s *Store) Ready(ctx context.Context) error {
	var v SchemaVersion
	err := s.read(ctx).Where("id = 1").Take(&v).Error
	if err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if v.Version != CurrentSchema {
		return fmt.Errorf("%w: version %d, this build needs %d: run cxloop migrate", ErrSchemaNotCurrent, v.Version, CurrentSchema)
	}
	return nil
}

// DB exposes the gorm handle to tests, which read rows as the database
// holds them.
func (s *Store) DB() *gorm.DB { return s.db }

// MaxOpenConns is how many connections the store's writer pool opens at
// most; 0 when it cannot be told.
func (s *Store) MaxOpenConns() int {
	sqlDB, err := s.db.DB()
	if err != nil {
		return 0
	}
	return sqlDB.Stats().MaxOpenConnections
}

func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
