package main

import "context"

func digestCmd(ctx context.Context, e *env) error { return errNotYet }
