//go:build linux

package securitytest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// requireRoot fails under CI and skips elsewhere when the test cannot run as root.
func requireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Getuid() == 0 {
		return
	}
	if testenv.InCI() {
		t.Fatalf("this test %s and must run as root", why)
	}
	t.Skipf("this test %s and must run as root", why)
}

// smallDisk mounts a 64 KiB tmpfs on a fresh folder; it is detached in cleanup even while a
// process (the keyring daemon) still has files open on it.
func smallDisk(t testing.TB) string {
	t.Helper()
	requireRoot(t, "mounts a tmpfs")
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"); err != nil {
		if testenv.InCI() {
			t.Fatalf("mount -t tmpfs -o size=64k %s: %v", dir, err)
		}
		t.Skipf("cannot mount a tmpfs here (%v); the full-disk test needs CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill writes a file on dir's filesystem until it is full and returns a function that frees it.
func fill(t testing.TB, dir string) (free func()) {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 512)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			break
		}
	}
	f.Close()
	// Even a one-byte file must not fit any more.
	if err := os.WriteFile(filepath.Join(dir, "probe"), []byte("x"), 0o600); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("the disk %s is not full: writing a byte gave %v", dir, err)
	}
	os.Remove(filepath.Join(dir, "probe"))
	return func() { os.Remove(p) }
}

// TestFullDisk: with no space left, install and update-key fail with an error that says so and
// leave what was there (settings.json, the helper, the keychain) as it was.
func TestFullDisk(t *testing.T) {
	t.Parallel()
	orig := "{\n  \"model\": \"opus\",\n  \"apiKeyHelper\": \"~/bin/old-helper.sh\"\n}\n"

	t.Run("HOME and the XDG dirs on a full disk", func(t *testing.T) {
		t.Parallel()
		testenv.Require(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool")
		disk := smallDisk(t)
		k1, k2 := newKey(t), newKey(t)
		env := newEnv(t)
		for v, sub := range map[string]string{"HOME": "home", "XDG_CONFIG_HOME": "config", "XDG_STATE_HOME": "state",
			"XDG_DATA_HOME": "data", "XDG_CACHE_HOME": "cache", "TMPDIR": "tmp"} {
			d := filepath.Join(disk, sub)
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Fatal(err)
			}
			env.Set(v, d)
		}
		env.StartBus(t)
		env.StartKeyring(t)
		api := testenv.NewFakeAPI(t, k1, k2)
		env.UseFakeAPI(api)
		settings := env.WriteFile(t, ".claude/settings.json", orig, 0o600)
		helper := filepath.Join(env.ClaudeDir(), claude.HelperFileName)
		wantExit(t, env.RunInput(t, k1, "update-key"), 0, "update-key before the disk fills")

		free := fill(t, disk)
		r := env.Run(t, "install", "--no-autostart", "--force")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "no space left on device") {
			t.Fatalf("install on a full disk: exit %d, want an error naming the full disk\nstdout: %s\nstderr: %s", r.ExitCode, r.Stdout, r.Stderr)
		}
		wantIntact(t, settings, orig, helper)

		r = env.RunInput(t, k2, "update-key")
		switch got := stored(t, env); {
		case r.ExitCode == 0 && got == k2:
			t.Logf("update-key on a full disk stored the new key (the keyring daemon kept it): %s", strings.TrimSpace(r.Stdout))
		case r.ExitCode != 0 && got == k1:
			t.Logf("update-key on a full disk failed and kept the old key: %s", strings.TrimSpace(r.Stderr))
		default:
			t.Fatalf("update-key on a full disk: exit %d and the keychain holds %s (old %s, new %s)\nstderr: %s", r.ExitCode, fp(got), fp(k1), fp(k2), r.Stderr)
		}
		want := stored(t, env)
		if r := env.Run(t, "key"); r.ExitCode != 0 || r.Stdout != want+"\n" {
			t.Fatalf("key on a full disk: exit %d, %s, want %s\nstderr: %s", r.ExitCode, fp(strings.TrimSpace(r.Stdout)), fp(want), r.Stderr)
		}
		wantIntact(t, settings, orig, helper)

		// With room again, install and uninstall work and give back the original bytes.
		free()
		wantExit(t, env.Run(t, "install", "--no-autostart", "--force"), 0, "install once there is room")
		wantExit(t, env.Run(t, "uninstall"), 0, "uninstall")
		if b, _ := os.ReadFile(settings); string(b) != orig {
			t.Fatalf("after install and uninstall the settings are:\n%s", b)
		}
	})

	// Only the state folder is full: install can write the helper and the settings but not its
	// record of them. It must then not have changed the settings, or uninstall could not undo it.
	t.Run("only the state folder on a full disk", func(t *testing.T) {
		t.Parallel()
		disk := smallDisk(t)
		env := newEnv(t)
		env.Set("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(env.Dir, "no-bus"))
		env.Set("XDG_STATE_HOME", disk)
		settings := env.WriteFile(t, ".claude/settings.json", orig, 0o600)
		helper := filepath.Join(env.ClaudeDir(), claude.HelperFileName)
		free := fill(t, disk)
		r := env.Run(t, "install", "--no-autostart", "--force")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "no space left on device") {
			t.Fatalf("install with a full state folder: exit %d\nstdout: %s\nstderr: %s", r.ExitCode, r.Stdout, r.Stderr)
		}
		if b, _ := os.ReadFile(settings); string(b) != orig {
			t.Fatalf("install failed for want of room for its record but changed the settings:\n%s", b)
		}
		_ = helper // the helper holds no secret and may be written before the record
		free()
		wantExit(t, env.Run(t, "install", "--no-autostart", "--force"), 0, "install once there is room")
		wantExit(t, env.Run(t, "uninstall"), 0, "uninstall")
		if b, _ := os.ReadFile(settings); string(b) != orig {
			t.Fatalf("after a failed install, install and uninstall do not give back the original settings:\n%s", b)
		}
	})
}

// wantIntact checks that settings.json still holds orig and that no helper was half-written.
func wantIntact(t testing.TB, settings, orig, helper string) {
	t.Helper()
	if b, err := os.ReadFile(settings); err != nil || string(b) != orig {
		t.Fatalf("settings.json changed on a full disk (%v):\n%s", err, b)
	}
	if b, err := os.ReadFile(helper); err == nil && !bytes.HasPrefix(b, []byte("#!/bin/sh\n")) {
		t.Fatalf("a half-written helper was left:\n%q", b)
	} else if err == nil {
		t.Logf("the helper was written whole (%d bytes)", len(b))
	}
}
