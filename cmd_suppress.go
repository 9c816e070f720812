package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/cxloop/cxloop/models"
)

const suppressUsage = "usage: cxloop suppress EMAIL"

// suppressCmd stops all email to an address, as its unsubscribe link does.
func suppressCmd(ctx context.Context, e *env) error {
	fs := flag.NewFlagSet("suppress", flag.ContinueOnError)
	pos, err := e.parse(fs, e.args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(suppressUsage)
	}
	_, store, err := open(ctx, e.getenv, e.log)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Suppress(ctx, pos[0], "cli", models.SystemClock{}.Now()); err != nil {
		if fe, ok := err.(*models.FieldError); ok {
			return usageError(fe.Msg)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "%s will get no more email from cxloop\n", pos[0])
	return nil
}
