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
