package l10n

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/cxloop/cxloop/models"
)

// calendar holds a language's month and weekday names and date patterns,
// after CLDR: abbreviated months in the form used inside a date (Polish and
// Russian genitive), full months as they stand alone ("październik 2026"),
// and 24-hour times, the custom in all four.
type calendar struct {
	monthsShort [12]string
	monthsFull  [12]string
	weekdays    [7]string // Sunday first, as time.Weekday
	// date and dateTime are fmt patterns over day, month, year and weekday, day, month, clock.
	date, dateTime, monthYear string
}

var calendars = map[string]calendar{
	models.LangEnglish: {
		monthsShort: [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		monthsFull:  [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		weekdays:    [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
		date:        "%[1]d %[2]s %[3]d", dateTime: "%[1]s %[2]d %[3]s %[4]s", monthYear: "%[1]s %[2]d",
	},
	models.LangEstonian: {
		monthsShort: [12]string{"jaan", "veebr", "märts", "apr", "mai", "juuni", "juuli", "aug", "sept", "okt", "nov", "dets"},
		monthsFull:  [12]string{"jaanuar", "veebruar", "märts", "aprill", "mai", "juuni", "juuli", "august", "september", "oktoober", "november", "detsember"},
		weekdays:    [7]string{"P", "E", "T", "K", "N", "R", "L"},
		date:        "%[1]d. %[2]s %[3]d", dateTime: "%[1]s, %[2]d. %[3]s %[4]s", monthYear: "%[1]s %[2]d",
	},
	models.LangPolish: {
		monthsShort: [12]string{"sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"},
		monthsFull:  [12]string{"styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień", "wrzesień", "październik", "listopad", "grudzień"},
		weekdays:    [7]string{"niedz.", "pon.", "wt.", "śr.", "czw.", "pt.", "sob."},
		date:        "%[1]d %[2]s %[3]d", dateTime: "%[1]s %[2]d %[3]s %[4]s", monthYear: "%[1]s %[2]d",
	},
	models.LangRussian: {
		monthsShort: [12]string{"янв.", "февр.", "мар.", "апр.", "мая", "июн.", "июл.", "авг.", "сент.", "окт.", "нояб.", "дек."},
		monthsFull:  [12]string{"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"},
		weekdays:    [7]string{"вс", "пн", "вт", "ср", "чт", "пт", "сб"},
		date:        "%[1]d %[2]s %[3]d г.", dateTime: "%[1]s, %[2]d %[3]s %[4]s", monthYear: "%[1]s %[2]d г.",
	},
}

func cal(lang string) calendar { return calendars[Lang(lang)] }

// Date is a day as lang writes it: "3 Oct 2026", "3. okt 2026",
// "3 paź 2026", "3 окт. 2026 г.".
func Date(lang string, t time.Time) string {
	c := cal(lang)
	return fmt.Sprintf(c.date, t.Day(), c.monthsShort[t.Month()-1], t.Year())
}

// DateTime is a moment with weekday and 24-hour time, in t's location and
// named by its zone: "Mon 2 Nov 15:04 EET", "E, 2. nov 15:04 EET".
func DateTime(lang string, t time.Time) string {
	c := cal(lang)
	s := fmt.Sprintf(c.dateTime, c.weekdays[t.Weekday()], t.Day(), c.monthsShort[t.Month()-1], t.Format("15:04"))
	return s + " " + t.Format("MST")
}

// MonthYear names a month standing alone: "October 2026", "oktoober 2026",
// "październik 2026", "октябрь 2026 г.".
func MonthYear(lang string, year int, m time.Month) string {
	c := cal(lang)
	return fmt.Sprintf(c.monthYear, c.monthsFull[m-1], year)
}

// MonthShort is a month's abbreviation, for chart axes.
func MonthShort(lang string, m time.Month) string {
	s := cal(lang).monthsShort[m-1]
	if lang == models.LangRussian || lang == models.LangPolish {
		// Inside a date these are genitive; alone on an axis the stem reads right.
		s = strings.TrimSuffix(s, ".")
		if s == "мая" {
			s = "май"
		}
	}
	return s
}

func printer(lang string) *message.Printer {
	return message.NewPrinter(language.Make(Lang(lang)))
}

// Number is an integer with the language's digit grouping: 12,345 in
// English, 12 345 (with a no-break space) in Estonian, Polish and Russian.
func Number(lang string, n int) string { return printer(lang).Sprintf("%d", n) }

// Decimal is x with digits decimals and the language's decimal separator:
// 42.5 in English, 42,5 in Estonian, Polish and Russian.
func Decimal(lang string, x float64, digits int) string {
	return printer(lang).Sprintf("%.*f", digits, x)
}

// Signed is Decimal with a plus sign on positive values: +4.2, −3,1 (the
// minus is the language's own: Estonian writes U+2212).
func Signed(lang string, x float64, digits int) string {
	s := Decimal(lang, x, digits)
	if x > 0 {
		return "+" + s
	}
	return s
}

// Percent is a share (0.425) as a percentage in the language's style, after
// CLDR: "42.5%", "42,5%" in Estonian and Polish, "42,5 %" (a no-break
// space) in Russian.
func Percent(lang string, share float64, digits int) string {
	s := Decimal(lang, share*100, digits)
	if Lang(lang) == models.LangRussian {
		return s + "\u00a0%"
	}
	return s + "%"
}

// Moment is a due time as people read it next to now: the clock alone
// today ("14:00"), weekday and clock within the week ("Wed 10:00", "K 10:00"),
// else day, month and clock ("12 Oct 10:00"). t and now are compared in t's
// location.
func Moment(lang string, t, now time.Time) string {
	c := cal(lang)
	clock := t.Format("15:04")
	n := now.In(t.Location())
	day := func(x time.Time) time.Time { return time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.UTC) }
	days := int(day(t).Sub(day(n)).Hours() / 24)
	switch {
	case !now.IsZero() && days == 0:
		return clock
	case !now.IsZero() && days > 0 && days < 7:
		return c.weekdays[t.Weekday()] + " " + clock
	}
	return fmt.Sprintf("%d %s %s", t.Day(), c.monthsShort[t.Month()-1], clock)
}

// Span is a duration rounded for people: minutes under an hour, hours
// under two days, else days: "40 min", "5 h", "3 days".
func Span(lang string, d time.Duration) string {
	switch {
	case d < time.Hour:
		return N(lang, "cards.span.minutes", max(1, int(d.Round(time.Minute)/time.Minute)))
	case d < 48*time.Hour:
		return N(lang, "cards.span.hours", int(d.Round(time.Hour)/time.Hour))
	}
	return N(lang, "cards.span.days", int(d.Round(24*time.Hour)/(24*time.Hour)))
}
