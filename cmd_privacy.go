package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/models"
)

const (
	eraseUsage  = "usage: cxloop erase --customer ID|EMAIL|PHONE [--dry-run] [--by NAME]"
	exportUsage = "usage: cxloop export --customer ID|EMAIL|PHONE"
	auditUsage  = "usage: cxloop audit [--case N] [--since YYYY-MM-DD] [--format csv|json]"
)

// privacyFlags parses a privacy command's flags; it answers usage errors.
func privacyFlags(e *env, name, usage string, define func(fs *flag.FlagSet)) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	define(fs)
	pos, err := e.parse(fs, e.args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError(usage)
	}
	return nil
}

// eraseCmd removes a customer's personal data (GDPR Art. 17).
func eraseCmd(ctx context.Context, e *env) error {
	var customer, by string
	var dry bool
	err := privacyFlags(e, "erase", eraseUsage, func(fs *flag.FlagSet) {
		fs.StringVar(&customer, "customer", "", "the customer's id, email or phone number")
		fs.BoolVar(&dry, "dry-run", false, "show what would be erased; change nothing")
		fs.StringVar(&by, "by", "", "who erases, for the audit (default: the system user)")
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(customer) == "" {
		return usageError(eraseUsage)
	}
	if by == "" {
		by = "cli:" + e.getenv("USER")
	}
	cfg, store, err := open(ctx, e.getenv, e.log)
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := store.EraseCustomer(ctx, cfg.Policy(), time.Now(), by, customer, dry)
	if err != nil {
		return err
	}
	if rep.Responses == 0 {
		fmt.Fprintf(e.stdout, "no stored data matches customer %s; nothing to erase\n", customer)
		return nil
	}
	verb := "erased"
	if dry {
		verb = "would erase"
	}
	fmt.Fprintf(e.stdout, "%s customer %s: %s, %s, %s, %s, %s\n", verb, customer,
		plural(rep.Responses, "response", "responses"), plural(rep.Cases, "case", "cases"), plural(rep.Events, "case event", "case events"),
		plural(rep.Messages, "outbox message", "outbox messages"), plural(rep.DeadLetters, "dead letter", "dead letters"))
	if len(rep.CaseIDs) > 0 {
		ids := make([]string, len(rep.CaseIDs))
		for i, id := range rep.CaseIDs {
			ids[i] = "#" + strconv.FormatInt(id, 10)
		}
		fmt.Fprintf(e.stdout, "cases %s: their cards are refreshed without the customer's data\n", strings.Join(ids, ", "))
	}
	for _, m := range rep.DigestMonths {
		fmt.Fprintf(e.stdout, "the stored digest of %s quoted the customer and was dropped; cxloop digest --month %s renders it again\n", m, m)
	}
	if dry {
		fmt.Fprintln(e.stdout, "dry run: nothing changed")
	}
	return nil
}

// exportCmd prints everything stored about a customer (GDPR Art. 15).
func exportCmd(ctx context.Context, e *env) error {
	var customer string
	err := privacyFlags(e, "export", exportUsage, func(fs *flag.FlagSet) {
		fs.StringVar(&customer, "customer", "", "the customer's id, email or phone number")
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(customer) == "" {
		return usageError(exportUsage)
	}
	_, store, err := open(ctx, e.getenv, e.log)
	if err != nil {
		return err
	}
	defer store.Close()
	exp, err := store.ExportCustomer(ctx, customer)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(exp)
}

// auditCmd lists case events, contact views and erasures for the DPO.
func auditCmd(ctx context.Context, e *env) error {
	var caseID int64
	var since, format string
	err := privacyFlags(e, "audit", auditUsage, func(fs *flag.FlagSet) {
		fs.Int64Var(&caseID, "case", 0, "only this case")
		fs.StringVar(&since, "since", "", "only from this date (YYYY-MM-DD or RFC 3339) on")
		fs.StringVar(&format, "format", "csv", "csv or json")
	})
	if err != nil {
		return err
	}
	if format != "csv" && format != "json" {
		return usageError(fmt.Sprintf("--format must be csv or json, not %q", format))
	}
	cfg, store, err := open(ctx, e.getenv, e.log)
	if err != nil {
		return err
	}
	defer store.Close()
	q := models.AuditQuery{CaseID: caseID}
	if since != "" {
		if q.Since, err = parseSince(since, cfg.Policy().Location); err != nil {
			return usageError(err.Error())
		}
	}
	entries, err := store.Audit(ctx, q)
	if err != nil {
		return err
	}
	// Notes may quote customers: the audit shows who did what, masked.
	for i := range entries {
		entries[i].Detail = models.MaskPersonalData(entries[i].Detail)
	}
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if entries == nil {
			entries = []models.AuditEntry{}
		}
		return enc.Encode(entries)
	}
	w := csv.NewWriter(e.stdout)
	_ = w.Write([]string{"at", "case", "actor", "kind", "from_state", "to_state", "detail"})
	for _, a := range entries {
		c := ""
		if a.CaseID != 0 {
			c = strconv.FormatInt(a.CaseID, 10)
		}
		rec := []string{a.At.Format(time.RFC3339), c, a.Actor, a.Kind, a.FromState, a.ToState, a.Detail}
		for i := range rec {
			rec[i] = inertCell(rec[i])
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return w.Error()
}

// inertCell keeps a spreadsheet from reading a cell as a formula.
func inertCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func parseSince(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: write YYYY-MM-DD or RFC 3339", s)
}
