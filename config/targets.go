package config

import (
	"strconv"
	"strings"

	"github.com/cxloop/cxloop/models"
)

// Targets are the goals as written in the YAML: nps in points (e.g. 30),
// thanked_in_sla and resolved_in_sla as percentages (e.g. "90%").
type Targets struct {
	NPS           *float64 `yaml:"nps"`
	ThankedInSLA  string   `yaml:"thanked_in_sla"`
	ResolvedInSLA string   `yaml:"resolved_in_sla"`
}

func parseTargets(t Targets, at string, add func(string, ...any)) models.Targets {
	var out models.Targets
	if t.NPS != nil {
		if *t.NPS < -100 || *t.NPS > 100 {
			add("%s.nps: %v is not an NPS (−100 to 100)", at, *t.NPS)
		} else {
			v := *t.NPS
			out.NPS = &v
		}
	}
	out.ThankedInSLA = parsePercent(t.ThankedInSLA, at+".thanked_in_sla", add)
	out.ResolvedInSLA = parsePercent(t.ResolvedInSLA, at+".resolved_in_sla", add)
	return out
}

// parsePercent reads "90%" (or a bare 90) as the share 0.9.
func parsePercent(s, at string, add func(string, ...any)) *float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
	if err != nil || v < 0 || v > 100 {
		add("%s: %q is not a percentage (write e.g. \"90%%\")", at, s)
		return nil
	}
	v /= 100
	return &v
}
