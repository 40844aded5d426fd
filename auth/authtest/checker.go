package authtest

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
)

// FakeChecker answers like the Anthropic API without the network: valid (200) or invalid
// (401) per key, or one status for every key. The zero value accepts every key; Accept limits
// it to the keys named, Reject refuses a key whatever else holds, SetStatus overrides both.
type FakeChecker struct {
	// Delay is how long each check takes; set it before the first check.
	Delay time.Duration

	calls atomic.Int64

	mu       sync.Mutex
	accepted map[string]bool // nil: every key not rejected
	rejected map[string]bool
	status   int
}

func (f *FakeChecker) Check(ctx context.Context, k auth.Key) auth.Validation {
	f.calls.Add(1)
	if f.Delay > 0 {
		time.Sleep(f.Delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now().UTC()
	switch s := k.Secret(); {
	case f.status != 0:
		return auth.Validation{Result: auth.ResultUnknown, HTTPStatus: f.status, CheckedAt: &now}
	case !f.rejected[s] && (f.accepted == nil || f.accepted[s]):
		return auth.Validation{Result: auth.ResultValid, HTTPStatus: 200, CheckedAt: &now}
	}
	return auth.Validation{Result: auth.ResultInvalid, HTTPStatus: 401, CheckedAt: &now, Detail: "authentication_error: invalid x-api-key"}
}

// Accept makes keys the only ones accepted from now on; with none, every key is invalid.
func (f *FakeChecker) Accept(keys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accepted = map[string]bool{}
	for _, k := range keys {
		f.accepted[k] = true
	}
}

// Reject adds keys that are invalid from now on, even when accepted.
func (f *FakeChecker) Reject(keys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rejected == nil {
		f.rejected = map[string]bool{}
	}
	for _, k := range keys {
		f.rejected[k] = true
	}
}

// SetStatus makes every check answer HTTP code with an unknown result (429, 500, 529: the API
// could not say); 0 goes back to judging the key.
func (f *FakeChecker) SetStatus(code int) {
	f.mu.Lock()
	f.status = code
	f.mu.Unlock()
}

// Calls is the number of checks so far.
func (f *FakeChecker) Calls() int64 { return f.calls.Load() }
