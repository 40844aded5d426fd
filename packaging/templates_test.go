package packaging

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claude-keytray/claude-keytray/assets"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run `go test ./packaging -update` to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// requireTool fails under CI and skips elsewhere when a program the test runs is missing.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not on PATH; install the Debian package %s", name, pkg)
	}
	t.Skipf("%s is not on PATH; install the Debian package %s", name, pkg)
	return ""
}

func TestUnitTargets(t *testing.T) {
	for _, tc := range []struct {
		mode    Mode
		origin  UnitOrigin
		want    []string
		notWant []string
	}{
		{ModeTray, PerUser,
			[]string{"PartOf=graphical-session.target", "After=graphical-session.target", "WantedBy=graphical-session.target", "Restart=on-failure", "ExecStart=/usr/local/bin/claude-keytray tray", installMarker},
			[]string{"multi-user.target", "default.target", "Restart=always", "Documentation="}},
		{ModeDaemon, PerUser,
			[]string{"WantedBy=default.target", "Restart=on-failure", "ExecStart=/usr/local/bin/claude-keytray daemon", installMarker},
			[]string{"multi-user.target", "graphical-session.target", "Restart=always"}},
		{ModeTray, Vendor,
			[]string{"WantedBy=graphical-session.target", "PartOf=graphical-session.target", "Restart=on-failure", "Documentation=man:claude-keytray(1)"},
			[]string{"multi-user.target", installMarker}},
		{ModeDaemon, Vendor,
			[]string{"WantedBy=default.target", "Restart=on-failure"},
			[]string{"multi-user.target", "graphical-session", installMarker}},
	} {
		u := string(SystemdUnit(tc.mode, "/usr/local/bin/claude-keytray", tc.origin))
		lines := map[string]bool{}
		for _, l := range strings.Split(u, "\n") {
			lines[l] = true
		}
		for _, w := range tc.want {
			if !lines[w] && !strings.Contains(u, w) {
				t.Errorf("%s unit (origin %d) lacks %q:\n%s", tc.mode, tc.origin, w, u)
			}
		}
		for _, nw := range tc.notWant {
			if strings.Contains(u, nw) {
				t.Errorf("%s unit (origin %d) has %q:\n%s", tc.mode, tc.origin, nw, u)
			}
		}
	}
	golden(t, "cli/claude-keytray-daemon.service", SystemdUnit(ModeDaemon, "@BIN@", PerUser))
	golden(t, "units/claude-keytray.service", SystemdUnit(ModeTray, InstalledExe, Vendor))
	golden(t, "units/claude-keytray-daemon.service", SystemdUnit(ModeDaemon, InstalledExe, Vendor))
}

// TestUnitsVerify runs systemd's own checker on the units, with a program that exists.
func TestUnitsVerify(t *testing.T) {
	analyze := requireTool(t, "systemd-analyze", "systemd")
	exe, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, m := range []Mode{ModeTray, ModeDaemon} {
		p := filepath.Join(dir, UnitName(m))
		if err := os.WriteFile(p, SystemdUnit(m, exe, PerUser), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(analyze, "verify", "--user", p)
		// The user manager it simulates needs a runtime folder and a home of its own.
		cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+dir, "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", UnitName(m), err, out)
		}
	}
}

func TestQuoting(t *testing.T) {
	for _, tc := range []struct{ exe, systemd, desktop string }{
		{"/usr/bin/claude-keytray", "/usr/bin/claude-keytray tray", "/usr/bin/claude-keytray tray"},
		{"/opt/My Apps/claude-keytray", `"/opt/My Apps/claude-keytray" tray`, `"/opt/My Apps/claude-keytray" tray`},
		{"/opt/100%/$x/claude-keytray", "/opt/100%%/$$x/claude-keytray tray", `"/opt/100%%/\\$x/claude-keytray" tray`},
		{`/opt/a"b/claude-keytray`, `"/opt/a\"b/claude-keytray" tray`, `"/opt/a\\"b/claude-keytray" tray`},
	} {
		if got := systemdExec(tc.exe, ModeTray.args()); got != tc.systemd {
			t.Errorf("systemdExec(%q) = %s, want %s", tc.exe, got, tc.systemd)
		}
		if got := desktopExec(tc.exe, ModeTray.args()); got != tc.desktop {
			t.Errorf("desktopExec(%q) = %s, want %s", tc.exe, got, tc.desktop)
		}
	}
}

func TestDesktopEntriesValidate(t *testing.T) {
	validate := requireTool(t, "desktop-file-validate", "desktop-file-utils")
	dir := t.TempDir()
	entries := map[string][]byte{
		"autostart.desktop":      AutostartEntry("/opt/My Apps/claude-keytray", false),
		"autostart-skip.desktop": AutostartEntry("/usr/bin/claude-keytray", true),
		AppID + ".desktop":       ApplicationEntry("claude-keytray"),
	}
	for name, b := range entries {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(validate, p).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("desktop-file-validate %s: %v\n%s\n%s", name, err, out, b)
		}
	}
	golden(t, "applications/claude-keytray.desktop", ApplicationEntry("claude-keytray"))
	if !bytes.Contains(entries["autostart-skip.desktop"], []byte("\nX-systemd-skip=true\n")) ||
		bytes.Contains(entries["autostart.desktop"], []byte("X-systemd-skip")) {
		t.Error("X-systemd-skip is not set exactly when asked")
	}
}

func TestLaunchAgentPlist(t *testing.T) {
	b := LaunchAgentPlist(ModeTray, "/Applications/Claude Keytray.app/Contents/MacOS/claude-keytray", "/Users/u/Library/Application Support/claude-keytray/state/launchd.log")
	golden(t, "macos/"+LaunchAgentFile, b)
	var v struct{}
	if err := xml.Unmarshal(b, &v); err != nil {
		t.Fatalf("the LaunchAgent is not XML: %v", err)
	}
	s := string(b)
	for _, want := range []string{"<key>RunAtLoad</key>\n\t<true/>", "<key>SuccessfulExit</key>\n\t\t<false/>", "<string>tray</string>", "<string>Aqua</string>"} {
		if !strings.Contains(s, want) {
			t.Errorf("LaunchAgent lacks %q", want)
		}
	}
	if d := string(LaunchAgentPlist(ModeDaemon, "/usr/local/bin/claude-keytray", "/tmp/l")); strings.Contains(d, "Aqua") || !strings.Contains(d, "<string>daemon</string>") {
		t.Errorf("daemon LaunchAgent:\n%s", d)
	}
}

func TestInfoPlistAndICNS(t *testing.T) {
	p := InfoPlist("v1.4.2-3-gabcdef")
	golden(t, "macos/Info.plist", p)
	if !bytes.Contains(p, []byte("<key>LSUIElement</key>\n\t<true/>")) || !bytes.Contains(p, []byte("<string>1.4.2</string>")) {
		t.Fatalf("Info.plist:\n%s", p)
	}
	var v struct{}
	if err := xml.Unmarshal(p, &v); err != nil {
		t.Fatalf("Info.plist is not XML: %v", err)
	}
	icns, err := AppICNS()
	if err != nil {
		t.Fatal(err)
	}
	if string(icns[:4]) != "icns" || int(binary.BigEndian.Uint32(icns[4:8])) != len(icns) {
		t.Fatalf("bad ICNS header % x", icns[:8])
	}
	// Walk the chunks: each is a known type holding the PNG of its size.
	seen := map[string]bool{}
	for off := 8; off < len(icns); {
		kind, n := string(icns[off:off+4]), int(binary.BigEndian.Uint32(icns[off+4:off+8]))
		data := icns[off+8 : off+n]
		for _, it := range icnsTypes {
			if it.kind == kind {
				png, _ := assets.AppIconPNG(it.size)
				if !bytes.Equal(png, data) {
					t.Errorf("ICNS %s does not hold the %d px PNG", kind, it.size)
				}
				seen[kind] = true
			}
		}
		off += n
	}
	if len(seen) != len(icnsTypes) {
		t.Errorf("ICNS has %d of %d chunks", len(seen), len(icnsTypes))
	}
}

func TestDistTree(t *testing.T) {
	root := t.TempDir()
	if err := WriteDistTree(root, DistOptions{Version: "1.2.3"}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"linux/usr/share/applications/claude-keytray.desktop",
		"linux/usr/share/icons/hicolor/scalable/apps/claude-keytray.svg",
		"linux/usr/lib/systemd/user/claude-keytray.service",
		"linux/usr/lib/systemd/user/claude-keytray-daemon.service",
		"macos/Claude Keytray.app/Contents/Info.plist",
		"macos/Claude Keytray.app/Contents/Resources/claude-keytray.icns",
		"windows/winres.json",
		"windows/app.ico",
	}
	for _, s := range assets.PNGSizes() {
		want = append(want, "linux/usr/share/icons/hicolor/"+itoa(s)+"x"+itoa(s)+"/apps/claude-keytray.png")
	}
	for _, w := range want {
		if fi, err := os.Stat(filepath.Join(root, w)); err != nil || fi.Size() == 0 {
			t.Errorf("dist tree lacks %s (%v)", w, err)
		}
	}
	var winres map[string]any
	b, _ := os.ReadFile(filepath.Join(root, "windows", "winres.json"))
	if err := json.Unmarshal(b, &winres); err != nil || winres["RT_MANIFEST"] == nil || winres["RT_GROUP_ICON"] == nil {
		t.Fatalf("winres.json: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), `"1.2.3.0"`) || !strings.Contains(string(b), `"as invoker"`) {
		t.Errorf("winres.json lacks the version or the execution level:\n%s", b)
	}

	cfg, err := NFPMConfig(root, NFPMOptions{Version: "1.2.3", Arch: "arm64", Binary: "/build/claude-keytray"})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range append(want[:4], "dst: \"/usr/bin/claude-keytray\"", "src: \"/build/claude-keytray-key\"", "dst: \"/usr/bin/claude-keytray-key\"", "arch: \"arm64\"") {
		w = strings.TrimPrefix(w, "linux")
		if !strings.Contains(string(cfg), w) {
			t.Errorf("nfpm config lacks %q", w)
		}
	}
	if strings.Contains(string(cfg), "macos/") || strings.Contains(string(cfg), "windows/") {
		t.Error("nfpm config packages the macOS or Windows files")
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
