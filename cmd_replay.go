package main

import "context"

func replayCmd(ctx context.Context, e *env) error { return errNotYet }
