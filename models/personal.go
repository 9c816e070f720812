package models

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// PersonalKind is a kind of personal data found in what customers type.
type PersonalKind string

const (
	PersonalEmail      PersonalKind = "email"
	PersonalIBAN       PersonalKind = "iban"
	PersonalCard       PersonalKind = "card"        // a payment card number (PAN)
	PersonalNationalID PersonalKind = "national_id" // Estonian isikukood, Polish PESEL
	PersonalPhone      PersonalKind = "phone"
)

// PersonalData is one piece of personal data inside a text: s[Start:End].
type PersonalData struct {
	Kind       PersonalKind
	Text       string
	Start, End int
}

// A finder returns the spans of one kind within a text.
type finder struct {
	kind PersonalKind
	find func(s string) [][2]int
}

// finders run in this order, each on what the earlier ones left: an email
// may hold digits, an IBAN holds digit runs that can pass Luhn, and card
// numbers and ID codes look like phone numbers.
var finders = []finder{
	{PersonalEmail, func(s string) [][2]int { return spans(emailRE.FindAllStringIndex(s, -1)) }},
	{PersonalIBAN, findIBANs},
	{PersonalCard, findCards},
	{PersonalNationalID, findNationalIDs},
	{PersonalPhone, findPhones},
}

// FindPersonalData lists the personal data in s, in order of position.
func FindPersonalData(s string) []PersonalData {
	var found []PersonalData
	for _, f := range finders {
		found = append(found, findInGaps(s, found, f)...)
	}
	// Insertion sort: the list is short.
	for i := 1; i < len(found); i++ {
		for j := i; j > 0 && found[j].Start < found[j-1].Start; j-- {
			found[j], found[j-1] = found[j-1], found[j]
		}
	}
	return found
}

// findInGaps runs f on the parts of s that no earlier finding covers.
func findInGaps(s string, taken []PersonalData, f finder) []PersonalData {
	var out []PersonalData
	pos := 0
	gaps := func(start, end int) {
		for _, sp := range f.find(s[start:end]) {
			a, b := start+sp[0], start+sp[1]
			out = append(out, PersonalData{Kind: f.kind, Text: s[a:b], Start: a, End: b})
		}
	}
	sorted := append([]PersonalData(nil), taken...)
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j].Start < sorted[j-1].Start; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	for _, t := range sorted {
		if t.Start > pos {
			gaps(pos, t.Start)
		}
		pos = t.End
	}
	if pos < len(s) {
		gaps(pos, len(s))
	}
	return out
}

func spans(ix [][]int) [][2]int {
	out := make([][2]int, len(ix))
	for i, m := range ix {
		out[i] = [2]int{m[0], m[1]}
	}
	return out
}

// MaskCardNumbers replaces every payment card number in s by its last four
// digits (`•••• 1111`): what ingestion stores, since a full card number is
// never kept (PCI DSS).
func MaskCardNumbers(s string) string {
	// Most texts hold too few digits for a card number: skip the finders,
	// which every imported row and every request pays for otherwise.
	if asciiDigits(s) < minCardDigits {
		return s
	}
	return mask(s, PersonalCard)
}

// minCardDigits is the shortest card number findCards accepts.
const minCardDigits = 13

func asciiDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// MaskPersonalData replaces every piece of personal data in s by its masked
// form, for text shown in channels, reports, exports and logs.
func MaskPersonalData(s string) string { return mask(s, "") }

// RedactPersonalData replaces every piece of personal data in s by its
// kind alone ([email], [phone], [card], [iban], [national_id]): for quotes
// read far from the case, such as the digest, where not even the last
// digits belong.
func RedactPersonalData(s string) string {
	return replaceFound(s, "", func(p PersonalData) string { return "[" + string(p.Kind) + "]" })
}

// mask replaces the findings of kind (every kind when empty).
func mask(s string, only PersonalKind) string {
	return replaceFound(s, only, PersonalData.Masked)
}

func replaceFound(s string, only PersonalKind, with func(PersonalData) string) string {
	found := FindPersonalData(s)
	if len(found) == 0 {
		return s
	}
	var b strings.Builder
	pos := 0
	for _, f := range found {
		if only != "" && f.Kind != only {
			continue
		}
		b.WriteString(s[pos:f.Start])
		b.WriteString(with(f))
		pos = f.End
	}
	b.WriteString(s[pos:])
	return b.String()
}

// Masked is the form shown in place of the data.
func (p PersonalData) Masked() string {
	switch p.Kind {
	case PersonalEmail:
		return MaskEmail(p.Text)
	case PersonalPhone:
		return MaskPhone(p.Text)
	case PersonalCard:
		return "•••• " + lastDigits(p.Text, 4)
	case PersonalIBAN:
		compact := strings.ToUpper(strings.Join(strings.Fields(p.Text), ""))
		return compact[:2] + "•• •••• " + compact[len(compact)-4:]
	default:
		return "•••••••••••"
	}
}

func lastDigits(s string, n int) string {
	d := onlyDigits(s)
	if len(d) > n {
		d = d[len(d)-n:]
	}
	return d
}

func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// MaskEmail keeps the first letter and the domain: k***@example.org.
func MaskEmail(email string) string {
	email = strings.TrimSpace(email)
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		if email == "" {
			return ""
		}
		return "***"
	}
	first, _ := utf8.DecodeRuneInString(email)
	return string(first) + "***" + email[at:]
}

// MaskPhone keeps the country prefix and the last four digits: +372 ***0101.
func MaskPhone(phone string) string {
	phone = strings.TrimSpace(phone)
	digits := onlyDigits(phone)
	if digits == "" {
		return ""
	}
	prefix := ""
	if strings.HasPrefix(phone, "+") {
		if sp := strings.IndexAny(phone, " -("); sp > 1 && sp <= 5 {
			prefix = phone[:sp] + " "
		}
	}
	return prefix + "***" + lastDigits(digits, 4)
}

// MaskCardNumbersJSON masks card numbers inside the string values of a JSON
// document, leaving its shape alone (a dead letter must still replay); a
// body that is not JSON is masked as text.
func MaskCardNumbersJSON(body []byte) []byte {
	if !json.Valid(body) {
		if !utf8.Valid(body) {
			return body
		}
		return []byte(MaskCardNumbers(string(body)))
	}
	var out []byte
	pos := 0
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		j := i + 1
		for j < len(body) && body[j] != '"' {
			if body[j] == '\\' {
				j++
			}
			j++
		}
		if j > len(body) {
			break
		}
		if m := MaskCardNumbers(string(body[i+1 : j])); m != string(body[i+1:j]) {
			out = append(append(append(out, body[pos:i+1]...), m...), '"')
			pos = j + 1
		}
		i = j
	}
	if pos == 0 {
		return body
	}
	return append(out, body[pos:]...)
}

var (
	emailRE = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(\.[\p{L}\p{N}\-]+)+`)
	phoneRE = regexp.MustCompile(`\+?\(?\d[\d ()./\-]{5,}\d`)
	dateRE  = regexp.MustCompile(`^\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}$|^\d{4} ?[-/] ?\d{4}$`)
	// A date (with or without a time after it) or an amount of money reads
	// like a phone number by its digits alone; these tell them apart.
	dateStartRE   = regexp.MustCompile(`^\d{4}[-./]\d{1,2}[-./]\d{1,2}|^\d{1,2}[./]\d{1,2}[./]\d{2,4}`)
	amountAfterRE = regexp.MustCompile(`(?i)^(?:,\d|\.\d{2}(?:\D|$)|\s?(?:€|\$|£|₽|eur|euro|zł|zl|pln|usd|gbp|sek|rub|руб))`)
	amountBefRE   = regexp.MustCompile(`(?:€|\$|£|₽)\s?$`)
	digitRun      = regexp.MustCompile(`\d+`)
	cardRun       = regexp.MustCompile(`\d+(?:(?:[ \x{00A0}]?-[ \x{00A0}]?|[ \x{00A0}])\d+)*`)
	ibanStart     = regexp.MustCompile(`(?i)\b[a-z]{2}\d{2}`)
)

// findPhones: 7 to 15 digits (E.164 allows 15), not a date or a year range.
func findPhones(s string) [][2]int {
	var out [][2]int
	for _, m := range phoneRE.FindAllStringIndex(s, -1) {
		t := s[m[0]:m[1]]
		n := len(onlyDigits(t))
		if n < 7 || n > 15 || dateRE.MatchString(t) || dateStartRE.MatchString(strings.TrimLeft(t, "(")) || compactDate(t) ||
			amountAfterRE.MatchString(s[m[1]:]) || amountBefRE.MatchString(s[:m[0]]) {
			continue
		}
		out = append(out, [2]int{m[0], m[1]})
	}
	return out
}

// compactDate is a YYYYMMDD date such as 20261115.
func compactDate(t string) bool {
	if len(t) != 8 || onlyDigits(t) != t || (t[:2] != "19" && t[:2] != "20") {
		return false
	}
	month, day := (t[4]-'0')*10+t[5]-'0', (t[6]-'0')*10+t[7]-'0'
	return month >= 1 && month <= 12 && day >= 1 && day <= 31
}

// findCards finds runs of 13–19 digits, whole groups separated by single
// spaces or dashes, that pass the Luhn check. Within a longer run of groups
// the longest valid window from the left wins.
func findCards(s string) [][2]int {
	var out [][2]int
	for _, m := range cardRun.FindAllStringIndex(s, -1) {
		groups := digitRun.FindAllStringIndex(s[m[0]:m[1]], -1)
		for i := 0; i < len(groups); {
			best := -1
			n := 0
			for j := i; j < len(groups); j++ {
				n += groups[j][1] - groups[j][0]
				if n > 19 {
					break
				}
				if n >= minCardDigits && luhn(onlyDigits(s[m[0]+groups[i][0]:m[0]+groups[j][1]])) {
					best = j
				}
			}
			if best < 0 {
				i++
				continue
			}
			out = append(out, [2]int{m[0] + groups[i][0], m[0] + groups[best][1]})
			i = best + 1
		}
	}
	return out
}

func luhn(d string) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// ibanLengths is the length of the IBAN of each country that has one
// (SWIFT IBAN registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "BY": 28,
	"CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
	"FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
	"IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
	"LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
	"PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19,
	"SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

// findIBANs finds IBANs of a known country, compact or in groups separated
// by single spaces, with the country's length and a valid mod-97 check.
func findIBANs(s string) [][2]int {
	var out [][2]int
	next := 0
	for _, m := range ibanStart.FindAllStringIndex(s, -1) {
		if m[0] < next {
			continue
		}
		want, ok := ibanLengths[strings.ToUpper(s[m[0]:m[0]+2])]
		if !ok {
			continue
		}
		compact := []byte(strings.ToUpper(s[m[0]:m[1]]))
		end := m[1]
		for i := m[1]; len(compact) < want && i < len(s); {
			if s[i] == ' ' && i+1 < len(s) && isAlnum(s[i+1]) {
				i++
				continue
			}
			if !isAlnum(s[i]) {
				break
			}
			compact = append(compact, upper(s[i]))
			i++
			end = i
		}
		if len(compact) != want || (end < len(s) && isAlnum(s[end])) || !ibanValid(compact) {
			continue
		}
		out = append(out, [2]int{m[0], end})
		next = end
	}
	return out
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// ibanValid is the ISO 13616 check: the country and check digits moved to
// the end, letters as 10–35, the number mod 97 is 1.
func ibanValid(iban []byte) bool {
	r := 0
	for _, c := range append(append([]byte(nil), iban[4:]...), iban[:4]...) {
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			r = (r*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return r == 1
}

// findNationalIDs finds 11-digit runs that are a valid Estonian isikukood
// or Polish PESEL.
func findNationalIDs(s string) [][2]int {
	var out [][2]int
	for _, m := range digitRun.FindAllStringIndex(s, -1) {
		if d := s[m[0]:m[1]]; len(d) == 11 && (isikukoodValid(d) || peselValid(d)) {
			out = append(out, [2]int{m[0], m[1]})
		}
	}
	return out
}

// isikukoodValid: GYYMMDDSSSC, G 1–6 giving the century, a real birth date,
// and the two-stage mod-11 check digit.
func isikukoodValid(d string) bool {
	g := int(d[0] - '0')
	if g < 1 || g > 6 {
		return false
	}
	century := 1800 + 100*((g-1)/2)
	if !realDate(century+num(d[1:3]), num(d[3:5]), num(d[5:7])) {
		return false
	}
	check := func(w []int) int {
		sum := 0
		for i, wi := range w {
			sum += int(d[i]-'0') * wi
		}
		return sum % 11
	}
	c := check([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 1})
	if c == 10 {
		if c = check([]int{3, 4, 5, 6, 7, 8, 9, 1, 2, 3}); c == 10 {
			c = 0
		}
	}
	return c == int(d[10]-'0')
}

// peselValid: YYMMDDZZZXQ, the month carrying the century (+80 1800s, +0
// 1900s, +20 2000s, +40 2100s, +60 2200s), a real date, and the weighted
// check digit.
func peselValid(d string) bool {
	mm := num(d[2:4])
	century := map[int]int{0: 1900, 1: 2000, 2: 2100, 3: 2200, 4: 1800}[mm/20]
	if !realDate(century+num(d[0:2]), mm%20, num(d[4:6])) {
		return false
	}
	w := []int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3}
	sum := 0
	for i, wi := range w {
		sum += int(d[i]-'0') * wi
	}
	return (10-sum%10)%10 == int(d[10]-'0')
}

func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func realDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t.Day() == d && int(t.Month()) == m
}
