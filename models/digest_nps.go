package models

import (
	"fmt"
	"math"
	"time"
)

// MinResponses is the smallest group whose percentages the digest shows;
// below it the digest says "too few responses".
const MinResponses = 30

// z95 is the two-sided 95% quantile of the standard normal distribution.
const z95 = 1.96

// NPS is a net promoter score with the sample it comes from.
type NPS struct {
	Promoters, Passives, Detractors int64
}

// N is the number of responses.
func (n NPS) N() int64 { return n.Promoters + n.Passives + n.Detractors }

// TooFew reports whether the sample is too small to show as a percentage.
func (n NPS) TooFew() bool { return n.N() < MinResponses }

// shares returns the promoter and detractor shares (0..1).
func (n NPS) shares() (p, d float64) {
	total := float64(n.N())
	if total == 0 {
		return 0, 0
	}
	return float64(n.Promoters) / total, float64(n.Detractors) / total
}

// Score is the NPS in points, −100..100; 0 for an empty sample.
func (n NPS) Score() float64 {
	p, d := n.shares()
	return (p - d) * 100
}

// Variance is the variance of one response's score (+1, 0, −1) as a share:
// p + d − (p − d)².
func (n NPS) Variance() float64 {
	p, d := n.shares()
	return p + d - (p-d)*(p-d)
}

// Margin is the 95% margin of error in points: 1.96·sqrt(var/n)·100; 0 for
// an empty sample.
func (n NPS) Margin() float64 {
	p, d := n.shares()
	return NPSMargin(p, d, n.N())
}

// NPSMargin is the 95% margin of error in points of an NPS with promoter
// share p and detractor share d (0..1) over n responses.
func NPSMargin(p, d float64, n int64) float64 {
	if n <= 0 {
		return 0
	}
	return z95 * math.Sqrt((p+d-(p-d)*(p-d))/float64(n)) * 100
}

// NPSThreshold is the smallest difference in points between two NPS
// samples that is significant at 95%.
func NPSThreshold(p1, d1 float64, n1 int64, p2, d2 float64, n2 int64) float64 {
	if n1 <= 0 || n2 <= 0 {
		return 0
	}
	v1, v2 := p1+d1-(p1-d1)*(p1-d1), p2+d2-(p2-d2)*(p2-d2)
	return z95 * math.Sqrt(v1/float64(n1)+v2/float64(n2)) * 100
}

// add accumulates a segment count.
func (n *NPS) add(seg Segment, k int64) {
	switch seg {
	case SegmentPromoter:
		n.Promoters += k
	case SegmentPassive:
		n.Passives += k
	case SegmentDetractor:
		n.Detractors += k
	}
}

// NPSChange compares a month's NPS with the month before.
type NPSChange struct {
	// Delta is current minus previous, in points.
	Delta float64
	// Threshold is the smallest |Delta| significant at 95%:
	// 1.96·sqrt(var₁/n₁ + var₂/n₂)·100.
	Threshold float64
	// Significant reports |Delta| > Threshold.
	Significant bool
	// Comparable is false when either month has no responses.
	Comparable bool
}

// CompareNPS tests whether two months differ significantly (DESIGN.md).
func CompareNPS(cur, prev NPS) NPSChange {
	if cur.N() == 0 || prev.N() == 0 {
		return NPSChange{}
	}
	p1, d1 := cur.shares()
	p2, d2 := prev.shares()
	th := NPSThreshold(p1, d1, cur.N(), p2, d2, prev.N())
	delta := cur.Score() - prev.Score()
	return NPSChange{Delta: delta, Threshold: th, Significant: math.Abs(delta) > th, Comparable: true}
}

// ParseMonth checks a "YYYY-MM" month.
func ParseMonth(month string) (year int, m time.Month, err error) {
	t, err := time.Parse("2006-01", month)
	if err != nil || t.Format("2006-01") != month {
		return 0, 0, &FieldError{Field: "month", Msg: fmt.Sprintf("%q is not a month: want YYYY-MM", month)}
	}
	return t.Year(), t.Month(), nil
}

// MonthBounds returns the first instant of the month in loc and the first
// instant of the next (exclusive), both in UTC.
func MonthBounds(month string, loc *time.Location) (start, end time.Time, err error) {
	y, m, err := ParseMonth(month)
	if err != nil {
		return start, end, err
	}
	if loc == nil {
		loc = time.UTC
	}
	start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
	return start.UTC(), start.AddDate(0, 1, 0).UTC(), nil
}

// MonthOf names the calendar month of t in loc, "YYYY-MM".
func MonthOf(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01")
}

// AddMonths shifts a "YYYY-MM" month by k months.
func AddMonths(month string, k int) string {
	y, m, err := ParseMonth(month)
	if err != nil {
		return month
	}
	return time.Date(y, m+time.Month(k), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
}
