package claude

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Settings linked into a read-only place (as a Nix store is) fail before anything is written.
// A read-only mount stops even root, so the test mounts one.
func TestInstallChecksReadOnlyTargetFirst(t *testing.T) {
	e := newInstEnv(t, "")
	store := filepath.Join(e.root, "nix-store")
	if err := os.MkdirAll(store, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFileT(t, filepath.Join(store, "settings.json"), "{\"model\": \"opus\"}\n", 0o644)
	if os.Geteuid() != 0 {
		requireRoot(t, "mounting a read-only folder")
	}
	if out, err := exec.Command("mount", "--bind", store, store).CombinedOutput(); err != nil {
		requireRoot(t, "mount --bind: "+strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { syscall.Unmount(store, 0) })
	if out, err := exec.Command("mount", "-o", "remount,bind,ro", store).CombinedOutput(); err != nil {
		requireRoot(t, "remount read-only: "+strings.TrimSpace(string(out)))
	}
	if err := os.MkdirAll(e.p.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(store, "settings.json"), e.p.Settings); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e.p.Dir)
	_, err := Install(e.p, InstallOptions{Exe: e.exe})
	if err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Fatalf("install into a read-only target: %v", err)
	}
	assertSameTree(t, "after the refusal", snapshot(t, e.p.Dir), before)
}

// requireRoot skips where the test cannot get what it needs, and fails in CI, which runs as root.
func requireRoot(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s needs root, which CI has: %s", t.Name(), what)
	}
	t.Skipf("needs root (%s); run the tests as root to include it", what)
}
