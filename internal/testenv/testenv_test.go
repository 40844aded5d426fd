//go:build linux

package testenv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// helperEnvVar makes the test binary act as a small go-keyring client instead of running
// tests, so go-keyring (which caches its session bus per process) can talk to each test's
// private bus from a fresh process.
const helperEnvVar = "TESTENV_KEYRING_HELPER"

func TestMain(m *testing.M) {
	if op := os.Getenv(helperEnvVar); op != "" {
		os.Exit(keyringHelper(op))
	}
	Main(m)
}

func keyringHelper(op string) int {
	switch op {
	case "get":
		v, err := keyring.Get(KeyringService, KeyringAccount)
		if errors.Is(err, keyring.ErrNotFound) {
			fmt.Fprintln(os.Stderr, "not found")
			return 2
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		fmt.Print(v)
		return 0
	case "set":
		b, _ := io.ReadAll(os.Stdin)
		if err := keyring.Set(KeyringService, KeyringAccount, string(b)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown helper op", op)
	return 1
}

// goKeyring runs go-keyring in a subprocess inside the Env.
func goKeyring(t *testing.T, e *Env, op, stdin string) Result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	e.Set(helperEnvVar, op)
	defer e.Set(helperEnvVar, "")
	return e.Exec(t, stdin, exe)
}

// recordingTB sees what Require decides without ending the calling test.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper()                          {}
func (r *recordingTB) Skipf(format string, args ...any) { r.skipped = fmt.Sprintf(format, args...) }
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestRequire(t *testing.T) {
	t.Setenv("CI", "")
	rec := &recordingTB{TB: t}
	Require(rec, "sh")
	if rec.skipped != "" || rec.failed != "" {
		t.Fatalf("Require(sh) should pass, got skip %q fail %q", rec.skipped, rec.failed)
	}

	// An empty PATH makes every program missing.
	t.Setenv("PATH", t.TempDir())
	rec = &recordingTB{TB: t}
	Require(rec, "dunst")
	if rec.failed != "" || !strings.Contains(rec.skipped, "Debian package dunst") {
		t.Fatalf("locally a missing dunst should skip naming its package; skip %q fail %q", rec.skipped, rec.failed)
	}
	rec = &recordingTB{TB: t}
	Require(rec, "claude")
	if !strings.Contains(rec.skipped, "npm install -g @anthropic-ai/claude-code") {
		t.Fatalf("a missing claude should name the npm package; skip %q", rec.skipped)
	}

	t.Setenv("CI", "true")
	rec = &recordingTB{TB: t}
	Require(rec, "secret-tool")
	if rec.skipped != "" || !strings.Contains(rec.failed, "Debian package libsecret-tools") {
		t.Fatalf("in CI a missing program must fail; skip %q fail %q", rec.skipped, rec.failed)
	}
}

func TestEnvIsolation(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-api03-must-not-leak")
	t.Setenv("ANTHROPIC_AUTH_TOKEN", "must-not-leak")
	t.Setenv("CLAUDE_API_KEY", "must-not-leak")
	realHome, _ := os.UserHomeDir()

	e := New(t)
	e.Set("EXTRA", "yes")
	r := e.Exec(t, "", "env")
	if r.ExitCode != 0 {
		t.Fatalf("env failed: %+v", r)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		k, v, _ := strings.Cut(line, "=")
		got[k] = v
	}
	for _, k := range []string{"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_API_KEY", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY"} {
		if v, ok := got[k]; ok {
			t.Errorf("%s leaked into the Env: %q", k, v)
		}
	}
	if got["EXTRA"] != "yes" || got["PATH"] == "" || got["LANG"] == "" {
		t.Errorf("EXTRA, PATH and LANG should be set: %v", got)
	}
	for _, k := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR", "TMPDIR"} {
		v := got[k]
		if v == "" || v == realHome || !(strings.HasPrefix(v, e.Dir) || strings.HasPrefix(v, e.RuntimeDir)) {
			t.Errorf("%s = %q, want a directory of the Env", k, v)
			continue
		}
		fi, err := os.Stat(v)
		if err != nil || !fi.IsDir() {
			t.Errorf("%s = %q is not a directory: %v", k, v, err)
		}
	}
	if fi, err := os.Stat(e.RuntimeDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("XDG_RUNTIME_DIR mode: %v %v", fi.Mode(), err)
	}
	if r.Stdout == "" || strings.Contains(r.Stdout, "must-not-leak") {
		t.Errorf("environment leaked: %s", r.Stdout)
	}

	e.Set("EXTRA", "")
	if _, ok := e.Vars()["EXTRA"]; ok {
		t.Errorf("Set(k, \"\") should remove k")
	}

	r = e.Exec(t, "", "sh", "-c", "exit 7")
	if r.ExitCode != 7 {
		t.Errorf("exit code: got %d, want 7", r.ExitCode)
	}
}

func TestProcStop(t *testing.T) {
	e := New(t)
	p := e.Start(t, "sh", "-c", "echo started; sleep 60 & wait")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.Stdout(), "started") {
		if time.Now().After(deadline) {
			t.Fatalf("no output: %s", p)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if p.Exited() {
		t.Fatal("exited too early")
	}
	if !p.Stop(5 * time.Second) {
		t.Errorf("sh did not stop on SIGTERM")
	}
	code, err := p.Wait(time.Second)
	if err != nil || code != -1 {
		t.Errorf("Wait after Stop: code %d err %v, want -1 (signal)", code, err)
	}
	// The sleep was in its group and went too (a zombie waiting to be reaped is gone enough).
	if left := liveInGroup(t, p.Pid()); len(left) > 0 {
		t.Errorf("processes left in the group: %v", left)
	}
}

func liveInGroup(t *testing.T, pgid int) []string {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces, so split after the last ')'.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 2 && fields[2] == fmt.Sprint(pgid) && fields[0] != "Z" {
			left = append(left, strings.TrimSpace(s[:strings.LastIndexByte(s, ')')+1]))
		}
	}
	return left
}

func TestBusIsPrivateAndDoesNotActivateKeyring(t *testing.T) {
	Require(t, "dbus-daemon", "dbus-send")
	a, b := New(t), New(t)
	addrA, addrB := a.StartBus(t), b.StartBus(t)
	if addrA == addrB || !strings.Contains(addrA, a.RuntimeDir) {
		t.Fatalf("buses not private: %q %q", addrA, b.StartBus(t))
	}
	if again := a.StartBus(t); again != addrA {
		t.Errorf("StartBus twice: %q then %q", addrA, again)
	}
	r := a.Exec(t, "", "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus.GetId")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "string") {
		t.Fatalf("dbus-send on the Env's bus failed: %+v", r)
	}
	// Nothing may start a keyring or notification daemon behind the test's back.
	for _, name := range []string{"org.freedesktop.secrets", "org.freedesktop.Notifications"} {
		err := a.BusConn(t).Object(name, "/").Call("org.freedesktop.DBus.Peer.Ping", 0).Err
		var de dbus.Error
		if !errors.As(err, &de) || de.Name != "org.freedesktop.DBus.Error.ServiceUnknown" {
			t.Errorf("%s should not be activatable, got %v", name, err)
		}
	}
}

func TestKeyring(t *testing.T) {
	Require(t, "secret-tool")
	e := New(t)
	e.StartKeyring(t)

	if v, ok := e.SecretToolLookup(t); ok {
		t.Fatalf("fresh keyring has an item: %q", v)
	}
	if r := goKeyring(t, e, "get", ""); r.ExitCode != 2 {
		t.Fatalf("go-keyring Get on a fresh keyring: exit %d %s, want not found", r.ExitCode, r.Stderr)
	}

	e.SecretToolStore(t, "sk-ant-api03-from-secret-tool")
	if v, ok := e.SecretToolLookup(t); !ok || v != "sk-ant-api03-from-secret-tool" {
		t.Fatalf("secret-tool lookup: %q %v", v, ok)
	}
	// go-keyring must find what secret-tool stored under the same attributes, and vice versa.
	if r := goKeyring(t, e, "get", ""); r.ExitCode != 0 || r.Stdout != "sk-ant-api03-from-secret-tool" {
		t.Fatalf("go-keyring Get: exit %d stdout %q stderr %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if r := goKeyring(t, e, "set", "sk-ant-api03-from-go-keyring"); r.ExitCode != 0 {
		t.Fatalf("go-keyring Set: exit %d %s", r.ExitCode, r.Stderr)
	}
	if v, ok := e.SecretToolLookup(t); !ok || v != "sk-ant-api03-from-go-keyring" {
		t.Fatalf("secret-tool lookup after go-keyring Set: %q %v", v, ok)
	}

	// A dead keyring daemon makes keychain calls fail instead of starting another daemon.
	e.StopKeyring(t)
	if r := goKeyring(t, e, "get", ""); r.ExitCode != 3 {
		t.Fatalf("go-keyring Get with the daemon stopped: exit %d %q %s, want an error", r.ExitCode, r.Stdout, r.Stderr)
	}
	r := e.Exec(t, "", "secret-tool", "lookup", "service", KeyringService, "username", KeyringAccount)
	if r.ExitCode == 0 {
		t.Fatalf("secret-tool lookup with the daemon stopped succeeded: %q", r.Stdout)
	}

	// Restarted, it unlocks the same keyring and the item is back.
	e.StartKeyring(t)
	if v, ok := e.SecretToolLookup(t); !ok || v != "sk-ant-api03-from-go-keyring" {
		t.Fatalf("after restart: %q %v", v, ok)
	}
	e.SecretToolClear(t)
	if _, ok := e.SecretToolLookup(t); ok {
		t.Fatal("item still there after SecretToolClear")
	}
}

func TestXvfb(t *testing.T) {
	Require(t, "xdpyinfo")
	e := New(t)
	d := e.StartX(t)
	if !strings.HasPrefix(d, ":") || e.Get("DISPLAY") != d {
		t.Fatalf("DISPLAY %q / %q", d, e.Get("DISPLAY"))
	}
	r := e.Exec(t, "", "xdpyinfo")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "1280x800") {
		t.Fatalf("xdpyinfo on %s: exit %d\n%s%s", d, r.ExitCode, r.Stdout, r.Stderr)
	}
}

func TestNotifications(t *testing.T) {
	Require(t, "notify-send")
	e := New(t)
	n := e.StartNotifications(t)
	if len(n.All()) != 0 {
		t.Fatalf("notifications before any was sent: %v", n.All())
	}
	body := "line one\nline \"two\" with 'quotes' & <b>markup</b>"
	r := e.Exec(t, "", "notify-send", "--app-name=claude-keytray", "--urgency=critical", "Claude key rejected", body)
	if r.ExitCode != 0 {
		t.Fatalf("notify-send: exit %d %s", r.ExitCode, r.Stderr)
	}
	got := n.WaitFor(t, func(no Notification) bool { return no.Summary == "Claude key rejected" }, 10*time.Second)
	if got.AppName != "claude-keytray" || got.Body != body || got.Urgency != 2 {
		t.Fatalf("notification parsed wrongly: %#v", got)
	}
	e.Exec(t, "", "notify-send", "second")
	n.WaitFor(t, func(no Notification) bool { return no.Summary == "second" }, 10*time.Second)
	if all := n.All(); len(all) != 2 || all[0].Summary != "Claude key rejected" {
		t.Fatalf("All: %v", all)
	}
	n.NoneWithin(t, func(no Notification) bool { return no.Summary == "never sent" }, 100*time.Millisecond)
}

func TestPass(t *testing.T) {
	e := New(t)
	fpr := e.StartPass(t)
	if len(fpr) != 40 {
		t.Fatalf("fingerprint %q", fpr)
	}
	e.PassInsert(t, "claude/api-key", "sk-ant-api03-from-pass")
	if got := e.PassShow(t, "claude/api-key"); got != "sk-ant-api03-from-pass" {
		t.Fatalf("pass show: %q", got)
	}
	// The way CLAUDE_KEYTRAY_SOURCE would run it: through the shell, with the Env's variables.
	r := e.Exec(t, "", "sh", "-c", "pass show claude/api-key")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "sk-ant-api03-from-pass" {
		t.Fatalf("sh -c pass show: exit %d %q %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	// The store is encrypted: the key is not in the file.
	data, err := os.ReadFile(e.Get("PASSWORD_STORE_DIR") + "/claude/api-key.gpg")
	if err != nil || strings.Contains(string(data), "sk-ant-api03-from-pass") {
		t.Fatalf("store file: %v, plaintext present: %v", err, strings.Contains(string(data), "from-pass"))
	}
}

func TestBinary(t *testing.T) {
	bin := Binary(t)
	fi, err := os.Stat(bin)
	if err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("Binary(t) = %q: %v", bin, err)
	}
	if Binary(t) != bin {
		t.Errorf("Binary should return the same path every time")
	}
	e := New(t)
	r := e.Run(t, "version")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) == "" {
		t.Fatalf("claude-keytray version: exit %d stdout %q stderr %q", r.ExitCode, r.Stdout, r.Stderr)
	}

	t.Setenv(BinaryEnvVar, "/nonexistent/claude-keytray")
	rec := &recordingTB{TB: t}
	Binary(rec)
	if !strings.Contains(rec.failed, BinaryEnvVar) {
		t.Errorf("a bad %s should fail naming it, got %q", BinaryEnvVar, rec.failed)
	}
}

// A command killed by a signal reports -1, not 0.
func TestExecSignalled(t *testing.T) {
	e := New(t)
	r := e.Exec(t, "", "sh", "-c", "kill -TERM $$")
	if r.ExitCode != -1 {
		t.Fatalf("a signalled command should report -1, got %d", r.ExitCode)
	}
}
