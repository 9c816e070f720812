package models

// FormMapping says how one Typeform form or Formbricks survey becomes a
// response. Score and Comment name questions (Typeform field ref or id,
// Formbricks question id); Metric ("nps", "csat", "ces") and Touchpoint are
// literal values copied into every response of that form, as the
// `sources` section of the YAML configuration writes them.
type FormMapping struct {
	Metric     string `yaml:"metric" json:"metric"`
	Score      string `yaml:"score" json:"score"`
	Comment    string `yaml:"comment" json:"comment"`
	Touchpoint string `yaml:"touchpoint" json:"touchpoint"`
	// Language names the Typeform hidden field holding the customer's
	// language ("et", "pl-PL"); Formbricks sends the language itself.
	Language string `yaml:"language" json:"language"`
}
