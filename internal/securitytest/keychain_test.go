//go:build linux

package securitytest

import (
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/internal/testenv"
	"github.com/godbus/dbus/v5"
)

const loginCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")

// lockKeyring locks the login collection through the Secret Service's own Lock method, as a
// screen locker or `secret-tool lock` would.
func lockKeyring(t testing.TB, env *testenv.Env) {
	t.Helper()
	conn := env.BusConn(t)
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").
		Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{loginCollection}).Store(&locked, &prompt)
	if err != nil {
		t.Fatalf("locking the login collection: %v", err)
	}
	v, err := conn.Object("org.freedesktop.secrets", loginCollection).GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil || v.Value() != true {
		t.Fatalf("the login collection is not locked after Lock (locked %v, prompt %s): %v %v", locked, prompt, v, err)
	}
}

// wantKeychainExit expects `key` to fail with exit 3 and one line on stderr, within limit.
func wantKeychainExit(t testing.TB, env *testenv.Env, limit time.Duration, what string) testenv.Result {
	t.Helper()
	r := quick(t, env, limit, "", "key")
	if r.ExitCode != 3 || r.Stdout != "" || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || !strings.Contains(r.Stderr, "keychain") {
		t.Fatalf("%s: key exited %d in %v, want exit 3 with one line on stderr\nstdout: %q\nstderr: %s", what, r.ExitCode, r.Duration, r.Stdout, r.Stderr)
	}
	return r
}

// wantKeyQuick expects `key` to print want within limit.
func wantKeyQuick(t testing.TB, env *testenv.Env, limit time.Duration, want, what string) testenv.Result {
	t.Helper()
	r := quick(t, env, limit, "", "key")
	if r.ExitCode != 0 || r.Stdout != want+"\n" {
		t.Fatalf("%s: key exited %d with %s, want %s\nstderr: %s", what, r.ExitCode, fp(strings.TrimSpace(r.Stdout)), fp(want), r.Stderr)
	}
	return r
}

// TestKeychainLocked locks the login keyring. A running daemon keeps serving the key it holds;
// without one, `key` fails with exit 3 in about the keychain timeout instead of hanging on an
// unlock prompt nobody can answer.
func TestKeychainLocked(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, _ := keychainWorld(t, k)
	env.SecretToolStore(t, k)
	d := startDaemon(t, env)
	lockKeyring(t, env)

	wantKeyQuick(t, env, 2*time.Second, k, "a locked keychain under a running daemon")
	r := quick(t, env, 10*time.Second, "", "refresh", "--json")
	st := parseStatus(t, r, "refresh --json with a locked keychain")
	if !st.Key.Present || st.Key.Fingerprint != fp(k) {
		t.Fatalf("a refresh with a locked keychain dropped the key: %+v", st.Key)
	}
	t.Logf("refresh with a locked keychain: exit %d in %v, store reachable %v, last error %q", r.ExitCode, r.Duration.Round(time.Millisecond), st.Store.Reachable, st.Refresh.LastError)
	wantKeyQuick(t, env, 2*time.Second, k, "after a refresh with a locked keychain")

	d.Stop(5 * time.Second)
	r = wantKeychainExit(t, env, 4500*time.Millisecond, "a locked keychain and no daemon")
	t.Logf("key with a locked keychain and no daemon: exit 3 in %v: %s", r.Duration.Round(time.Millisecond), strings.TrimSpace(r.Stderr))
}

// TestKeychainAbsent starts the daemon with no Secret Service on the bus, then brings one up:
// `key` fails with exit 3 meanwhile, and the daemon picks the key up on the next refresh without
// a restart.
func TestKeychainAbsent(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool")
	k := newKey(t)
	env := newEnv(t)
	env.StartBus(t)
	api := testenv.NewFakeAPI(t, k)
	env.UseFakeAPI(api)
	d := env.StartBinary(t, "daemon")
	waitDaemon(t, env, d, 20*time.Second)
	wantKeychainExit(t, env, 8*time.Second, "no Secret Service")
	if st, err := daemonStatus(t, env); err != nil || st.Store.Reachable || st.Key.Present {
		t.Fatalf("status without a Secret Service: %v %+v %+v", err, st.Store, st.Key)
	}

	env.StartKeyring(t)
	env.SecretToolStore(t, k)
	r := quick(t, env, 10*time.Second, "", "refresh", "--json")
	if st := parseStatus(t, r, "refresh once the keyring is up"); !st.Key.Present || st.Key.Fingerprint != fp(k) || !st.Store.Reachable {
		t.Fatalf("after the keyring came up the daemon does not serve the key: %+v %+v", st.Key, st.Store)
	}
	wantKeyQuick(t, env, 2*time.Second, k, "once the keyring is up")
	if d.Exited() {
		t.Fatalf("the daemon died:\n%s", d)
	}
}

// TestKeychainKilledMidRun stops the keyring daemon under a running claude-keytray daemon. The
// helper keeps working from memory; a key rotated from the source meanwhile is served at once
// and saved to the keychain as soon as it is back, so a restart never falls back to the old key.
func TestKeychainKilledMidRun(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	env, _ := keychainWorld(t, k1, k2)
	v := newVault(t, env)
	src := v.put(t, "key", k1)
	writeConfig(t, env, map[string]any{"source_command": "cat " + src})
	d := startDaemon(t, env)
	waitFor(t, 10*time.Second, "the first key in the keychain", func() bool { return stored(t, env) == k1 })

	env.StopKeyring(t)
	wantKeyQuick(t, env, 2*time.Second, k1, "with the keyring daemon gone")

	// The secret manager rotates while the keychain is away.
	v.put(t, "key", k2)
	r := quick(t, env, 10*time.Second, "", "refresh", "--json")
	st := parseStatus(t, r, "refresh with the keyring gone")
	if st.Key.Fingerprint != fp(k2) || st.Store.Reachable {
		t.Fatalf("refresh with the keyring gone: serving %s, store %+v; want %s served and the store reported unreachable", st.Key.Fingerprint, st.Store, fp(k2))
	}
	wantKeyQuick(t, env, 2*time.Second, k2, "the key rotated while the keyring was gone")

	env.StartKeyring(t)
	r = quick(t, env, 10*time.Second, "", "refresh", "--json")
	st = parseStatus(t, r, "refresh with the keyring back")
	if got := stored(t, env); got != k2 {
		t.Fatalf("with the keyring back the keychain holds %s, want the rotated %s (status: store %+v, last error %q)", fp(got), fp(k2), st.Store, st.Refresh.LastError)
	}
	if !st.Store.Reachable {
		t.Fatalf("with the keyring back the status still says it is unreachable: %+v", st.Store)
	}
	d.Stop(5 * time.Second)
	wantKeyQuick(t, env, 2*time.Second, k2, "without the daemon, from the keychain")
}

// TestKeychainHangs puts a Secret Service on the bus that never answers. `key` gives up after the
// 3 s keychain timeout with exit 3 (a shorter configured timeout is honoured), and a running
// daemon keeps serving the key it holds.
func TestKeychainHangs(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool")

	t.Run("no daemon", func(t *testing.T) {
		t.Parallel()
		env := newEnv(t)
		hung := startHungSecrets(t, env)
		r := wantKeychainExit(t, env, 4500*time.Millisecond, "a Secret Service that never answers")
		if r.Duration < 2500*time.Millisecond {
			t.Fatalf("key gave up after %v, before the 3 s timeout: it did not wait on the service", r.Duration)
		}
		if len(hung.Calls()) == 0 {
			t.Fatal("the hung Secret Service was never called")
		}
		t.Logf("key against a hung Secret Service: exit 3 in %v after %d unanswered calls (%s)", r.Duration.Round(time.Millisecond), len(hung.Calls()), hung.Calls()[0])

		writeConfig(t, env, map[string]any{"keychain_timeout_seconds": 1})
		r = wantKeychainExit(t, env, 2*time.Second, "keychain_timeout_seconds=1")
		t.Logf("with keychain_timeout_seconds=1: exit 3 in %v", r.Duration.Round(time.Millisecond))
	})

	t.Run("daemon holding the key", func(t *testing.T) {
		t.Parallel()
		k := newKey(t)
		env, _ := keychainWorld(t, k)
		env.SecretToolStore(t, k)
		d := startDaemon(t, env)
		env.StopKeyring(t)
		startHungSecrets(t, env)
		wantKeyQuick(t, env, 2*time.Second, k, "a hung Secret Service under a running daemon")
		r := quick(t, env, 10*time.Second, "", "refresh", "--json")
		if st := parseStatus(t, r, "refresh with a hung Secret Service"); st.Key.Fingerprint != fp(k) {
			t.Fatalf("refresh with a hung Secret Service dropped the key: %+v", st.Key)
		}
		t.Logf("refresh with a hung Secret Service returned in %v", r.Duration.Round(time.Millisecond))
		wantKeyQuick(t, env, 2*time.Second, k, "after that refresh")
		if d.Exited() {
			t.Fatalf("the daemon died:\n%s", d)
		}
	})
}
