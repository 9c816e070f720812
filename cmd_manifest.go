package main

import "context"

func manifestCmd(ctx context.Context, e *env) error { return errNotYet }
