package models

import "time"

// Message is a sentence for a person, kept as a catalog id and its
// parameters rather than as text, so that it is written in the reader's
// language when it is delivered: a reminder reads Polish to a Polish
// owner in an Estonian team. Times are shown in Zone, the team's.
type Message struct {
	ID    string               `json:"id"`
	Args  map[string]string    `json:"args,omitempty"`
	Count *int                 `json:"count,omitempty"`
	Times map[string]time.Time `json:"times,omitempty"`
	Zone  string               `json:"zone,omitempty"`
}
