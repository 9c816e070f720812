package models

import (
	"fmt"
	"strings"
	"unicode"
)

// Metric is the survey question type.
type Metric string

const (
	MetricNPS  Metric = "nps"
	MetricCSAT Metric = "csat"
	MetricCES  Metric = "ces"
)

// Segment is where a score falls.
type Segment string

const (
	SegmentDetractor Segment = "detractor"
	SegmentPassive   Segment = "passive"
	SegmentPromoter  Segment = "promoter"
)

// Thresholds split a metric's scale into segments: scores up to DetractorMax
// are detractors, from PromoterMin promoters, the rest passives.
type Thresholds struct {
	DetractorMax int
	PromoterMin  int
}

// ScoreRange is the valid inclusive range of a metric's scores.
func (m Metric) ScoreRange() (lo, hi int, ok bool) {
	switch m {
	case MetricNPS:
		return 0, 10, true
	case MetricCSAT:
		return 1, 5, true
	case MetricCES:
		return 1, 7, true
	}
	return 0, 0, false
}

// DefaultThresholds are the usual industry cut-offs.
func DefaultThresholds() map[Metric]Thresholds {
	return map[Metric]Thresholds{
		MetricNPS:  {DetractorMax: 6, PromoterMin: 9},
		MetricCSAT: {DetractorMax: 2, PromoterMin: 5},
		MetricCES:  {DetractorMax: 3, PromoterMin: 6},
	}
}

// Classify returns the segment of a score under the policy's thresholds.
func (p *Policy) Classify(m Metric, score int) (Segment, error) {
	th, ok := p.Segments[m]
	if !ok {
		th, ok = DefaultThresholds()[m]
	}
	if !ok {
		return "", fmt.Errorf("unknown metric %q", m)
	}
	switch {
	case score <= th.DetractorMax:
		return SegmentDetractor, nil
	case score >= th.PromoterMin:
		return SegmentPromoter, nil
	default:
		return SegmentPassive, nil
	}
}

// MatchThemes returns the names of the themes whose keywords occur in text,
// in policy order. Matching is case-insensitive on word prefixes of Unicode
// text: a keyword matches words that begin with it; a keyword of five or more
// letters also matches when only its last letter differs, which catches
// inflected stems ("järjekord" in "järjekorras", "очередь" in "очереди").
func (p *Policy) MatchThemes(text string) []string {
	if text == "" || len(p.Themes) == 0 {
		return nil
	}
	words := Words(text)
	var out []string
	for _, th := range p.Themes {
		if themeMatches(words, th.Keywords) {
			out = append(out, th.Name)
		}
	}
	return out
}

func themeMatches(words []string, keywords []string) bool {
	for _, kw := range keywords {
		kwWords := Words(kw)
		if len(kwWords) == 0 {
			continue
		}
		for i := 0; i+len(kwWords) <= len(words); i++ {
			if phraseAt(words[i:], kwWords) {
				return true
			}
		}
	}
	return false
}

// phraseAt matches a keyword of one or more words at the start of words: all
// words but the last exactly, the last as a prefix.
func phraseAt(words, kw []string) bool {
	last := len(kw) - 1
	for j := 0; j < last; j++ {
		if words[j] != kw[j] {
			return false
		}
	}
	return prefixMatch(words[last], kw[last])
}

func prefixMatch(word, kw string) bool {
	if strings.HasPrefix(word, kw) {
		return true
	}
	r := []rune(kw)
	if len(r) >= 5 {
		return strings.HasPrefix(word, string(r[:len(r)-1]))
	}
	return false
}

// Words splits text into lower-case words of letters and digits.
func Words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r)
	})
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
