package models

import "gorm.io/gorm"

// ReaderOf exposes the store's read pool, so tests can count its statements.
func ReaderOf(s *Store) *gorm.DB { return s.rdb }
