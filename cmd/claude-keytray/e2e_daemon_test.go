//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/control"
	"github.com/claude-keytray/claude-keytray/auth/socketpath"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// These tests run the real binary as `daemon` against a private D-Bus session, gnome-keyring's
// Secret Service, dunst (notifications seen through dbus-monitor), pass, and a loopback stand-in
// for the API, and drive it with the real CLI commands.

// daemonWorld is one test's private world around a daemon. Every key it hands out is checked,
// when the test ends, to appear in no log line, daemon output or notification.
type daemonWorld struct {
	t     *testing.T
	env   *testenv.Env
	api   *testenv.FakeAPI
	notes *testenv.Notifications
	keys  []string
	procs []*testenv.Proc
}

// newDaemonWorld starts a bus and an unlocked keyring and points the Env at a FakeAPI that
// accepts no key until the test says which.
func newDaemonWorld(t *testing.T) *daemonWorld {
	t.Helper()
	testenv.Require(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool")
	w := &daemonWorld{t: t, env: testenv.New(t)}
	w.env.StartBus(t)
	w.env.StartKeyring(t)
	w.api = testenv.NewFakeAPI(t)
	w.env.UseFakeAPI(w.api)
	// Claude Code's side wired as install leaves it: "ok" means Claude Code would use the key.
	wantExit(t, w.run("", "install", "--no-autostart"), 0, "install --no-autostart")
	// Registered before any daemon starts, so it runs after the daemons have stopped and the
	// log is complete.
	t.Cleanup(w.checkNoKeyLeaked)
	return w
}

// newKey returns a fresh Console-shaped key, remembered for the leak check.
func (w *daemonWorld) newKey() string {
	w.t.Helper()
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
	b := make([]byte, 93)
	if _, err := rand.Read(b); err != nil {
		w.t.Fatal(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	k := "sk-ant-api03-" + string(b) + "AA"
	w.keys = append(w.keys, k)
	return k
}

// socket is the daemon's socket: the usual one, or without XDG_RUNTIME_DIR the one in the
// private folder the daemon recorded ("" until it has).
func (w *daemonWorld) socket() string {
	if w.env.Get("XDG_RUNTIME_DIR") == "" {
		dir := socketpath.ReadRecord(filepath.Join(w.env.Get("XDG_STATE_HOME"), "claude-keytray", socketpath.RecordFileName))
		if dir == "" {
			return ""
		}
		return filepath.Join(dir, socketpath.FileName)
	}
	return filepath.Join(w.env.RuntimeDir, "claude-keytray", "control.sock")
}

func (w *daemonWorld) logFile() string {
	return filepath.Join(w.env.Get("XDG_STATE_HOME"), "claude-keytray", "claude-keytray.log")
}

func (w *daemonWorld) readLog() string {
	w.t.Helper()
	b, err := os.ReadFile(w.logFile())
	if err != nil {
		w.t.Fatalf("reading the log: %v", err)
	}
	return string(b)
}

// run runs the CLI in the Env, bounded well below the package timeout.
func (w *daemonWorld) run(stdin string, args ...string) testenv.Result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return w.env.ExecContext(ctx, w.t, stdin, testenv.Binary(w.t), args...)
}

// statusCmd runs `args... --json` (status or refresh) and decodes the status it prints.
func (w *daemonWorld) statusCmd(args ...string) (auth.Status, testenv.Result) {
	w.t.Helper()
	r := w.run("", append(args, "--json")...)
	var st auth.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		w.t.Fatalf("%s --json (exit %d) printed no status: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.ExitCode, err, r.Stdout, r.Stderr)
	}
	return st, r
}

func (w *daemonWorld) status() auth.Status {
	w.t.Helper()
	st, r := w.statusCmd("status")
	if r.ExitCode != 0 {
		w.t.Fatalf("status --json: exit %d\nstderr: %s", r.ExitCode, r.Stderr)
	}
	return st
}

func (w *daemonWorld) refresh() auth.Status {
	w.t.Helper()
	st, _ := w.statusCmd("refresh")
	return st
}

// wantKey runs `key` and expects it to print want.
func (w *daemonWorld) wantKey(want, when string) {
	w.t.Helper()
	r := w.run("", "key")
	if r.ExitCode != 0 || r.Stdout != want+"\n" {
		w.t.Fatalf("%s: key exited %d and printed %q, want exit 0 and %s\nstderr: %s", when, r.ExitCode, auth.Fingerprint(strings.TrimSpace(r.Stdout)), auth.Fingerprint(want), r.Stderr)
	}
}

// wantStored expects the keychain item, read with secret-tool, to be want.
func (w *daemonWorld) wantStored(want, when string) {
	w.t.Helper()
	got, ok := w.env.SecretToolLookup(w.t)
	if !ok || got != want {
		w.t.Fatalf("%s: secret-tool lookup gives %q (present %v), want %s", when, auth.Fingerprint(got), ok, auth.Fingerprint(want))
	}
}

// waitStored waits up to limit for the keychain item to become want: a key the engine took
// while the keychain was slow to answer (a busy machine) is written once the keychain is back.
func (w *daemonWorld) waitStored(want, when string, limit time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		got, ok := w.env.SecretToolLookup(w.t)
		if ok && got == want {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s: secret-tool lookup gives %q (present %v) after %v, want %s\nstatus: %+v", when, auth.Fingerprint(got), ok, limit, auth.Fingerprint(want), w.status().Store)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startDaemon starts `daemon` and waits until it answers on its socket with its own pid and has
// finished its first refresh.
func (w *daemonWorld) startDaemon() *testenv.Proc {
	w.t.Helper()
	p := w.env.StartBinary(w.t, "daemon")
	w.procs = append(w.procs, p)
	w.waitDaemon(p, "the daemon to start", 20*time.Second, func(st auth.Status) bool {
		return st.Daemon.Running && st.Daemon.PID == p.Pid() && st.Refresh.Count >= 1
	})
	return p
}

// waitDaemon polls the daemon's status over the control API until cond holds.
func (w *daemonWorld) waitDaemon(p *testenv.Proc, what string, timeout time.Duration, cond func(auth.Status) bool) auth.Status {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	var last auth.Status
	var lastErr error
	for {
		// A new client each time: the socket may be recorded only once the daemon is up.
		c := control.NewClient(w.socket())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := c.Status(ctx)
		cancel()
		c.Close()
		if err == nil {
			last, lastErr = st, nil
			if cond(st) {
				return st
			}
		} else {
			lastErr = err
		}
		if p != nil && p.Exited() {
			w.t.Fatalf("waiting for %s: the daemon exited:\n%s", what, p)
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(last, "", "  ")
			w.t.Fatalf("waiting for %s: not within %v (last error %v)\nlast status: %s", what, timeout, lastErr, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopDaemon sends sig and expects a clean exit 0 that removes the socket.
func (w *daemonWorld) stopDaemon(p *testenv.Proc, sig syscall.Signal) {
	w.t.Helper()
	if err := p.Signal(sig); err != nil {
		w.t.Fatalf("signalling the daemon: %v", err)
	}
	code, err := p.Wait(10 * time.Second)
	if err != nil || code != 0 {
		w.t.Fatalf("after %v the daemon exited %d (%v), want 0:\n%s", sig, code, err, p)
	}
	if _, err := os.Lstat(w.socket()); !os.IsNotExist(err) {
		w.t.Fatalf("after %v the socket %s is still there (%v)", sig, w.socket(), err)
	}
}

// notificationsWith returns the notifications whose summary is summary.
func (w *daemonWorld) notificationsWith(summary string) []testenv.Notification {
	var out []testenv.Notification
	for _, n := range w.notes.All() {
		if n.Summary == summary {
			out = append(out, n)
		}
	}
	return out
}

// wantNotifications waits until exactly n notifications titled summary have been seen and
// checks that no more come within a short settle time.
func (w *daemonWorld) wantNotifications(summary string, n int) []testenv.Notification {
	w.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(w.notificationsWith(summary)) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(400 * time.Millisecond)
	got := w.notificationsWith(summary)
	if len(got) != n {
		w.t.Fatalf("%d notifications %q, want %d; all seen: %v", len(got), summary, n, w.notes.All())
	}
	return got
}

// checkNoKeyLeaked fails the test if any key it used shows up in the log, a daemon's output or
// a notification: only the keychain and `key`'s stdout may hold one.
func (w *daemonWorld) checkNoKeyLeaked() {
	var places []string
	if b, err := os.ReadFile(w.logFile()); err == nil {
		places = append(places, "the log:"+string(b))
	}
	for _, p := range w.procs {
		places = append(places, "daemon output:"+p.Stdout()+p.Stderr())
	}
	if w.notes != nil {
		for _, n := range w.notes.All() {
			places = append(places, "a notification:"+n.AppName+n.Summary+n.Body)
		}
	}
	for _, k := range w.keys {
		for _, text := range places {
			if strings.Contains(text, k) {
				where, _, _ := strings.Cut(text, ":")
				w.t.Errorf("key %s appears in %s", auth.Fingerprint(k), where)
			}
		}
	}
}

// closedPort is a loopback URL nothing listens on: connections to it are refused.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestDaemonE2EOneEnginePerUser(t *testing.T) {
	t.Parallel()
	w := newDaemonWorld(t)
	k := w.newKey()
	w.api.SetAccepted(k)
	w.env.SecretToolStore(t, k)

	first := w.startDaemon()
	dir := filepath.Dir(w.socket())
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket folder %s: mode %v (%v), want 0700", dir, fi.Mode(), err)
	}
	fi, err = os.Lstat(w.socket())
	if err != nil || fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %s: mode %v (%v), want a socket with 0600", w.socket(), fi.Mode(), err)
	}

	// A second engine refuses to start and leaves the first one's socket alone.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	second := w.env.ExecContext(ctx, t, "", testenv.Binary(t), "daemon")
	cancel()
	if want := "already runs for this user"; second.ExitCode != 1 || !strings.Contains(second.Stderr, want) {
		t.Fatalf("second daemon: exit %d, stderr %q; want exit 1 and %q", second.ExitCode, second.Stderr, want)
	}
	if want := fmt.Sprintf("already running (pid %d)", first.Pid()); !strings.Contains(w.readLog(), want) {
		t.Fatalf("the log does not say %q", want)
	}
	if st := w.status(); !st.Daemon.Running || st.Daemon.PID != first.Pid() {
		t.Fatalf("after the refused second daemon, status shows daemon %+v, want the first (pid %d)", st.Daemon, first.Pid())
	}
	w.wantKey(k, "after the refused second daemon")

	// A frozen daemon must not hang the helper: key gives up on it quickly and reads the keychain.
	if err := first.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	w.wantKey(k, "with the daemon frozen")
	took := time.Since(start)
	if err := first.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if took > 5*time.Second {
		t.Fatalf("key took %v with the daemon frozen; it should give up on the daemon within about 2 s", took)
	}

	// A killed daemon leaves its socket behind; the CLI then works alone.
	if err := first.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(w.socket()); err != nil {
		t.Fatalf("the SIGKILLed daemon's socket should still be there for this test to mean anything: %v", err)
	}
	if st := w.status(); st.Daemon.Running || st.Key.Fingerprint != auth.Fingerprint(k) {
		t.Fatalf("with a dead daemon, status shows daemon %+v key %q; want not running and %s", st.Daemon, st.Key.Fingerprint, auth.Fingerprint(k))
	}
	w.wantKey(k, "with a dead daemon's socket left behind")
	if st := w.refresh(); st.Daemon.Running || st.Refresh.Count != 1 || st.State != auth.StateOK {
		t.Fatalf("refresh with a dead daemon: daemon %+v, count %d, state %q; want an in-process refresh", st.Daemon, st.Refresh.Count, st.State)
	}

	// The next daemon replaces the stale socket and works; SIGINT stops it cleanly.
	next := w.startDaemon()
	if st := w.status(); st.Daemon.PID != next.Pid() || st.Daemon.Socket != w.socket() {
		t.Fatalf("status shows daemon %+v, want pid %d on %s", st.Daemon, next.Pid(), w.socket())
	}
	w.wantKey(k, "from the daemon that replaced a stale socket")
	w.stopDaemon(next, syscall.SIGINT)

	// And SIGTERM does the same.
	last := w.startDaemon()
	w.wantKey(k, "from a daemon started after a clean stop")
	w.stopDaemon(last, syscall.SIGTERM)
	if st := w.status(); st.Daemon.Running {
		t.Fatalf("after SIGTERM, status still shows a daemon: %+v", st.Daemon)
	}

	// Two daemons started together, after one was killed and left its pid behind: exactly one
	// wins, and the other names the winner, not the dead one.
	killed := w.startDaemon()
	if err := killed.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if _, err := killed.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	x, y := w.env.StartBinary(t, "daemon"), w.env.StartBinary(t, "daemon")
	w.procs = append(w.procs, x, y)
	loser, winner := x, y
	deadline := time.Now().Add(15 * time.Second)
	for !x.Exited() && !y.Exited() {
		if time.Now().After(deadline) {
			t.Fatalf("two daemons started together both still run:\n%s\n%s", x, y)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if y.Exited() {
		loser, winner = y, x
	}
	code, _ := loser.Wait(time.Second)
	if want := "already runs for this user"; code != 1 || !strings.Contains(loser.Stderr(), want) {
		t.Fatalf("the daemon that lost the race: exit %d, stderr %q; want 1 and %q", code, loser.Stderr(), want)
	}
	w.waitDaemon(winner, "the daemon that won the race", 10*time.Second, func(st auth.Status) bool {
		return st.Daemon.PID == winner.Pid() && st.Refresh.Count >= 1
	})
	w.wantKey(k, "from the daemon that won the race")
	w.stopDaemon(winner, syscall.SIGTERM)
	log := w.readLog()
	for _, p := range []*testenv.Proc{next, last} {
		if !strings.Contains(log, fmt.Sprintf("msg=\"daemon stopped\" pid=%d", p.Pid())) {
			t.Errorf("the log has no clean stop of daemon %d:\n%s", p.Pid(), log)
		}
	}
}

func TestDaemonE2ECLIIsAClient(t *testing.T) {
	t.Parallel()
	w := newDaemonWorld(t)
	a, b, rejected, external := w.newKey(), w.newKey(), w.newKey(), w.newKey()
	w.api.SetAccepted(a, b, external)

	// With no daemon every command works alone.
	if r := w.run(a+"\n", "update-key"); r.ExitCode != 0 {
		t.Fatalf("update-key without a daemon: exit %d: %s", r.ExitCode, r.Stderr)
	}
	w.wantStored(a, "update-key without a daemon")
	w.wantKey(a, "without a daemon")
	if st := w.status(); st.Daemon.Running || st.Key.Fingerprint != auth.Fingerprint(a) {
		t.Fatalf("status without a daemon: daemon %+v key %q", st.Daemon, st.Key.Fingerprint)
	}
	if st := w.refresh(); st.Daemon.Running || st.Refresh.Count != 1 || st.Validation.Result != auth.ResultValid {
		t.Fatalf("refresh without a daemon: daemon %+v count %d validation %q; want an in-process refresh that finds the key valid", st.Daemon, st.Refresh.Count, st.Validation.Result)
	}

	d := w.startDaemon()

	// status --json shows the daemon, in the contract's field names.
	r := w.run("", "status", "--json")
	var raw struct {
		Daemon map[string]any `json:"daemon"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &raw); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.Stdout)
	}
	if raw.Daemon["running"] != true || raw.Daemon["pid"] != float64(d.Pid()) || raw.Daemon["socket"] != w.socket() {
		t.Fatalf("status --json daemon = %v, want running true, pid %d, socket %s", raw.Daemon, d.Pid(), w.socket())
	}

	// refresh goes through the daemon: its count grows and each one checks the key.
	checks := len(w.api.Requests())
	st1 := w.refresh()
	st2 := w.refresh()
	if !st1.Daemon.Running || st1.Refresh.Count < 2 || st2.Refresh.Count != st1.Refresh.Count+1 {
		t.Fatalf("refresh through the daemon: counts %d then %d (daemon %+v); want the daemon's count, growing by one", st1.Refresh.Count, st2.Refresh.Count, st1.Daemon)
	}
	if got := len(w.api.Requests()) - checks; got != 2 || st2.Validation.Result != auth.ResultValid {
		t.Fatalf("two user refreshes made %d API checks (result %q), want 2", got, st2.Validation.Result)
	}

	// update-key goes through the daemon: its status switches at once, no refresh needed.
	if r := w.run(b+"\n", "update-key"); r.ExitCode != 0 {
		t.Fatalf("update-key through the daemon: exit %d: %s", r.ExitCode, r.Stderr)
	}
	c := control.NewClient(w.socket())
	defer c.Close()
	st, err := c.Status(context.Background())
	if err != nil || st.Key.Fingerprint != auth.Fingerprint(b) || st.Validation.Result != auth.ResultValid {
		t.Fatalf("right after update-key the daemon shows %q (%q, %v), want %s valid", st.Key.Fingerprint, st.Validation.Result, err, auth.Fingerprint(b))
	}
	w.wantStored(b, "update-key through the daemon")
	w.wantKey(b, "after update-key through the daemon")

	// A key the API rejects: exit 5, the old key stays everywhere.
	r = w.run(rejected+"\n", "update-key")
	if r.ExitCode != 5 {
		t.Fatalf("update-key with a rejected key through the daemon: exit %d, want 5\nstdout: %s\nstderr: %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "reject") || strings.Contains(r.Stderr+r.Stdout, rejected) {
		t.Fatalf("update-key's message should say the key was rejected without showing it: %q", r.Stderr)
	}
	w.wantStored(b, "after a rejected update-key")
	w.wantKey(b, "after a rejected update-key")
	if st := w.status(); st.Key.Fingerprint != auth.Fingerprint(b) || st.State != auth.StateOK {
		t.Fatalf("after a rejected update-key the daemon shows %q in state %q, want %s ok", st.Key.Fingerprint, st.State, auth.Fingerprint(b))
	}

	// key answers from the daemon's memory: a key written into the keychain behind its back is
	// served only after the next refresh picks it up.
	w.env.SecretToolStore(t, external)
	w.wantKey(b, "right after the keychain changed behind the daemon")
	if st := w.refresh(); st.Key.Fingerprint != auth.Fingerprint(external) || st.Key.Source != "keychain" {
		t.Fatalf("a refresh after the keychain changed shows %q from %q, want %s from keychain", st.Key.Fingerprint, st.Key.Source, auth.Fingerprint(external))
	}
	w.wantKey(external, "after the daemon refreshed from the keychain")
	if log := w.readLog(); !strings.Contains(log, "path=/api/auth/key status=200") {
		t.Fatalf("the daemon's log shows no key request served over the control API:\n%s", log)
	}
}

func TestDaemonE2EKeychainUnreachable(t *testing.T) {
	t.Parallel()
	w := newDaemonWorld(t)
	k := w.newKey()
	w.api.SetAccepted(k)
	w.env.SecretToolStore(t, k)
	w.startDaemon()

	w.env.StopKeyring(t)
	w.wantKey(k, "with the keychain down")
	st := w.refresh()
	if st.Store.Reachable || st.Store.Error == "" || st.Refresh.LastError == "" {
		t.Fatalf("refresh with the keychain down: store %+v, last_error %q; want it reported", st.Store, st.Refresh.LastError)
	}
	if !st.Key.Present || st.Key.Fingerprint != auth.Fingerprint(k) || st.State == auth.StateError || st.State == auth.StateNoKey {
		t.Fatalf("with the keychain down the daemon shows key %+v state %q; want the held key, still usable", st.Key, st.State)
	}
	if st := w.status(); st.Store.Reachable || st.Store.Error == "" || !st.Daemon.Running {
		t.Fatalf("status with the keychain down: store %+v daemon %+v", st.Store, st.Daemon)
	}
	w.wantKey(k, "after a failed refresh with the keychain down")

	w.env.StartKeyring(t)
	st = w.refresh()
	if !st.Store.Reachable || st.Store.Error != "" || st.Refresh.LastError != "" || st.State != auth.StateOK {
		t.Fatalf("refresh with the keychain back: store %+v, last_error %q, state %q; want it cleared", st.Store, st.Refresh.LastError, st.State)
	}
	w.wantKey(k, "with the keychain back")
}

func TestDaemonE2ERefreshInterval(t *testing.T) {
	t.Parallel()
	w := newDaemonWorld(t)
	k := w.newKey()
	w.api.SetAccepted(k)
	w.env.SecretToolStore(t, k)

	for _, bad := range []string{"5", "abc", "86401", "9"} {
		w.env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", bad)
		r := w.run("", "daemon")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "CLAUDE_AUTH_REFRESH_INTERVAL") ||
			!strings.Contains(r.Stderr, "10") || !strings.Contains(r.Stderr, "86400") {
			t.Errorf("daemon with CLAUDE_AUTH_REFRESH_INTERVAL=%s: exit %d, stderr %q; want a failure naming the variable and 10..86400", bad, r.ExitCode, r.Stderr)
		}
		if _, err := os.Lstat(w.socket()); err == nil {
			t.Errorf("daemon with CLAUDE_AUTH_REFRESH_INTERVAL=%s left a socket behind", bad)
		}
	}

	w.env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "")
	d := w.startDaemon()
	st := w.status()
	if st.Refresh.IntervalSeconds != 240 || st.Refresh.Last == nil || st.Refresh.Next == nil {
		t.Fatalf("default interval: %+v, want 240 s", st.Refresh)
	}
	if gap := st.Refresh.Next.Sub(*st.Refresh.Last); gap < 239*time.Second || gap > 241*time.Second {
		t.Fatalf("default interval: next refresh %v after the last, want 240 s", gap)
	}
	w.stopDaemon(d, syscall.SIGTERM)

	w.env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "86400")
	d = w.startDaemon()
	if st := w.status(); st.Refresh.IntervalSeconds != 86400 {
		t.Fatalf("CLAUDE_AUTH_REFRESH_INTERVAL=86400: interval %d", st.Refresh.IntervalSeconds)
	}
	w.stopDaemon(d, syscall.SIGTERM)
}

func TestDaemonE2EPassSource(t *testing.T) {
	t.Parallel()
	w := newDaemonWorld(t)
	w.env.StartPass(t)
	w.notes = w.env.StartNotifications(t)
	first, second, rejected := w.newKey(), w.newKey(), w.newKey()
	w.api.SetAccepted(first, second)
	w.env.PassInsert(t, "claude/api-key", first)
	w.env.Set("CLAUDE_KEYTRAY_SOURCE", "pass show claude/api-key")
	w.env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "10")

	d := w.startDaemon()
	st := w.waitDaemon(d, "the first key from pass", 10*time.Second, func(st auth.Status) bool {
		return st.Key.Fingerprint == auth.Fingerprint(first)
	})
	if st.Key.Source != "command" || st.Refresh.IntervalSeconds != 10 || st.Validation.Result != auth.ResultValid {
		t.Fatalf("first key from pass: source %q, interval %d, validation %q", st.Key.Source, st.Refresh.IntervalSeconds, st.Validation.Result)
	}
	w.wantStored(first, "the first key from pass")

	// Rotate in pass; the timer, not a request, brings the new key in.
	w.env.PassInsert(t, "claude/api-key", second)
	before := st.Refresh.Count
	st = w.waitDaemon(d, "the timer refresh to read the rotated key", 20*time.Second, func(st auth.Status) bool {
		// The key switches while the refresh is still running; the count at its end.
		return st.Key.Fingerprint == auth.Fingerprint(second) && st.Refresh.Count > before
	})
	if st.Key.Source != "command" || st.Refresh.LastError != "" {
		t.Fatalf("after the rotation: count %d (was %d), source %q, last_error %q", st.Refresh.Count, before, st.Key.Source, st.Refresh.LastError)
	}
	w.wantStored(second, "after the timer refresh")
	w.wantKey(second, "after the timer refresh")
	if st := w.status(); st.Key.Fingerprint != auth.Fingerprint(second) || st.Key.Source != "command" {
		t.Fatalf("status after the rotation: %+v", st.Key)
	}
	n := w.notes.WaitFor(t, func(n testenv.Notification) bool {
		return strings.Contains(n.Summary, "rotated") && strings.Contains(n.Body, auth.Fingerprint(second))
	}, 5*time.Second)
	if n.AppName != "Claude Keytray" {
		t.Fatalf("rotation notification from app %q, want \"Claude Keytray\": %v", n.AppName, n)
	}

	// A key the API rejects is not stored, and is announced once however often it is read.
	w.env.PassInsert(t, "claude/api-key", rejected)
	for i := 0; i < 2; i++ {
		st = w.refresh()
		if st.Key.Fingerprint != auth.Fingerprint(second) || !strings.Contains(st.Refresh.LastError, auth.Fingerprint(rejected)) {
			t.Fatalf("refresh %d with a rejected key in pass: key %q, last_error %q", i+1, st.Key.Fingerprint, st.Refresh.LastError)
		}
	}
	w.wantStored(second, "after pass gave a rejected key")
	w.wantKey(second, "after pass gave a rejected key")
	rej := w.wantNotifications("Claude key from the source was rejected", 1)
	if !strings.Contains(rej[0].Body, auth.Fingerprint(rejected)) {
		t.Fatalf("the rejection notification does not name the key's fingerprint: %v", rej[0])
	}
	if got := w.notificationsWith("Claude key refresh failed"); len(got) != 0 {
		t.Fatalf("a rejected source key also notified as a failed refresh: %v", got)
	}

	// The log: one line per refresh with its outcome, the events, and never a key.
	w.stopDaemon(d, syscall.SIGTERM)
	log := w.readLog()
	var refreshes, timer, failed int
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "msg=refresh ") {
			continue
		}
		refreshes++
		if strings.Contains(line, "reason=timer") {
			timer++
		}
		if strings.Contains(line, "ok=false") && strings.Contains(line, auth.Fingerprint(rejected)) {
			failed++
		}
		if !strings.Contains(line, "ok=") {
			t.Errorf("a refresh line has no outcome: %s", line)
		}
	}
	if refreshes < st.Refresh.Count || timer < 1 || failed < 2 {
		t.Fatalf("the log has %d refresh lines (%d by the timer, %d failed on the rejected key), want at least %d, 1 and 2:\n%s", refreshes, timer, failed, st.Refresh.Count, log)
	}
	for _, ev := range []string{"rotated", "source_rejected"} {
		if !strings.Contains(log, "kind="+ev) {
			t.Errorf("the log does not record the %s event:\n%s", ev, log)
		}
	}
}

func TestDaemonE2ESourceFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, command, config, wantErr string
	}{
		{"slow", "sleep 2; echo key", `{"source_timeout_seconds": 1}`, "did not finish within 1s"},
		{"stderr", `if [ -s "$HOME/ok.key" ]; then cat "$HOME/ok.key"; else echo "vault: permission denied on secret/claude" >&2; exit 3; fi`, "", "vault: permission denied on secret/claude"},
		{"empty", "true", "", "printed nothing"},
		{"garbage", `echo '<html><body>502 Bad Gateway</body></html>'`, "", "not a usable key"},
		{"huge", `head -c 10485760 /dev/zero | tr '\0' a`, "", "printed more than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newDaemonWorld(t)
			w.notes = w.env.StartNotifications(t)
			k := w.newKey()
			w.api.SetAccepted(k)
			w.env.SecretToolStore(t, k)
			if tc.config != "" {
				w.env.WriteFile(t, filepath.Join(w.env.Get("XDG_CONFIG_HOME"), "claude-keytray", "config.json"), tc.config, 0o600)
			}
			w.env.Set("CLAUDE_KEYTRAY_SOURCE", tc.command)
			w.startDaemon()

			for i := 0; i < 2; i++ {
				st := w.refresh()
				if !st.Daemon.Running || !strings.Contains(st.Refresh.LastError, tc.wantErr) {
					t.Fatalf("refresh %d: daemon %+v, last_error %q; want it to contain %q", i+1, st.Daemon, st.Refresh.LastError, tc.wantErr)
				}
				if st.Key.Fingerprint != auth.Fingerprint(k) {
					t.Fatalf("refresh %d: the daemon now holds %q, want the stored %s", i+1, st.Key.Fingerprint, auth.Fingerprint(k))
				}
			}
			w.wantKey(k, "while the source fails")
			w.wantStored(k, "while the source fails")
			// The start refresh and two more failed: one notification.
			failed := w.wantNotifications("Claude key refresh failed", 1)
			if !strings.Contains(failed[0].Body, tc.wantErr) {
				t.Fatalf("the failure notification does not say why: %v", failed[0])
			}
			if tc.name != "stderr" {
				return
			}

			// Once the source works again the failure clears, and a new failure notifies anew.
			w.env.WriteFile(t, "ok.key", k+"\n", 0o600)
			if st := w.refresh(); st.Refresh.LastError != "" || st.Key.Fingerprint != auth.Fingerprint(k) {
				t.Fatalf("refresh with the source working again: last_error %q key %q", st.Refresh.LastError, st.Key.Fingerprint)
			}
			w.wantNotifications("Claude key refresh works again", 1)
			if err := os.Remove(filepath.Join(w.env.Home(), "ok.key")); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				if st := w.refresh(); !strings.Contains(st.Refresh.LastError, tc.wantErr) {
					t.Fatalf("refresh after the source broke again: last_error %q", st.Refresh.LastError)
				}
			}
			w.wantNotifications("Claude key refresh failed", 2)
			w.wantKey(k, "after the source broke again")
		})
	}
}

func TestDaemonE2EAPIUnavailable(t *testing.T) {
	t.Parallel()
	for _, code := range []int{429, 529, 500, 0} {
		name := fmt.Sprint(code)
		if code == 0 {
			name = "refused"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newDaemonWorld(t)
			k := w.newKey()
			w.api.SetAccepted(k)
			w.env.SecretToolStore(t, k)
			// down and up make the API say nothing about the key, or answer again. Refused
			// connections come from a closed port, which only a restart can change.
			var d *testenv.Proc
			down := func() {
				if code != 0 {
					w.api.ForceStatus(code)
					return
				}
				if d != nil {
					w.stopDaemon(d, syscall.SIGTERM)
				}
				w.env.Set("ANTHROPIC_BASE_URL", closedPort(t))
				d = w.startDaemon()
			}
			up := func() {
				if code != 0 {
					w.api.ForceStatus(0)
					return
				}
				w.stopDaemon(d, syscall.SIGTERM)
				w.env.UseFakeAPI(w.api)
				d = w.startDaemon()
			}
			unknownOK := func(st auth.Status, when string) {
				t.Helper()
				if st.Validation.Result == auth.ResultInvalid || st.State == auth.StateInvalid || st.State == auth.StateError {
					t.Fatalf("%s: state %q, validation %+v: a key must never be marked down when the API says nothing", when, st.State, st.Validation)
				}
				if st.Key.Fingerprint != auth.Fingerprint(k) {
					t.Fatalf("%s: key %q, want %s", when, st.Key.Fingerprint, auth.Fingerprint(k))
				}
			}

			down()
			if d == nil {
				d = w.startDaemon()
			}
			// A key never checked before: the answer is "unknown".
			st := w.refresh()
			unknownOK(st, "first check")
			if st.Validation.Result != auth.ResultUnknown || st.Validation.HTTPStatus != code || st.State != auth.StateUnverified {
				t.Fatalf("first check: state %q, validation %+v; want unverified, unknown, HTTP %d", st.State, st.Validation, code)
			}
			w.wantKey(k, "while the API says nothing")

			// Once checked valid, an API that says nothing leaves it valid.
			up()
			if st := w.refresh(); st.State != auth.StateOK {
				t.Fatalf("with the API back: state %q, validation %+v", st.State, st.Validation)
			}
			down()
			st = w.refresh()
			unknownOK(st, "after a valid check")
			if st.State != auth.StateOK || st.Validation.Result != auth.ResultValid {
				t.Fatalf("after a valid check, an API that says nothing changed the state to %q, validation %+v", st.State, st.Validation)
			}
			w.wantKey(k, "while the API says nothing again")
			if log := w.readLog(); strings.Contains(log, "Claude key rejected") {
				t.Fatalf("the key was announced as rejected:\n%s", log)
			}
		})
	}
}

func TestDaemonE2EStopDuringSlowSource(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "pgrep")
	w := newDaemonWorld(t)
	k := w.newKey()
	w.api.SetAccepted(k)
	w.env.SecretToolStore(t, k)
	w.env.WriteFile(t, filepath.Join(w.env.Get("XDG_CONFIG_HOME"), "claude-keytray", "config.json"), `{"source_timeout_seconds": 60}`, 0o600)
	// An odd duration names this test's sleep for pgrep.
	const slow = "sleep 47.318"
	w.env.Set("CLAUDE_KEYTRAY_SOURCE", slow+"; echo k")

	d := w.env.StartBinary(t, "daemon")
	w.procs = append(w.procs, d)
	w.waitDaemon(d, "the daemon to answer", 20*time.Second, func(st auth.Status) bool {
		return st.Daemon.PID == d.Pid()
	})
	// While the source hangs, the key is still served at once from memory.
	start := time.Now()
	w.wantKey(k, "while the source hangs")
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("key took %v while the source hangs", took)
	}
	// Give the start refresh time to be inside the source command.
	deadline := time.Now().Add(10 * time.Second)
	for w.env.Exec(t, "", "pgrep", "-f", slow).ExitCode != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the source command never ran:\n%s", d)
		}
		time.Sleep(50 * time.Millisecond)
	}

	start = time.Now()
	if err := d.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, err := d.Wait(10 * time.Second)
	if err != nil || code != 0 {
		t.Fatalf("SIGTERM during a slow refresh: exit %d (%v) after %v, want a clean exit 0:\n%s", code, err, time.Since(start), d)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("SIGTERM during a slow refresh took %v to stop the daemon", took)
	}
	if _, err := os.Lstat(w.socket()); !os.IsNotExist(err) {
		t.Fatalf("the socket is still there after SIGTERM (%v)", err)
	}
	if r := w.env.Exec(t, "", "pgrep", "-f", slow); r.ExitCode == 0 {
		t.Fatalf("the source command outlived the daemon: pids %s", strings.Fields(r.Stdout))
	}
}
