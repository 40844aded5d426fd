package authtest

import "context"

// FuncSource is a scripted key source: each Fetch returns what the function does. It names
// itself "command", as a source command would.
type FuncSource func() (string, error)

func (f FuncSource) Fetch(ctx context.Context) (string, error) { return f() }
func (f FuncSource) Name() string                              { return "command" }
