//go:build linux

package packaging

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestDebPackage builds the .deb and .rpm with scripts/dist.sh (nfpm through the module proxy)
// and runs the packaged program in an empty HOME.
func TestDebPackage(t *testing.T) {
	dpkgDeb := requireTool(t, "dpkg-deb", "dpkg")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "dist.sh"), "packages")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "DIST_DIR="+dist, "VERSION=1.2.3", "COMMIT=test")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/dist.sh packages: %v\n%s", err, out)
	}
	t.Logf("scripts/dist.sh packages took %v", time.Since(start).Round(time.Second))

	arch := runtime.GOARCH
	deb := filepath.Join(dist, "claude-keytray_1.2.3-1_"+arch+".deb")
	rpms, _ := filepath.Glob(filepath.Join(dist, "claude-keytray-1.2.3-1.*.rpm"))
	if len(rpms) != 1 {
		entries, _ := os.ReadDir(dist)
		t.Fatalf("want one .rpm in %s, have %v", dist, entries)
	}
	if b, err := os.ReadFile(rpms[0]); err != nil || len(b) < 4 || string(b[:4]) != "\xed\xab\xee\xdb" {
		t.Fatalf("%s is not an rpm (%v)", rpms[0], err)
	}

	fields, err := exec.Command(dpkgDeb, "-f", deb, "Package", "Version", "Architecture").Output()
	if err != nil {
		t.Fatalf("dpkg-deb -f %s: %v", deb, err)
	}
	if want := "Package: claude-keytray\nVersion: 1.2.3-1\nArchitecture: " + arch + "\n"; string(fields) != want {
		t.Fatalf("control fields:\n%s\nwant\n%s", fields, want)
	}
	list, err := exec.Command(dpkgDeb, "-c", deb).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"./usr/bin/claude-keytray",
		"./usr/bin/claude-keytray-key",
		"./usr/share/applications/claude-keytray.desktop",
		"./usr/share/icons/hicolor/16x16/apps/claude-keytray.png",
		"./usr/share/icons/hicolor/256x256/apps/claude-keytray.png",
		"./usr/share/icons/hicolor/scalable/apps/claude-keytray.svg",
		"./usr/lib/systemd/user/claude-keytray.service",
		"./usr/lib/systemd/user/claude-keytray-daemon.service",
		"./usr/share/man/man1/claude-keytray.1.gz",
		"./usr/share/man/man1/claude-keytray-setup.1.gz",
		"./usr/share/bash-completion/completions/claude-keytray",
		"./usr/share/zsh/vendor-completions/_claude-keytray",
		"./usr/share/fish/vendor_completions.d/claude-keytray.fish",
	} {
		if !strings.Contains(string(list), " "+p+"\n") {
			t.Errorf("the .deb lacks %s", p)
		}
	}
	if strings.Contains(string(list), "gen-dist-files") {
		t.Error("the hidden gen-dist-files command got a man page")
	}

	x := t.TempDir()
	if out, err := exec.Command(dpkgDeb, "-x", deb, x).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -x: %v\n%s", err, out)
	}
	bin := filepath.Join(x, "usr", "bin", "claude-keytray")
	if fi, err := os.Stat(bin); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("packaged binary: %v %v", fi, err)
	}
	home := t.TempDir()
	run := func(args ...string) (string, int) {
		c := exec.Command(bin, args...)
		// A world of its own: no session bus, no real HOME.
		c.Env = []string{"HOME=" + home, "XDG_RUNTIME_DIR=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "PATH=/usr/bin:/bin"}
		out, err := c.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("running the packaged binary: %v", err)
		}
		return string(out), code
	}
	if out, code := run("version"); code != 0 || !strings.Contains(out, "claude-keytray 1.2.3 (commit test") {
		t.Fatalf("packaged version: exit %d, %q", code, out)
	}
	out, _ := run("doctor", "--json", "--no-verify")
	var rep struct {
		OK     bool `json:"ok"`
		Checks []struct{ Name, Status string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Checks) == 0 {
		t.Fatalf("packaged doctor --json: %v\n%s", err, out)
	}
	hasDaemon := false
	for _, c := range rep.Checks {
		hasDaemon = hasDaemon || c.Name == "daemon"
	}
	if !hasDaemon {
		t.Errorf("doctor --json has no daemon check: %s", out)
	}

	if v, err := exec.LookPath("desktop-file-validate"); err == nil {
		if out, err := exec.Command(v, filepath.Join(x, "usr", "share", "applications", "claude-keytray.desktop")).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("desktop-file-validate on the packaged entry: %v\n%s", err, out)
		}
	}
	unit, _ := os.ReadFile(filepath.Join(x, "usr", "lib", "systemd", "user", "claude-keytray-daemon.service"))
	if !strings.Contains(string(unit), "ExecStart=/usr/bin/claude-keytray daemon\n") || !strings.Contains(string(unit), "WantedBy=default.target") {
		t.Errorf("packaged daemon unit:\n%s", unit)
	}
}
