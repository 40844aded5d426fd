//go:build linux

package testenv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StartPass makes a throwaway GPG key (no passphrase) in a GNUPGHOME of the Env's own and
// initialises a password store for it in PASSWORD_STORE_DIR; both variables are set in the
// Env. The gpg-agent it starts is stopped in cleanup. It returns the key's fingerprint.
func (e *Env) StartPass(t testing.TB) string {
	t.Helper()
	Require(t, "pass", "gpg", "gpgconf")
	// Under the short runtime dir: gpg-agent's socket lives in GNUPGHOME.
	gnupg := filepath.Join(e.RuntimeDir, "gnupg")
	if err := os.Mkdir(gnupg, 0o700); err != nil {
		t.Fatalf("testenv: StartPass: create %s: %v", gnupg, err)
	}
	store := filepath.Join(e.Dir, "password-store")
	e.Set("GNUPGHOME", gnupg)
	e.Set("PASSWORD_STORE_DIR", store)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Command(ctx, "gpgconf", "--kill", "all").Run()
	})

	r := e.Exec(t, "", "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
		"--quick-generate-key", "claude-keytray test <test@claude-keytray.invalid>", "default", "default", "never")
	if r.ExitCode != 0 {
		t.Fatalf("testenv: gpg key generation failed (exit %d): %s", r.ExitCode, r.Stderr)
	}
	r = e.Exec(t, "", "gpg", "--batch", "--with-colons", "--list-secret-keys")
	fpr := ""
	for _, line := range strings.Split(r.Stdout, "\n") {
		if f := strings.Split(line, ":"); len(f) > 9 && f[0] == "fpr" {
			fpr = f[9]
			break
		}
	}
	if r.ExitCode != 0 || fpr == "" {
		t.Fatalf("testenv: no fingerprint for the generated gpg key (exit %d): %s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	r = e.Exec(t, "", "pass", "init", fpr)
	if r.ExitCode != 0 {
		t.Fatalf("testenv: pass init failed (exit %d): %s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	return fpr
}

// PassInsert stores value under name in the Env's password store (StartPass first).
func (e *Env) PassInsert(t testing.TB, name, value string) {
	t.Helper()
	if e.Get("PASSWORD_STORE_DIR") == "" {
		t.Fatalf("testenv: PassInsert before StartPass")
	}
	r := e.Exec(t, value+"\n", "pass", "insert", "--multiline", "--force", name)
	if r.ExitCode != 0 {
		t.Fatalf("testenv: pass insert %s failed (exit %d): %s%s", name, r.ExitCode, r.Stdout, r.Stderr)
	}
}

// PassShow returns the first line of name in the Env's password store, as `pass show` prints it.
func (e *Env) PassShow(t testing.TB, name string) string {
	t.Helper()
	r := e.Exec(t, "", "pass", "show", name)
	if r.ExitCode != 0 {
		t.Fatalf("testenv: pass show %s failed (exit %d): %s", name, r.ExitCode, r.Stderr)
	}
	first, _, _ := strings.Cut(r.Stdout, "\n")
	return first
}
