//go:build linux

package packaging

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
)

// fakeSystemctl stands in for `systemctl --user`: no systemd user manager can run in the test
// containers, so the calls Enable and Disable make are recorded and answered from a folder of
// "enabled" marks. With down set it answers like a session without a user manager.
const fakeSystemctl = `#!/bin/sh
args=""
for a in "$@"; do [ "$a" = --user ] || args="$args $a"; done
echo "${args# }" >> "$FAKE_SYSTEMCTL_LOG"
if [ -n "$FAKE_SYSTEMCTL_DOWN" ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi
set -- $args
case "$1" in
show) echo "Version=252"; exit 0 ;;
daemon-reload) exit 0 ;;
enable) touch "$FAKE_SYSTEMCTL_STATE/$2"; exit 0 ;;
disable) rm -f "$FAKE_SYSTEMCTL_STATE/$2"; exit 0 ;;
is-enabled) if [ -e "$FAKE_SYSTEMCTL_STATE/$2" ]; then echo enabled; exit 0; fi; echo disabled; exit 1 ;;
is-active) echo inactive; exit 3 ;;
esac
echo "fake systemctl: unexpected $args" >&2
exit 1
`

type testWorld struct {
	dir   string
	paths auth.Paths
	log   string
}

// newWorld gives the test its own HOME and XDG folders and puts the fake systemctl first on
// PATH, so nothing can reach the real user's service manager.
func newWorld(t *testing.T, systemdUp bool) *testWorld {
	dir := t.TempDir()
	w := &testWorld{dir: dir, log: filepath.Join(dir, "systemctl.log")}
	for _, d := range []string{"home", "config", "state", "run", "bin", "enabled"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "systemctl"), []byte(fakeSystemctl), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(dir, "run"))
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(dir, "run", "no-bus"))
	t.Setenv("PATH", filepath.Join(dir, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_SYSTEMCTL_LOG", w.log)
	t.Setenv("FAKE_SYSTEMCTL_STATE", filepath.Join(dir, "enabled"))
	if systemdUp {
		t.Setenv("FAKE_SYSTEMCTL_DOWN", "")
	} else {
		t.Setenv("FAKE_SYSTEMCTL_DOWN", "1")
	}
	p, err := auth.DefaultPaths()
	if err != nil {
		t.Fatal(err)
	}
	w.paths = p
	return w
}

// tree lists the files and folders under XDG_CONFIG_HOME with their contents.
func (w *testWorld) tree(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := filepath.Join(w.dir, "config")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			out[rel] = "<dir>"
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (w *testWorld) calls(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(w.log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	os.Remove(w.log)
	return strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(b)), " ", "_"))
}

func actions(cs []claude.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Action+" "+filepath.Base(c.Path))
	}
	return out
}

const oddExe = "/opt/My Apps/claude-keytray"

func TestEnableDisableWithoutSystemd(t *testing.T) {
	w := newWorld(t, false)
	before := w.tree(t)
	o := Options{Exe: oddExe, Mode: ModeTray, Paths: w.paths}

	dry := o
	dry.DryRun = true
	changes, err := Enable(dry)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 5 || !maps.Equal(before, w.tree(t)) {
		t.Fatalf("dry run: %v, and the tree changed: %v", actions(changes), !maps.Equal(before, w.tree(t)))
	}

	changes, err = Enable(o)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"created systemd", "created user", "created claude-keytray.service", "created autostart", "created claude-keytray.desktop"}
	if got := actions(changes); !slices.Equal(got, want) {
		t.Fatalf("Enable tray: %v, want %v", got, want)
	}
	tr := w.tree(t)
	golden(t, "enable/claude-keytray.desktop", []byte(tr["autostart/claude-keytray.desktop"]))
	golden(t, "enable/claude-keytray.service", []byte(tr["systemd/user/claude-keytray.service"]))
	if strings.Contains(tr["autostart/claude-keytray.desktop"], "X-systemd-skip") {
		t.Error("without a user manager the autostart entry must not defer to systemd")
	}
	if on, err := Enabled(o); err != nil || !on {
		t.Fatalf("Enabled after Enable: %v %v", on, err)
	}
	if m, ok := InstalledMode(o); !ok || m != ModeTray {
		t.Fatalf("InstalledMode: %q %v", m, ok)
	}

	if changes, err := Enable(o); err != nil || len(changes) != 0 {
		t.Fatalf("second Enable: %v %v", actions(changes), err)
	}

	// Switching to the daemon takes the tray's entries away.
	o.Mode = ModeDaemon
	changes, err = Enable(o)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"created claude-keytray-daemon.service", "removed claude-keytray.service", "removed claude-keytray.desktop"}
	if got := actions(changes); !slices.Equal(got, want) {
		t.Fatalf("Enable daemon after tray: %v, want %v", got, want)
	}

	changes, err = Disable(o)
	if err != nil {
		t.Fatal(err)
	}
	if after := w.tree(t); !maps.Equal(before, after) {
		t.Fatalf("Disable left %v (changes %v)", after, actions(changes))
	}
	if _, err := os.Stat(recordPath(w.paths)); !os.IsNotExist(err) {
		t.Fatal("Disable left its record")
	}
	if on, _ := Enabled(o); on {
		t.Fatal("Enabled after Disable")
	}
	if changes, err := Disable(o); err != nil || len(changes) != 0 {
		t.Fatalf("second Disable: %v %v", actions(changes), err)
	}
	if c := w.calls(t); slices.ContainsFunc(c, func(s string) bool { return !strings.HasPrefix(s, "show") }) {
		t.Fatalf("without a user manager only the probe may run, got %v", c)
	}
}

func TestEnableRefusesForeignFiles(t *testing.T) {
	w := newWorld(t, false)
	entry := AutostartPath(w.paths)
	mine := "[Desktop Entry]\nType=Application\nName=My own\nExec=claude-keytray tray --verbose\n"
	if err := os.MkdirAll(filepath.Dir(entry), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(entry, []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Exe: oddExe, Mode: ModeTray, Paths: w.paths}
	before := w.tree(t)
	if _, err := Enable(o); err == nil || !strings.Contains(err.Error(), entry) {
		t.Fatalf("Enable over a file it did not write: %v", err)
	}
	if !maps.Equal(before, w.tree(t)) {
		t.Fatalf("a refused Enable left files: %v", w.tree(t))
	}
	if _, err := Disable(o); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(entry); string(b) != mine {
		t.Fatal("a file install did not write was changed or removed")
	}
}

func TestEnableDisableWithSystemd(t *testing.T) {
	w := newWorld(t, true)
	before := w.tree(t)
	o := Options{Exe: "/usr/local/bin/claude-keytray", Mode: ModeTray, Paths: w.paths}
	changes, err := Enable(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(changes); !slices.Contains(got, "enabled claude-keytray.service") {
		t.Fatalf("Enable did not enable the unit: %v", got)
	}
	calls := w.calls(t)
	for _, want := range []string{"daemon-reload", "enable_claude-keytray.service"} {
		if !slices.Contains(calls, want) {
			t.Errorf("Enable did not run systemctl --user %s: %v", want, calls)
		}
	}
	if b, _ := os.ReadFile(AutostartPath(w.paths)); !strings.Contains(string(b), "\nX-systemd-skip=true\n") {
		t.Errorf("with the tray unit enabled, systemd sessions must skip the autostart entry:\n%s", b)
	}
	if changes, err := Enable(o); err != nil || len(changes) != 0 {
		t.Fatalf("second Enable: %v %v", actions(changes), err)
	}
	w.calls(t)

	o.Mode = ModeDaemon
	if _, err := Enable(o); err != nil {
		t.Fatal(err)
	}
	calls = w.calls(t)
	for _, want := range []string{"disable_claude-keytray.service", "enable_claude-keytray-daemon.service", "daemon-reload"} {
		if !slices.Contains(calls, want) {
			t.Errorf("switching to the daemon did not run systemctl --user %s: %v", want, calls)
		}
	}
	changes, err = Disable(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(changes); !slices.Contains(got, "disabled claude-keytray-daemon.service") {
		t.Fatalf("Disable: %v", got)
	}
	if !maps.Equal(before, w.tree(t)) {
		t.Fatalf("Disable left files: %v", w.tree(t))
	}
	if entries, _ := os.ReadDir(filepath.Join(w.dir, "enabled")); len(entries) != 0 {
		t.Fatalf("units still enabled: %v", entries)
	}
}
