//go:build linux

package securitytest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/control"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

func TestMain(m *testing.M) {
	// The other-user test runs this binary again as uid 65534 to play the intruder.
	if sock := os.Getenv(intruderEnv); sock != "" {
		os.Exit(intruder(sock))
	}
	// The squatted-socket tests run it as another user to hold a socket path with a fake server.
	if dir := os.Getenv(squatterEnv); dir != "" {
		os.Exit(squatter(dir))
	}
	testenv.Main(m)
}

// newKey is a fresh random Console-shaped key.
func newKey(t testing.TB) string { return testenv.NewKey(t) }

// newEnv is testenv.New with a short race-detector exit pause: a -race binary otherwise sleeps
// a second before every successful exit (GORACE atexit_sleep_ms, default 1000), which would
// make the kill tests hit that pause instead of the work.
func newEnv(t testing.TB) *testenv.Env {
	t.Helper()
	env := testenv.New(t)
	env.Set("GORACE", "atexit_sleep_ms=50")
	return env
}

// keychainWorld is a private HOME with a private bus, an unlocked gnome-keyring and a loopback
// API accepting the given keys.
func keychainWorld(t *testing.T, accepted ...string) (*testenv.Env, *testenv.FakeAPI) {
	t.Helper()
	testenv.Require(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool")
	env := newEnv(t)
	env.StartBus(t)
	env.StartKeyring(t)
	api := testenv.NewFakeAPI(t, accepted...)
	env.UseFakeAPI(api)
	return env, api
}

func wantExit(t testing.TB, r testenv.Result, code int, what string) {
	t.Helper()
	if r.ExitCode != code {
		t.Fatalf("%s: exit %d, want %d (took %v)\nstdout: %s\nstderr: %s", what, r.ExitCode, code, r.Duration, r.Stdout, r.Stderr)
	}
}

// stored is what the keychain holds, read the way a user would check: secret-tool lookup.
func stored(t testing.TB, env *testenv.Env) string {
	t.Helper()
	v, _ := env.SecretToolLookup(t)
	return v
}

// fp shortens a key for failure messages: tests never print a whole key either.
func fp(k string) string {
	if k == "" {
		return "(none)"
	}
	return auth.Fingerprint(k)
}

func socketPath(env *testenv.Env) string {
	return filepath.Join(env.RuntimeDir, auth.AppName, "control.sock")
}

func logFile(env *testenv.Env) string {
	return filepath.Join(env.Get("XDG_STATE_HOME"), auth.AppName, "claude-keytray.log")
}

// writeConfig writes config.json in the Env's XDG_CONFIG_HOME.
func writeConfig(t testing.TB, env *testenv.Env, cfg map[string]any) {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env.WriteFile(t, filepath.Join(env.Get("XDG_CONFIG_HOME"), auth.AppName, "config.json"), string(b), 0o600)
}

// statusOf runs `status --json`.
func statusOf(t testing.TB, env *testenv.Env) auth.Status {
	t.Helper()
	r := env.Run(t, "status", "--json")
	return parseStatus(t, r, "status --json")
}

func parseStatus(t testing.TB, r testenv.Result, what string) auth.Status {
	t.Helper()
	var st auth.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("%s: %v (exit %d)\nstdout: %s\nstderr: %s", what, err, r.ExitCode, r.Stdout, r.Stderr)
	}
	return st
}

// startDaemon starts `claude-keytray daemon` and waits until its control API answers with its pid.
func startDaemon(t testing.TB, env *testenv.Env) *testenv.Proc {
	t.Helper()
	p := env.StartBinary(t, "daemon")
	waitDaemon(t, env, p, 20*time.Second)
	return p
}

// waitDaemon waits until the daemon p serves its control API.
func waitDaemon(t testing.TB, env *testenv.Env, p *testenv.Proc, timeout time.Duration) auth.Status {
	t.Helper()
	c := control.NewClient(socketPath(env))
	defer c.Close()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		st, err := c.Status(ctx)
		cancel()
		if err == nil && st.Daemon.PID == p.Pid() {
			return st
		}
		if p.Exited() {
			t.Fatalf("the daemon exited before serving its control API:\n%s", p)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not serve its control API within %v (last error %v):\n%s", timeout, err, p)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// daemonStatus asks the running daemon directly.
func daemonStatus(t testing.TB, env *testenv.Env) (auth.Status, error) {
	t.Helper()
	c := control.NewClient(socketPath(env))
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Status(ctx)
}

// quick runs the binary with a bound on how long it may take and fails when it takes longer.
func quick(t testing.TB, env *testenv.Env, limit time.Duration, stdin string, args ...string) testenv.Result {
	t.Helper()
	// The context ends well after the limit so an overrun is measured, not cut short.
	ctx, cancel := context.WithTimeout(context.Background(), limit+30*time.Second)
	defer cancel()
	r := env.ExecContext(ctx, t, stdin, testenv.Binary(t), args...)
	if r.Duration > limit {
		t.Fatalf("claude-keytray %s took %v, more than %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Duration.Round(time.Millisecond), limit, r.Stdout, r.Stderr)
	}
	return r
}

// vault is a folder outside HOME and the XDG dirs standing in for an external secret manager:
// a source command reads the key from a file in it.
type vault struct{ dir string }

func newVault(t testing.TB, env *testenv.Env) *vault {
	t.Helper()
	d := filepath.Join(env.Dir, "vault")
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return &vault{dir: d}
}

// put replaces name's content atomically, as a secret manager's rotation would.
func (v *vault) put(t testing.TB, name, value string) string {
	t.Helper()
	p := filepath.Join(v.dir, name)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }

// execCommand is exec.CommandContext; named so call sites read as what they run.
var execCommand = exec.CommandContext
