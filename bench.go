package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
)

func bench(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	return errors.New("not yet available")
}
