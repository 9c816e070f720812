package models

import (
	"container/heap"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// StopWords are the short function words left out of the distinctive terms,
// per language (en, et, pl, ru). Comments may be in any of them, so all
// lists apply at once.
var StopWords = map[string][]string{
	"en": strings.Fields(`a about after all also am an and any are as at be been but by can could did do does
		for from had has have he her him his how i if in into is it its just me more my no not now of on
		one only or our out so some than that the their them then there they this to too up us very was we
		were what when which who will with would you your ve ll re don didn doesn isn wasn`),
	"et": strings.Fields(`aga ei ega ja jah ka kas kes kui kuid kõik ma mida mille mind minu mis mu mul mulle
		nad need nii nüüd oli olid olla on oma pole sa see seda selle siin siis ta te teie tema ning ole olen
		oleks väga veel või üks juba kõike`),
	"pl": strings.Fields(`a ale bo by był była było być co czy dla do i ich im jak jest jestem już ja jej
		jego ku mi mnie na nie nic o od po pod przez są się ta tak tam te to tu tylko w we z za że żeby oraz
		bardzo może mam mój moja`),
	"ru": strings.Fields(`а без бы был была было быть в вам вас во вот все всё вы где да для до его ее её
		если есть ещё же за и из или им их к как ко когда кто ли мне мы на не нет ни но ну о об от по при
		с со так там те то тоже только ты у уже что это я очень мой моя`),
}

var stopSet = func() map[string]bool {
	m := map[string]bool{}
	for _, ws := range StopWords {
		for _, w := range ws {
			m[w] = true
		}
	}
	return m
}()

// Tokens are the words of a comment that count as terms: Unicode words of
// two or more letters, not stop words, not numbers.
func Tokens(text string) []string {
	words := Words(text)
	out := words[:0]
	for _, w := range words {
		if utf8.RuneCountInString(w) < 2 || stopSet[w] || isNumber(w) {
			continue
		}
		out = append(out, w)
	}
	return out
}

func isNumber(w string) bool {
	for _, r := range w {
		if !unicode.IsNumber(r) {
			return false
		}
	}
	return true
}

// TermCounts are word counts per segment, the input of DistinctiveTerms.
type TermCounts struct {
	Detractor, Promoter, All map[string]int64
}

// NewTermCounts returns empty counts.
func NewTermCounts() *TermCounts {
	return &TermCounts{Detractor: map[string]int64{}, Promoter: map[string]int64{}, All: map[string]int64{}}
}

// Add counts a comment's tokens under its segment (every segment feeds the prior).
func (c *TermCounts) Add(seg Segment, tokens []string) {
	for _, w := range tokens {
		c.All[w]++
		switch seg {
		case SegmentDetractor:
			c.Detractor[w]++
		case SegmentPromoter:
			c.Promoter[w]++
		}
	}
}

// Scores returns every word's z-score of the weighted log-odds ratio,
// detractors against promoters, with an informative Dirichlet prior
// (Monroe, Colaresi & Quinn 2008, "Fightin' Words", eq. 16–22). The prior of
// a word is its count in all the month's comments (passives included), so a
// word seen a few times pulls little weight however lopsided its use:
//
//	δ_w = log((y_w^D + α_w)/(n^D + α_0 − y_w^D − α_w)) − log((y_w^P + α_w)/(n^P + α_0 − y_w^P − α_w))
//	σ²(δ_w) ≈ 1/(y_w^D + α_w) + 1/(y_w^P + α_w);  z_w = δ_w / σ(δ_w)
func (c *TermCounts) Scores() map[string]float64 {
	var nd, np, a0 float64
	for _, v := range c.Detractor {
		nd += float64(v)
	}
	for _, v := range c.Promoter {
		np += float64(v)
	}
	for _, v := range c.All {
		a0 += float64(v)
	}
	out := make(map[string]float64, len(c.All))
	if nd == 0 || np == 0 {
		return out
	}
	for w, all := range c.All {
		yd, yp := float64(c.Detractor[w]), float64(c.Promoter[w])
		if yd == 0 && yp == 0 {
			continue
		}
		a := float64(all)
		delta := math.Log((yd+a)/(nd+a0-yd-a)) - math.Log((yp+a)/(np+a0-yp-a))
		out[w] = delta / math.Sqrt(1/(yd+a)+1/(yp+a))
	}
	return out
}

// DistinctiveTerms returns up to k words significant at 95% (|z| > 1.96) for
// detractors (z > 0, largest first) and for promoters (z < 0, smallest first).
func (c *TermCounts) DistinctiveTerms(scores map[string]float64, k int) (det, pro []Term) {
	for w, z := range scores {
		t := Term{Word: w, Detractors: c.Detractor[w], Promoters: c.Promoter[w], Z: z}
		switch {
		case z > z95 && t.Detractors >= 2:
			det = append(det, t)
		case z < -z95 && t.Promoters >= 2:
			pro = append(pro, t)
		}
	}
	sort.Slice(det, func(i, j int) bool { return det[i].Z > det[j].Z || det[i].Z == det[j].Z && det[i].Word < det[j].Word })
	sort.Slice(pro, func(i, j int) bool { return pro[i].Z < pro[j].Z || pro[i].Z == pro[j].Z && pro[i].Word < pro[j].Word })
	if len(det) > k {
		det = det[:k]
	}
	if len(pro) > k {
		pro = pro[:k]
	}
	return det, pro
}

// quoteSample is how many comments per segment are kept as quote candidates:
// a deterministic pseudo-random sample (smallest hashes of the response id).
const quoteSample = 400

type quoteCandidate struct {
	hash   uint64
	q      Quote
	tokens []string // distinct
}

type candHeap []quoteCandidate // max-heap on hash

func (h candHeap) Len() int           { return len(h) }
func (h candHeap) Less(i, j int) bool { return h[i].hash > h[j].hash }
func (h candHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(x any)        { *h = append(*h, x.(quoteCandidate)) }

func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *candHeap) offer(c quoteCandidate) {
	if h.Len() < quoteSample {
		heap.Push(h, c)
		return
	}
	if c.hash < (*h)[0].hash {
		(*h)[0] = c
		heap.Fix(h, 0)
	}
}

func idHash(id int64) uint64 {
	f := fnv.New64a()
	_, _ = f.Write([]byte(strconv.FormatInt(id, 10)))
	return f.Sum64()
}

func distinct(ws []string) []string {
	seen := make(map[string]bool, len(ws))
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// pickQuotes chooses the k candidates that carry the segment's distinctive
// words best (sum of the positive z of their words, scaled by length), each
// led by a different word so the quotes do not repeat one complaint.
func pickQuotes(cands candHeap, scores map[string]float64, sign float64, k int) []quoteCandidate {
	type scored struct {
		c     quoteCandidate
		score float64
		lead  string
	}
	list := make([]scored, 0, len(cands))
	for _, c := range cands {
		s := scored{c: c}
		best := 0.0
		for _, w := range c.tokens {
			if z := sign * scores[w]; z > 0 {
				s.score += z
				if z > best {
					best, s.lead = z, w
				}
			}
		}
		s.score /= math.Sqrt(float64(len(c.tokens)))
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].score != list[j].score {
			return list[i].score > list[j].score
		}
		return list[i].c.hash < list[j].c.hash
	})
	var out []quoteCandidate
	leads := map[string]bool{}
	for _, s := range list {
		if len(out) == k {
			break
		}
		if s.lead != "" && leads[s.lead] {
			continue
		}
		leads[s.lead] = true
		out = append(out, s.c)
	}
	return out
}

// clipWords shortens s to at most n runes at a word boundary, with "…".
func clipWords(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := strings.LastIndexFunc(string(r), unicode.IsSpace)
	out := string(r)
	if cut > n/2 {
		out = out[:cut]
	}
	return strings.TrimRightFunc(out, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
}
