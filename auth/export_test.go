package auth

import (
	"context"
	"time"
)

// What the external tests (package auth_test) reach inside the engine. They live outside
// because they share authtest's stand-ins, and authtest imports auth.

// ForcedRefreshBudget is how long a helper answer waits for a forced refresh.
const ForcedRefreshBudget = forcedRefreshBudget

// CheckOverdue says whether a key last checked at last, to be checked every every, is due.
var CheckOverdue = checkOverdue

// CallerInfo is what the engine learns about the process that ran the helper: whether it is
// Claude Code, its executable's name and the helper TTL it runs with.
type CallerInfo struct {
	Claude bool
	Name   string
	TTL    time.Duration
}

// InspectCaller is the engine's look at the process pid that ran the helper.
func InspectCaller(pid int, p Paths) CallerInfo {
	info := inspectCaller(pid, p)
	return CallerInfo{Claude: info.claude, Name: info.name, TTL: info.ttl}
}

// ObserveCall records a helper call by keyPID at now in the engine's caller records, as
// KeyForCaller does: ok when its caller is Claude Code, force when the call is a 401 retry that
// may force a refresh, who naming the caller for messages.
func (e *Engine) ObserveCall(keyPID int, now time.Time) (who string, force, ok bool) {
	c, ok := e.callers.observe(keyPID, e.opts.Paths, now)
	return c.who(), c.force, ok
}

// AuthFailureEvent handles one 401 as KeyForCaller and ReportAuthFailure do.
func (e *Engine) AuthFailureEvent(ctx context.Context, origin string, helper bool) Status {
	return e.authFailureEvent(ctx, origin, helper)
}

// SetClock makes the engine read the wall clock from now; call it before Load.
func (e *Engine) SetClock(now func() time.Time) { e.now = now }

// SetKeyPattern changes the config's key_pattern of a running engine.
func (e *Engine) SetKeyPattern(p string) {
	e.mu.Lock()
	e.opts.Config.KeyPattern = p
	e.mu.Unlock()
}

// SourceKey is how a refresh reads a source's output (a JSON document's key field, or the text).
var SourceKey = sourceKey
