//go:build linux

package securitytest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// TestKeyWithoutSessionBus: with no DBUS_SESSION_BUS_ADDRESS and no $XDG_RUNTIME_DIR/bus, `key`
// fails at once with exit 3 and the fix, and starts no dbus-daemon (godbus would autolaunch one
// through dbus-launch, taking seconds and leaving it running).
func TestKeyWithoutSessionBus(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "dbus-launch")
	env := newEnv(t)
	for i := 0; i < 3; i++ {
		r := quick(t, env, time.Second, "", "key")
		wantExit(t, r, 3, "key without a session bus")
		if !strings.Contains(r.Stderr, "DBUS_SESSION_BUS_ADDRESS is not set") || !strings.Contains(r.Stderr, "dbus-run-session") || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 {
			t.Fatalf("key without a bus: want one line naming the missing bus and the fix:\n%s", r.Stderr)
		}
		t.Logf("key without a bus: exit 3 in %v", r.Duration.Round(time.Millisecond))
	}
	r := quick(t, env, 2*time.Second, "", "status")
	if strings.Contains(r.Stdout+r.Stderr, "panic") {
		t.Fatalf("status without a bus:\n%s%s", r.Stdout, r.Stderr)
	}
	if pids := testenv.StrayBuses(env.Home()); len(pids) > 0 {
		t.Fatalf("running without a bus left dbus processes behind: %v", pids)
	}
}

// monitor watches the Env's bus for what would make a keychain ask a person: Unlock calls and
// anything on a Prompt object.
type monitor struct{ p *testenv.Proc }

func watchPrompts(t *testing.T, env *testenv.Env) *monitor {
	t.Helper()
	testenv.Require(t, "dbus-monitor")
	p := env.Start(t, "dbus-monitor", "--address", env.Get("DBUS_SESSION_BUS_ADDRESS"),
		"type='method_call',interface='org.freedesktop.Secret.Service',member='Unlock'",
		"interface='org.freedesktop.Secret.Prompt'")
	// dbus-monitor prints the bus's NameAcquired/NameLost for itself once it is listening.
	waitFor(t, 10*time.Second, "dbus-monitor to listen", func() bool {
		return strings.Contains(p.Stdout(), "NameLost") || strings.Contains(p.Stdout(), "NameAcquired")
	})
	return &monitor{p: p}
}

// prompts is the traffic on Prompt objects: a dialog shown, or asked for.
func (m *monitor) prompts() string { return m.lines("interface=org.freedesktop.Secret.Prompt") }

// unlocks counts Unlock calls. go-keyring sends one before every read, which on an unlocked
// collection returns at once; on a locked one it is what opens the unlock dialog.
func (m *monitor) unlocks() int { return strings.Count(m.lines("member=Unlock"), "\n") }

// settledUnlocks is the count of Unlock calls once none has come for half a second.
func (m *monitor) settledUnlocks() int {
	n := m.unlocks()
	for quiet := time.Now(); time.Since(quiet) < 500*time.Millisecond; time.Sleep(50 * time.Millisecond) {
		if now := m.unlocks(); now != n {
			n, quiet = now, time.Now()
		}
	}
	return n
}

func (m *monitor) lines(substr string) string {
	var b strings.Builder
	for _, l := range strings.Split(m.p.Stdout(), "\n") {
		if strings.Contains(l, substr) {
			b.WriteString(strings.TrimSpace(l) + "\n")
		}
	}
	return b.String()
}

// KeePassXC, the second Secret Service, with its "confirm access" dialog: keepassxc_test.go.

// TestLockedKeyringInBackground: with the login collection locked, the daemon's timer refresh
// and `key` without a daemon report "keychain locked" (exit 3) and never make the keychain ask:
// no Unlock call and no Prompt reach the bus. update-key, which a person runs, does ask, and
// says to confirm in the keychain; that Unlock is also what shows the monitor sees them.
func TestLockedKeyringInBackground(t *testing.T) {
	t.Parallel()
	k, k2 := newKey(t), newKey(t)
	env, _ := keychainWorld(t, k, k2)
	env.SecretToolStore(t, k)
	env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "10")
	mon := watchPrompts(t, env)
	d := startDaemon(t, env)
	// The start-up refresh reads the keychain; lock it only once that read is done.
	var st0 auth.Status
	var err error
	waitFor(t, 20*time.Second, "the daemon's start-up refresh", func() bool {
		st0, err = daemonStatus(t, env)
		return err == nil && st0.Refresh.Count >= 1
	})
	lockKeyring(t, env)
	unlocksBefore := mon.unlocks()
	var st = st0
	waitFor(t, 30*time.Second, "a timer refresh after the lock", func() bool {
		st, err = daemonStatus(t, env)
		return err == nil && st.Refresh.Count > st0.Refresh.Count && st.Refresh.LastError != ""
	})
	if !strings.Contains(st.Refresh.LastError, "keychain locked") || !strings.Contains(st.Refresh.LastError, "unlock it") {
		t.Fatalf("the timer refresh on a locked keychain: last_error %q", st.Refresh.LastError)
	}
	if st.Key.Fingerprint != fp(k) {
		t.Fatalf("the daemon stopped serving the key it had: %+v", st.Key)
	}
	d.Stop(5 * time.Second)

	r := quick(t, env, 2*time.Second, "", "key")
	wantExit(t, r, 3, "key on a locked keychain")
	if !strings.Contains(r.Stderr, "keychain is locked") || strings.Contains(r.Stdout, k) {
		t.Fatalf("key on a locked keychain: %s", r.Stderr)
	}
	if p := mon.prompts(); p != "" || mon.unlocks() != unlocksBefore {
		t.Fatalf("background work asked a locked keychain to unlock (%d Unlock calls):\n%s", mon.unlocks()-unlocksBefore, p)
	}

	// A person's update-key waits for the keychain and says where to look. No prompter runs on
	// the test bus, so gnome-keyring cannot show its dialog; the attempt is what counts here.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := env.Command(ctx, testenv.Binary(t), "update-key")
	cmd.Stdin = strings.NewReader(k2 + "\n")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "confirm in your keychain") {
		t.Fatalf("update-key on a locked keychain does not say to confirm in the keychain:\n%s", out)
	}
	waitFor(t, 10*time.Second, "update-key's Unlock on the bus", func() bool { return mon.unlocks() > unlocksBefore })
	t.Logf("update-key on a locked keychain: %s", strings.TrimSpace(string(out)))
}

// TestLockedKeyringRefresh: `refresh` run by a person at a terminal is theirs to wait for, so it
// may ask the locked keychain to unlock and says to confirm there, with a daemon (which it tells
// through the control API) and without one; the same `refresh` from a script or cron, with no
// terminal, is background work: exit 3 and no Unlock on the bus.
func TestLockedKeyringRefresh(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "script")
	k := newKey(t)
	env, _ := keychainWorld(t, k)
	env.SecretToolStore(t, k)
	mon := watchPrompts(t, env)
	atTerminal := func(what string) string {
		t.Helper()
		before := mon.unlocks()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := env.Command(ctx, "script", "-qec", testenv.Binary(t)+" refresh", "/dev/null")
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), "confirm in your keychain") {
			t.Fatalf("refresh at a terminal %s on a locked keychain does not say to confirm in the keychain:\n%s", what, out)
		}
		waitFor(t, 10*time.Second, "the Unlock of refresh at a terminal "+what, func() bool { return mon.unlocks() > before })
		// The key comes from the keychain, so the failing refresh says to unlock it.
		if !strings.Contains(string(out), "Unlock the keychain (or start it), then choose Refresh now") || strings.Contains(string(out), "source command") {
			t.Fatalf("refresh at a terminal %s does not say to unlock the keychain:\n%s", what, out)
		}
		return strings.TrimSpace(strings.ReplaceAll(string(out), "\r", ""))
	}
	inScript := func(what string) {
		t.Helper()
		// An earlier person's refresh may still be finishing its keychain calls.
		before, promptsBefore := mon.settledUnlocks(), mon.prompts()
		r := quick(t, env, 10*time.Second, "", "refresh")
		wantExit(t, r, 3, "refresh from a script "+what+" on a locked keychain")
		if p := strings.TrimPrefix(mon.prompts(), promptsBefore); p != "" || mon.unlocks() != before {
			t.Fatalf("refresh from a script %s asked the locked keychain to unlock (%d Unlock calls):\n%s", what, mon.unlocks()-before, p)
		}
	}

	// The daemon loads the key at its start; lock the keychain once it has.
	d := startDaemon(t, env)
	lockKeyring(t, env)
	inScript("through the daemon")
	t.Logf("refresh at a terminal through the daemon: %s", atTerminal("through the daemon"))
	if !strings.Contains(d.Stderr(), "waiting for the keychain") {
		t.Fatalf("the daemon did not treat the terminal's refresh as a person's:\n%s", d.Stderr())
	}
	d.Stop(5 * time.Second)

	inScript("without a daemon")
	t.Logf("refresh at a terminal without a daemon: %s", atTerminal("without a daemon"))
}
