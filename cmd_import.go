package main

import "context"

func importCmd(ctx context.Context, e *env) error { return errNotYet }
