//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
)

// A key in plain text in Claude's settings, as people leave one: doctor fails on it, install
// keeps no copy of it and, asked to, moves it into the real keychain (secret-tool reads it
// back) and out of the settings; after uninstall no file holds it.
func TestPlaintextKeyMovesToKeychain(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, _ := keychainEnv(t, k)
	settings := "{\n  \"env\": {\"ANTHROPIC_API_KEY\": \"" + k + "\"},\n  \"model\": \"opus\"\n}\n"
	env.WriteFile(t, ".claude/settings.json", settings, 0o600)
	path := filepath.Join(env.Home(), ".claude", "settings.json")

	r := env.Run(t, "doctor", "--no-verify")
	if r.ExitCode == 0 || !strings.Contains(r.Stdout, "env.ANTHROPIC_API_KEY") || strings.Contains(r.Stdout, k) {
		t.Fatalf("doctor over a plaintext key in the settings: exit %d\n%s", r.ExitCode, r.Stdout)
	}

	// Without a terminal and without --move-key: installed, the key left where it is and
	// said so, and no backup of ours holds it.
	r = env.Run(t, "install", "--no-autostart")
	wantExit(t, r, 0, "install")
	if !strings.Contains(r.Stdout, "--move-key") || strings.Contains(r.Stdout+r.Stderr, k) {
		t.Fatalf("install did not say how to move the key (or showed it):\n%s%s", r.Stdout, r.Stderr)
	}
	if b, _ := os.ReadFile(path + claude.BackupSuffix); len(b) == 0 || strings.Contains(string(b), k) {
		t.Fatalf("the backup is missing or holds the key: %q", b)
	}
	if _, ok := env.SecretToolLookup(t); ok {
		t.Fatal("the key went into the keychain without being asked to")
	}

	r = env.Run(t, "install", "--no-autostart", "--move-key")
	wantExit(t, r, 0, "install --move-key")
	if got, ok := env.SecretToolLookup(t); !ok || got != k {
		t.Fatalf("the keychain holds %q, want the moved key %s", auth.Fingerprint(got), auth.Fingerprint(k))
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), k) || !strings.Contains(string(b), `"model": "opus"`) {
		t.Fatalf("settings after the move: %s", b)
	}
	if r := env.Run(t, "doctor", "--no-verify", "--json"); strings.Contains(r.Stdout, "plain text in Claude's settings") {
		t.Fatalf("doctor still finds the key in the settings:\n%s", r.Stdout)
	}

	wantExit(t, env.Run(t, "uninstall"), 0, "uninstall")
	assertNoFileHolds(t, env.Home(), k)
}

// A failing install says why, and not first that there was nothing to change.
func TestFailedInstallSaysOnlyWhy(t *testing.T) {
	t.Parallel()
	env, _ := keychainEnv(t)
	env.WriteFile(t, ".claude/settings.json", `{"apiKeyHelper": "/usr/local/bin/corp-helper"}`, 0o600)
	r := env.Run(t, "install", "--no-autostart")
	if r.ExitCode == 0 || strings.Contains(r.Stdout+r.Stderr, "Nothing to change") || !strings.Contains(r.Stderr, "--force") {
		t.Fatalf("install over a foreign helper: exit %d\nstdout: %s\nstderr: %s", r.ExitCode, r.Stdout, r.Stderr)
	}
}

// doctor flags a world-writable program, its folder and the home folder.
func TestDoctorFlagsWorldWritable(t *testing.T) {
	t.Parallel()
	env, _ := keychainEnv(t)
	if err := os.Chmod(env.Home(), 0o777); err != nil {
		t.Fatal(err)
	}
	r := env.Run(t, "doctor", "--no-verify")
	if r.ExitCode == 0 || !strings.Contains(strings.ToLower(r.Stdout), "the home folder "+strings.ToLower(env.Home())+" has mode 0777") {
		t.Fatalf("doctor with a world-writable home: exit %d\n%s", r.ExitCode, r.Stdout)
	}
}

// assertNoFileHolds fails when any file under root holds secret.
func assertNoFileHolds(t *testing.T, root, secret string) {
	t.Helper()
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&os.ModeSymlink != 0 {
			return nil
		}
		if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), secret) {
			t.Errorf("%s holds the key in plain text", path)
		}
		return nil
	})
}
