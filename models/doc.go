// Package models is cxloop's domain and its store: responses, cases and
// their events, follow-ups, the improvement backlog, the digest's
// statistics, the people and conversations the platforms know, and the
// outbox, written in the same transaction as what it announces.
//
// The types and pure rules live in the files named for their concept; the
// decisions over rows (what a case is owed now, who owns a new case, which
// message goes next) in decide.go; every query in a store_*.go file. gorm
// runs it on SQLite and PostgreSQL. Nothing here imports the rest of cxloop.
package models
