//go:build linux

package testenv

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// DefaultTimeout bounds every command an Env runs unless the caller's context says otherwise.
const DefaultTimeout = 2 * time.Minute

// Env is one test's private world: its own HOME and XDG directories and, once started, its own
// D-Bus session, keyring, X display, notification daemon and password store. Everything it
// starts is stopped in t.Cleanup.
type Env struct {
	// Dir is the root of the Env's files, under t.TempDir(). HOME is Dir/home.
	Dir string
	// RuntimeDir is XDG_RUNTIME_DIR (mode 0700). It lives under a short path in os.TempDir()
	// because unix socket paths are limited to 108 bytes and test names can be long.
	RuntimeDir string

	mu   sync.Mutex
	vars map[string]string

	busConn *dbus.Conn
	keyring *Proc
	keyPass string
	display string
}

// New returns a fresh Env with HOME, XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_DATA_HOME,
// XDG_CACHE_HOME, XDG_RUNTIME_DIR and TMPDIR of its own.
func New(t testing.TB) *Env {
	t.Helper()
	dir := t.TempDir()
	rt, err := os.MkdirTemp("", "ktenv")
	if err != nil {
		t.Fatalf("testenv: create the runtime dir in %s: %v", os.TempDir(), err)
	}
	t.Cleanup(func() { os.RemoveAll(rt) })
	if err := os.Chmod(rt, 0o700); err != nil {
		t.Fatalf("testenv: chmod %s: %v", rt, err)
	}
	e := &Env{Dir: dir, RuntimeDir: rt, vars: map[string]string{}}
	// Registered first, so it runs last: after everything the Env started has been stopped.
	t.Cleanup(func() { e.checkStrayBuses(t) })
	for k, sub := range map[string]string{
		"HOME":            "home",
		"XDG_CONFIG_HOME": "config",
		"XDG_STATE_HOME":  "state",
		"XDG_DATA_HOME":   "data",
		"XDG_CACHE_HOME":  "cache",
		"TMPDIR":          "tmp",
	} {
		p := filepath.Join(dir, sub)
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatalf("testenv: create %s: %v", p, err)
		}
		e.vars[k] = p
	}
	e.vars["XDG_RUNTIME_DIR"] = rt
	// GTK programs (zenity, the tray host) would otherwise look for an accessibility bus.
	e.vars["NO_AT_BRIDGE"] = "1"
	// The race-built binary otherwise waits a second at every exit, and Claude Code waits on
	// the helper; race reports still print and still fail the run (exit 66).
	e.vars["GORACE"] = "atexit_sleep_ms=50"
	return e
}

// Home is the Env's HOME.
func (e *Env) Home() string { return e.Get("HOME") }

// Set sets (or, with an empty value, removes) a variable of the Env's environment.
func (e *Env) Set(k, v string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if v == "" {
		delete(e.vars, k)
		return
	}
	e.vars[k] = v
}

// Get returns a variable of the Env's environment, or "".
func (e *Env) Get(k string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.vars[k]
}

// Vars returns a copy of the Env's own variables (HOME, XDG_*, DBUS_SESSION_BUS_ADDRESS, ...).
func (e *Env) Vars() map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := make(map[string]string, len(e.vars))
	for k, v := range e.vars {
		m[k] = v
	}
	return m
}

// Environ is the complete environment of commands the Env runs: PATH, LANG and the Env's
// variables, nothing else from the test process (no ANTHROPIC_*, no real HOME, no real bus).
func (e *Env) Environ() []string {
	vars := e.Vars()
	if _, ok := vars["PATH"]; !ok {
		vars["PATH"] = os.Getenv("PATH")
	}
	if _, ok := vars["LANG"]; !ok {
		vars["LANG"] = "C.UTF-8"
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// Command returns a command that runs in the Env: its environment is Environ() and its working
// directory HOME. Stdin is empty unless the caller sets it.
func (e *Env) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = e.Environ()
	cmd.Dir = e.Home()
	// A grandchild that keeps stdout open must not hang Wait forever.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Result is what a finished command produced.
type Result struct {
	Stdout, Stderr string
	// ExitCode is the process's exit status; -1 when it was killed by a signal or the timeout.
	ExitCode int
	Duration time.Duration
}

// Exec runs a program in the Env with stdin as its standard input and DefaultTimeout. A
// program that cannot be started at all fails the test; a non-zero exit is in the Result.
func (e *Env) Exec(t testing.TB, stdin, name string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	return e.ExecContext(ctx, t, stdin, name, args...)
}

// ExecContext is Exec under the caller's context.
func (e *Env) ExecContext(ctx context.Context, t testing.TB, stdin, name string, args ...string) Result {
	t.Helper()
	cmd := e.Command(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: errb.String(), Duration: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.ExitCode = ee.ExitCode()
	case ctx.Err() != nil:
		r.ExitCode = -1
	default:
		t.Fatalf("testenv: run %s: %v", name, err)
	}
	if ctx.Err() != nil {
		t.Logf("testenv: %s %s was stopped after %v: %v", name, strings.Join(args, " "), r.Duration.Round(time.Millisecond), ctx.Err())
	}
	return r
}

// Run runs the claude-keytray binary (see Binary) in the Env with no input.
func (e *Env) Run(t testing.TB, args ...string) Result {
	t.Helper()
	return e.Exec(t, "", Binary(t), args...)
}

// RunInput runs the claude-keytray binary in the Env with stdin as its standard input.
func (e *Env) RunInput(t testing.TB, stdin string, args ...string) Result {
	t.Helper()
	return e.Exec(t, stdin, Binary(t), args...)
}

// StartBinary starts the claude-keytray binary in the background (e.g. "daemon"); it is
// stopped in cleanup.
func (e *Env) StartBinary(t testing.TB, args ...string) *Proc {
	t.Helper()
	return e.Start(t, Binary(t), args...)
}
