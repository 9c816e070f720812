package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"

	"gorm.io/gorm"
)

// WithJobLock runs fn only if no other process (or goroutine) is running the
// job name right now; it reports whether fn ran. "Not acquired" is a normal
// skip: another replica is doing the work.
func (s *Store) WithJobLock(ctx context.Context, name string, fn func(ctx context.Context) error) (bool, error) {
	if !s.postgres {
		m := s.jobs.get(name)
		if !m.TryLock() {
			return false, nil
		}
		defer m.Unlock()
		return true, fn(ctx)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("cxloop-job:" + name))
	key := int64(h.Sum64() >> 1)
	ran := false
	// A session lock on one pinned connection: the job's own queries use
	// other connections, so the lock must not live in a transaction of theirs.
	err := s.db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		var got bool
		if err := conn.Raw("SELECT pg_try_advisory_lock(?)", key).Scan(&got).Error; err != nil {
			return fmt.Errorf("job lock %s: %w", name, err)
		}
		if !got {
			return nil
		}
		defer func() {
			// Unlock even when ctx has ended, or the lock would stay with the pooled connection.
			_ = conn.WithContext(context.WithoutCancel(ctx)).Exec("SELECT pg_advisory_unlock(?)", key).Error
		}()
		ran = true
		return fn(ctx)
	})
	if errors.Is(err, sql.ErrConnDone) {
		return ran, fmt.Errorf("job %s: %w", name, err)
	}
	return ran, err
}
