//go:build linux

package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// The Secret Service attributes go-keyring (v0.2.8, keyring_unix.go) gives its items; the
// keychain item of DESIGN.md is service=claude-keytray, username=default, in the "login"
// collection.
const (
	KeyringService     = "claude-keytray"
	KeyringAccount     = "default"
	keyringServiceAttr = "service"
	keyringAccountAttr = "username"
	loginCollection    = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
)

// StartKeyring starts gnome-keyring-daemon's Secret Service on the Env's bus (starting the
// bus if needed), in the foreground so cleanup can stop it, and waits until its login
// collection answers and is unlocked. The keyring files live in the Env's XDG_DATA_HOME, so
// StartKeyring after StopKeyring brings back the same items.
func (e *Env) StartKeyring(t testing.TB) {
	t.Helper()
	Require(t, "gnome-keyring-daemon")
	e.StartBus(t)
	e.mu.Lock()
	if e.keyring != nil && !e.keyring.Exited() {
		e.mu.Unlock()
		return
	}
	if e.keyPass == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		e.keyPass = hex.EncodeToString(b)
	}
	pass := e.keyPass
	e.mu.Unlock()

	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Env = e.Environ()
	cmd.Dir = e.Home()
	// --unlock reads the login password from stdin up to EOF; a fresh keyring is created with it.
	cmd.Stdin = strings.NewReader(pass)
	p := &Proc{Cmd: cmd, name: "gnome-keyring-daemon", done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stderr
	p.start(t)
	e.mu.Lock()
	e.keyring = p
	e.mu.Unlock()

	e.WaitForName(t, "org.freedesktop.secrets", true, 15*time.Second, p)
	// The name can be owned a moment before the login collection is unlocked.
	deadline := time.Now().Add(10 * time.Second)
	for {
		locked, err := e.BusConn(t).Object("org.freedesktop.secrets", loginCollection).
			GetProperty("org.freedesktop.Secret.Collection.Locked")
		if err == nil && locked.Value() == false {
			return
		}
		if p.Exited() {
			t.Fatalf("testenv: gnome-keyring-daemon exited during start:\n%s", p)
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: the login collection is not unlocked after 10s (last: %v, %v):\n%s", locked, err, p)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// StopKeyring stops the keyring daemon and waits until org.freedesktop.secrets is gone from
// the bus: keychain calls then fail, as when the user's keyring daemon dies. The bus will not
// start another one.
func (e *Env) StopKeyring(t testing.TB) {
	t.Helper()
	e.mu.Lock()
	p := e.keyring
	e.keyring = nil
	e.mu.Unlock()
	if p == nil {
		return
	}
	p.Stop(5 * time.Second)
	e.WaitForName(t, "org.freedesktop.secrets", false, 10*time.Second, nil)
}

// SecretToolLookup reads the claude-keytray keychain item with secret-tool, the way a user
// would check it: (secret, true) when present, ("", false) when not.
func (e *Env) SecretToolLookup(t testing.TB) (string, bool) {
	t.Helper()
	Require(t, "secret-tool")
	r := e.Exec(t, "", "secret-tool", "lookup", keyringServiceAttr, KeyringService, keyringAccountAttr, KeyringAccount)
	switch {
	case r.ExitCode == 0:
		return strings.TrimSuffix(r.Stdout, "\n"), true
	case r.ExitCode == 1 && r.Stdout == "" && strings.TrimSpace(r.Stderr) == "":
		return "", false
	default:
		t.Fatalf("testenv: secret-tool lookup failed (exit %d): %s", r.ExitCode, r.Stderr)
		return "", false
	}
}

// SecretToolStore writes the claude-keytray keychain item with secret-tool, as if an earlier
// run had stored it.
func (e *Env) SecretToolStore(t testing.TB, secret string) {
	t.Helper()
	Require(t, "secret-tool")
	r := e.Exec(t, secret, "secret-tool", "store", "--label=Password for 'default' on 'claude-keytray'",
		keyringServiceAttr, KeyringService, keyringAccountAttr, KeyringAccount)
	if r.ExitCode != 0 {
		t.Fatalf("testenv: secret-tool store failed (exit %d): %s", r.ExitCode, r.Stderr)
	}
}

// SecretToolClear deletes the claude-keytray keychain item.
func (e *Env) SecretToolClear(t testing.TB) {
	t.Helper()
	Require(t, "secret-tool")
	r := e.Exec(t, "", "secret-tool", "clear", keyringServiceAttr, KeyringService, keyringAccountAttr, KeyringAccount)
	if r.ExitCode != 0 {
		t.Fatalf("testenv: secret-tool clear failed (exit %d): %s", r.ExitCode, r.Stderr)
	}
}
