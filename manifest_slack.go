package main

import "context"

func manifestSlack(ctx context.Context, e *env) error { return errNotYet }
