//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// snapshot maps every file and folder below the Env's HOME and XDG_CONFIG_HOME to its
// content ("<dir>" for folders), with the binary's path and the Env's root normalised, so two
// snapshots compare what install and uninstall changed.
func snapshot(t *testing.T, env *testenv.Env) map[string]string {
	t.Helper()
	bin := testenv.Binary(t)
	out := map[string]string{}
	for _, root := range []string{env.Home(), env.Get("XDG_CONFIG_HOME")} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel := "@DIR@" + strings.TrimPrefix(p, env.Dir)
			// The keyring's own files are gnome-keyring's business, not install's.
			if d.IsDir() && d.Name() == "keyrings" {
				return filepath.SkipDir
			}
			if d.IsDir() {
				out[rel] = "<dir>"
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s := strings.ReplaceAll(string(b), bin, "@BIN@")
			out[rel] = strings.ReplaceAll(s, env.Dir, "@DIR@")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// diffSnapshots lists the paths added, removed or changed from a to b.
func diffSnapshots(a, b map[string]string) []string {
	var d []string
	for k, v := range b {
		if old, ok := a[k]; !ok {
			d = append(d, "+"+k)
		} else if old != v {
			d = append(d, "~"+k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			d = append(d, "-"+k)
		}
	}
	sort.Strings(d)
	return d
}

// stopDaemonAtCleanup makes sure a daemon the test started in the background (detached, so
// not in any process group testenv stops) does not outlive the test.
func stopDaemonAtCleanup(t *testing.T, env *testenv.Env) {
	t.Cleanup(func() {
		st := statusOf(t, env)
		if st.Daemon.Running && st.Daemon.PID > 0 {
			_ = syscall.Kill(st.Daemon.PID, syscall.SIGTERM)
			time.Sleep(500 * time.Millisecond)
			_ = syscall.Kill(st.Daemon.PID, syscall.SIGKILL)
		}
	})
}

func readGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "packaging", "testdata", name))
	if err != nil {
		t.Fatalf("golden file: %v", err)
	}
	return string(b)
}

// TestInstallAutostartHeadless: install in a session without a desktop writes exactly the
// helper, the settings edit and its backup, and the daemon unit; starts the daemon directly
// (there is no systemd user manager here); a second install changes nothing; uninstall stops
// the daemon and leaves HOME and XDG_CONFIG_HOME as they were, settings.json byte for byte.
func TestInstallAutostartHeadless(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, _ := keychainEnv(t, k)
	stopDaemonAtCleanup(t, env)
	wantExit(t, env.RunInput(t, k, "update-key"), 0, "update-key")
	settings := filepath.Join(env.ClaudeDir(), "settings.json")
	orig := "{\n  \"model\": \"opus\",\n  \"permissions\": {\"allow\": [\"Bash(ls:*)\"]}\n}\n"
	env.WriteFile(t, settings, orig, 0o644)
	before := snapshot(t, env)

	r := env.Run(t, "install")
	wantExit(t, r, 0, "install")
	t.Logf("install (%v):\n%s", r.Duration.Round(time.Millisecond), r.Stdout)
	for _, want := range []string{"daemon mode", "no desktop session", "systemctl --user is unavailable", "started claude-keytray daemon in the background"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("install output lacks %q:\n%s", want, r.Stdout)
		}
	}
	after := snapshot(t, env)
	unit := "@DIR@/config/systemd/user/claude-keytray-daemon.service"
	want := []string{
		"+@DIR@/config/systemd",
		"+@DIR@/config/systemd/user",
		"+" + unit,
		"+@DIR@/home/.claude/auth_helper.sh",
		"+@DIR@/home/.claude/settings.json.claude-keytray.bak",
		"~@DIR@/home/.claude/settings.json",
	}
	sort.Strings(want)
	if got := diffSnapshots(before, after); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("install changed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, golden := after[unit], readGolden(t, "cli/claude-keytray-daemon.service"); got != golden {
		t.Fatalf("the daemon unit differs from packaging/testdata/cli/claude-keytray-daemon.service:\n%s", got)
	}

	st := statusOf(t, env)
	if !st.Daemon.Running || st.Daemon.PID <= 0 {
		t.Fatalf("install did not leave a running daemon: %+v", st.Daemon)
	}
	// One instance only: a second engine refuses to start.
	r = env.Run(t, "daemon")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "already runs for this user") {
		t.Fatalf("a second daemon: exit %d, %q", r.ExitCode, r.Stderr)
	}

	r = env.Run(t, "install")
	wantExit(t, r, 0, "second install")
	if !strings.Contains(r.Stdout, "Nothing to change") || !strings.Contains(r.Stdout, "nothing to change: already set up") || !strings.Contains(r.Stdout, "already running") {
		t.Fatalf("second install output:\n%s", r.Stdout)
	}
	if d := diffSnapshots(after, snapshot(t, env)); len(d) != 0 {
		t.Fatalf("second install changed files: %v", d)
	}
	if st2 := statusOf(t, env); st2.Daemon.PID != st.Daemon.PID {
		t.Fatalf("second install replaced the daemon: pid %d, was %d", st2.Daemon.PID, st.Daemon.PID)
	}

	r = env.Run(t, "uninstall")
	wantExit(t, r, 0, "uninstall")
	t.Logf("uninstall (%v):\n%s", r.Duration.Round(time.Millisecond), r.Stdout)
	if !strings.Contains(r.Stdout, "stopped claude-keytray") {
		t.Fatalf("uninstall output:\n%s", r.Stdout)
	}
	if d := diffSnapshots(before, snapshot(t, env)); len(d) != 0 {
		t.Fatalf("uninstall left changes behind: %v", d)
	}
	if b, _ := os.ReadFile(settings); string(b) != orig {
		t.Fatalf("settings.json after uninstall:\n%q\nwant\n%q", b, orig)
	}
	for _, f := range []string{"install.json", "autostart.json"} {
		if _, err := os.Stat(filepath.Join(env.Get("XDG_STATE_HOME"), "claude-keytray", f)); !os.IsNotExist(err) {
			t.Errorf("uninstall left the state file %s", f)
		}
	}
	if st := statusOf(t, env); st.Daemon.Running {
		t.Fatalf("the daemon still runs after uninstall: %+v", st.Daemon)
	}
	r = env.Run(t, "uninstall")
	wantExit(t, r, 0, "second uninstall")
	if strings.Contains(r.Stdout, "removed") || strings.Contains(r.Stdout, "stopped") {
		t.Fatalf("second uninstall did something:\n%s", r.Stdout)
	}
}

// TestInstallDesktopDryRun: in a desktop session install picks the tray, and --dry-run names
// the autostart entry and the tray unit without writing or starting anything.
func TestInstallDesktopDryRun(t *testing.T) {
	t.Parallel()
	env, _ := keychainEnv(t)
	env.Set("DISPLAY", ":93")
	before := snapshot(t, env)
	r := env.Run(t, "install", "--dry-run")
	wantExit(t, r, 0, "install --dry-run")
	for _, want := range []string{
		"tray mode, for a desktop session (DISPLAY=:93)",
		"would: created " + filepath.Join(env.Get("XDG_CONFIG_HOME"), "autostart", "claude-keytray.desktop"),
		"would: created " + filepath.Join(env.Get("XDG_CONFIG_HOME"), "systemd", "user", "claude-keytray.service"),
		"would: start claude-keytray tray in the background",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("install --dry-run output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if d := diffSnapshots(before, snapshot(t, env)); len(d) != 0 {
		t.Fatalf("install --dry-run changed files: %v", d)
	}
	if st := statusOf(t, env); st.Daemon.Running {
		t.Fatal("install --dry-run started the app")
	}
}

// TestSetupYesFromPlaintextFile: the scripted first run moves ~/.claude/api_key into the real
// keychain, deletes the file, wires Claude Code, starts the app and ends with doctor green.
func TestSetupYesFromPlaintextFile(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, _ := keychainEnv(t, k)
	stopDaemonAtCleanup(t, env)
	keyFile := env.WriteFile(t, ".claude/api_key", k+"\n", 0o600)

	r := env.Run(t, "setup", "--yes")
	wantExit(t, r, 0, "setup --yes")
	t.Logf("setup --yes (%v):\n%s", r.Duration.Round(time.Millisecond), r.Stdout)
	if strings.Contains(r.Stdout+r.Stderr, k) {
		t.Fatal("setup printed the key")
	}
	for _, want := range []string{auth.Fingerprint(k), "the API accepts it", "deleted the plaintext file", "apiKeyHelper", "Running:", "Doctor:", "Done"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("setup output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if len(strings.Split(strings.TrimSpace(r.Stdout), "\n")) > 12 {
		t.Errorf("setup's summary is long:\n%s", r.Stdout)
	}

	if got, ok := env.SecretToolLookup(t); !ok || got != k {
		t.Fatalf("the keychain holds %q, want the key from the file", auth.Fingerprint(got))
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Fatalf("the plaintext key file is still there (%v)", err)
	}
	st := statusOf(t, env)
	if !st.Helper.OK || !st.ClaudeSettings.Wired {
		t.Fatalf("helper not wired: %+v %+v", st.Helper, st.ClaudeSettings)
	}
	if !st.Daemon.Running || st.State != auth.StateOK {
		t.Fatalf("status after setup: state %s, daemon %+v", st.State, st.Daemon)
	}

	r = env.Run(t, "doctor", "--json")
	var rep auth.DoctorReport
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, r.Stdout)
	}
	daemonPass := false
	for _, c := range rep.Checks {
		if c.Name == "daemon" && c.Status == auth.CheckPass {
			daemonPass = true
		}
	}
	if r.ExitCode != 0 || !rep.OK || !daemonPass {
		t.Fatalf("doctor after setup (exit %d): %s", r.ExitCode, r.Stdout)
	}
	// The helper, run the way Claude Code runs it, answers with the key.
	h := env.Exec(t, "", "sh", "-c", st.Helper.Path)
	if h.ExitCode != 0 || h.Stdout != k+"\n" {
		t.Fatalf("the helper: exit %d, stderr %q", h.ExitCode, h.Stderr)
	}
	assertNoKeyUnder(t, env.Home(), k)
	assertNoKeyUnder(t, env.Get("XDG_CONFIG_HOME"), k)

	// Again: nothing left to do, and it says so.
	r = env.Run(t, "setup", "--yes")
	wantExit(t, r, 0, "second setup --yes")
	if !strings.Contains(r.Stdout, "already") {
		t.Fatalf("second setup output:\n%s", r.Stdout)
	}
	wantExit(t, env.Run(t, "uninstall"), 0, "uninstall")
}

// TestSetupWithoutTerminal: no terminal and no --yes means no questions can be asked; setup
// says to use --yes at once instead of waiting on stdin, and changes nothing.
func TestSetupWithoutTerminal(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	before := snapshot(t, env)
	// Stdin is an empty pipe here; a setup that read it would still return, so the time
	// taken shows it did not wait for input either.
	r := env.Run(t, "setup")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "--yes") || r.Duration > 10*time.Second {
		t.Fatalf("setup without a terminal: exit %d after %v, stderr %q", r.ExitCode, r.Duration, r.Stderr)
	}
	if d := diffSnapshots(before, snapshot(t, env)); len(d) != 0 {
		t.Fatalf("setup without a terminal changed files: %v", d)
	}
}

// TestSetupYesWithoutAnyKey: --yes cannot make up a key; it stops with exit 2 and says how
// to give one, before touching Claude's settings.
func TestSetupYesWithoutAnyKey(t *testing.T) {
	t.Parallel()
	env, _ := keychainEnv(t)
	r := env.Run(t, "setup", "--yes")
	if r.ExitCode != exitNoKey || !strings.Contains(r.Stderr, "update-key") {
		t.Fatalf("setup --yes with no key: exit %d, stderr %q", r.ExitCode, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(env.ClaudeDir(), "settings.json")); !os.IsNotExist(err) {
		t.Fatal("setup without a key still wired Claude Code")
	}
}

// TestSetupInteractive answers setup's questions at a real terminal (a pty from script(1)):
// the key goes in at the hidden prompt, and "no" to login autostart is respected while the
// app is still started.
func TestSetupInteractive(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "script")
	k := newKey(t)
	env, _ := keychainEnv(t, k)
	stopDaemonAtCleanup(t, env)

	// Type each answer only once its question is on screen, as a person would.
	term := atTerminal(t, env, 2*time.Minute, "setup")
	term.answer("input is hidden): ", k)
	term.answer("Start claude-keytray at login (daemon mode)? [Y/n] ", "n")
	text, err := term.finish()
	t.Logf("setup at a terminal:\n%s", text)
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	if strings.Contains(text, k) {
		t.Fatal("the terminal echoed the key")
	}
	for _, want := range []string{"stored " + auth.Fingerprint(k), "the API accepts it", "not started at login", "started in the background"} {
		if !strings.Contains(text, want) {
			t.Errorf("setup output lacks %q", want)
		}
	}
	// Every doctor check passes, however many there are.
	if !regexp.MustCompile(`Doctor: +all \d+ checks pass`).MatchString(text) {
		t.Errorf("setup output lacks doctor's \"all N checks pass\"")
	}
	if got, ok := env.SecretToolLookup(t); !ok || got != k {
		t.Fatal("the key typed at the prompt is not in the keychain")
	}
	if _, err := os.Stat(filepath.Join(env.Get("XDG_CONFIG_HOME"), "systemd")); !os.IsNotExist(err) {
		t.Fatal("answering no still registered login autostart")
	}
	if st := statusOf(t, env); !st.Daemon.Running {
		t.Fatal("the app is not running after setup")
	}
	wantExit(t, env.Run(t, "uninstall"), 0, "uninstall")
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine exec starts and the test reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
