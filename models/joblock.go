package models

import (
	"sync"
)

// jobLocks serialises jobs within one SQLite process; PostgreSQL uses
// advisory locks shared by all replicas.
type jobLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (j *jobLocks) get(name string) *sync.Mutex {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.locks == nil {
		j.locks = map[string]*sync.Mutex{}
	}
	if j.locks[name] == nil {
		j.locks[name] = &sync.Mutex{}
	}
	return j.locks[name]
}
