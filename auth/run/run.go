package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
)

// Refresher is what run needs from the engine. main wires the daemon's control client, or an
// in-process engine when no daemon runs.
type Refresher interface {
	// ReportAuthFailure reports a 401 (origin from auth.AuthFailureOrigin), waits for the forced
	// refresh, and returns the status after it. The engine sends the event's notification.
	ReportAuthFailure(ctx context.Context, origin string) (auth.Status, error)
	// Key returns the current key, for --env.
	Key(ctx context.Context) (string, error)
}

// DefaultRetries is --retries' default.
const DefaultRetries = 2

// Options say what to run and how.
type Options struct {
	// Args is the command and its arguments.
	Args []string
	// Retries is how many times a command that failed with an auth error is run again.
	Retries int
	// Env puts ANTHROPIC_API_KEY, fetched fresh for each attempt, into the command's environment.
	Env       bool
	Refresher Refresher
	// Stdin, Stdout and Stderr default to the process's own.
	Stdin          *os.File
	Stdout, Stderr *os.File
	// Environ is the command's environment; nil means os.Environ().
	Environ []string
	// StdinCap is how much piped input is kept for a retry; 0 means DefaultStdinCap.
	StdinCap int
	// Backoff is the wait before retry n (1, 2, …); nil means 0.5 s, 1 s, 2 s … up to 5 s.
	Backoff func(n int) time.Duration
}

// exitError is a command that could not be run at all; Code follows the shell's convention.
type exitError struct {
	Code int
	Err  error
}

func (e *exitError) Error() string { return e.Err.Error() }
func (e *exitError) Unwrap() error { return e.Err }

// ExitCode returns the exit code an error from Run asks for: 127 when the command was not
// found, 126 when it could not be executed, 1 otherwise.
func ExitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}

// Run runs the command until it succeeds, fails for another reason than auth, or its retries
// are used up, and returns its last exit code. An error means the command never ran: it could
// not be started, or --env found no key.
func Run(ctx context.Context, o Options) (int, error) {
	if len(o.Args) == 0 {
		return 2, errors.New("no command to run: use claude-keytray run -- CMD [ARGS...]")
	}
	if o.Stdin == nil {
		o.Stdin = os.Stdin
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Environ == nil {
		o.Environ = os.Environ()
	}
	if o.StdinCap <= 0 {
		o.StdinCap = DefaultStdinCap
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Backoff == nil {
		o.Backoff = defaultBackoff
	}
	r := newRunner(o)
	defer r.close()
	name := filepath.Base(o.Args[0])

	for attempt := 0; ; attempt++ {
		env := o.Environ
		if o.Env {
			k, err := o.Refresher.Key(ctx)
			if err != nil {
				if attempt == 0 {
					return 1, fmt.Errorf("--env: getting the key for ANTHROPIC_API_KEY: %w", err)
				}
				r.say("could not get the key for ANTHROPIC_API_KEY: %v; running %s without it", oneLine(err.Error()), name)
			} else {
				env = withEnv(env, "ANTHROPIC_API_KEY", strings.TrimSpace(k))
			}
		}
		started := time.Now()
		res, err := r.attempt(ctx, env)
		if err != nil {
			return ExitCode(err), err
		}
		if res.code == 0 || res.match == "" || res.stopped || ctx.Err() != nil {
			return res.code, nil
		}

		// An auth failure: refresh, and retry when the input can be replayed.
		retry := attempt + 1
		next, replay := "", false
		switch why := r.noReplay(res); {
		case attempt >= o.Retries && o.Retries > 0:
			next = fmt.Sprintf("gave up after %d retries", o.Retries)
		case o.Retries == 0:
			next = "not run again (--retries 0)"
		case why != "":
			next = "not run again: " + why
		default:
			next, replay = fmt.Sprintf("retrying %d/%d", retry, o.Retries), true
		}
		r.say("%s exited %d with an auth error (%s); asking for a fresh key", name, res.code, res.match)
		st, err := o.Refresher.ReportAuthFailure(ctx, auth.AuthFailureOrigin(name, next))
		if err != nil {
			r.say("could not refresh the key: %s", oneLine(err.Error()))
			return res.code, nil
		}
		switch st.State {
		case auth.StateInvalid:
			r.say("the API rejects key %s; store a new one with claude-keytray update-key", st.Key.Fingerprint)
			return res.code, nil
		case auth.StateNoKey, auth.StateError:
			r.say("no usable key (%s); store one with claude-keytray update-key", st.State)
			return res.code, nil
		}
		if !replay {
			r.say("key %s refreshed; %s%s", st.Key.Fingerprint, next, runYourself(next))
			return res.code, nil
		}
		if !freshKey(st, started) {
			// The same key, and the API said nothing new about it (an outage, a rate limit):
			// running the command again would only get the same answer.
			r.say("the API could not confirm key %s after the auth error (%s); %s is not run again with the same key", st.Key.Fingerprint, oneLine(st.Validation.Detail), name)
			return res.code, nil
		}
		r.say("key %s refreshed; running %s again (%d/%d)", st.Key.Fingerprint, name, retry, o.Retries)
		select {
		case <-time.After(o.Backoff(retry)):
		case <-ctx.Done():
			return res.code, nil
		case <-r.stopped():
			return res.code, nil
		}
	}
}

// freshKey reports whether the refresh after an attempt that started at started gave a key worth
// another try: a different key, stored since, or the same one that the API accepted since.
func freshKey(st auth.Status, started time.Time) bool {
	if u := st.Key.UpdatedAt; u != nil && !u.Before(started) {
		return true
	}
	v := st.Validation
	return v.Result == auth.ResultValid && v.CheckedAt != nil && !v.CheckedAt.Before(started)
}

func runYourself(next string) string {
	if strings.HasPrefix(next, "not run again:") {
		return "; run it again yourself"
	}
	return ""
}

func defaultBackoff(n int) time.Duration {
	d := 500 * time.Millisecond
	for i := 1; i < n && d < 5*time.Second; i++ {
		d *= 2
	}
	return min(d, 5*time.Second)
}

// withEnv sets k=v in env, dropping any other value of k.
func withEnv(env []string, k, v string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if name, _, ok := strings.Cut(kv, "="); ok && name == k {
			continue
		}
		out = append(out, kv)
	}
	return append(out, k+"="+v)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// result is one attempt's outcome.
type result struct {
	code int
	// match is the sign of an auth failure seen in the output, or "".
	match string
	// stopped: we were told to stop (a signal we forwarded), so nothing is retried.
	stopped bool
	// typed: the user typed into the command through our terminal, so it was interactive.
	typed bool
}

func (r *runner) say(format string, args ...any) {
	fmt.Fprintf(r.o.Stderr, "claude-keytray: "+format+"\n", args...)
}

var _ io.Reader = (*replayReader)(nil)
