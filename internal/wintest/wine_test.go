//go:build linux

package wintest

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// The Windows build runs under wine (Debian 12: wine 8.0) in a throwaway prefix, made once per
// run because wine's first start in a prefix takes tens of seconds. Nothing of ours is mocked.
// Two pieces of scaffolding stand in for what wine lacks: a small bcryptprimitives.dll
// (testdata/bcryptprimitives.c, built with mingw-w64: Go programs import ProcessPrng from it)
// and testdata/cmdline, which runs a command line as written, the way Claude Code runs the
// helper. Wine has no AF_UNIX sockets, so the control API cannot listen there: what runs is the
// client side's fallback and an engine with its API off.

// wineWorld is the prefix, the programs in it and the environment every wine process gets.
type wineWorld struct {
	env     *testenv.Env
	prefix  string
	profile string // C:\users\<name>, as a Linux path
	api     *testenv.FakeAPI
}

const (
	desktopW, desktopH = 1024, 700
	desktopSize        = "1024x700"
	// progDir holds the programs; its name needs the console code page (CP437 here).
	progDir = `Jösé Ñ\Programs`
	// claudeDir is CLAUDE_CONFIG_DIR, with what cmd would expand or split if it could.
	claudeDir = `Jösé Ñ\%OS% & ^!(x86)\.claude`
)

func TestWindowsUnderWine(t *testing.T) {
	w := newWineWorld(t)
	top := t
	console, gui := w.win(progDir, "claude-keytray.exe"), w.win(progDir, "claude-keytrayw.exe")
	key1, key2, key3 := testenv.NewKey(t), testenv.NewKey(t), testenv.NewKey(t)
	w.api.SetAccepted(key1, key2, key3)

	t.Run("version and help", func(t *testing.T) {
		r := w.wine(t, "", console, "version")
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "windows/amd64") {
			t.Fatalf("version: exit %d, %q %q", r.ExitCode, r.Stdout, r.Stderr)
		}
		r = w.wine(t, "", console, "--help")
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "update-key") {
			t.Fatalf("--help: exit %d, %q %q", r.ExitCode, r.Stdout, r.Stderr)
		}
	})

	t.Run("cmd waits for the console program and gets its exit code", func(t *testing.T) {
		r := w.wine(t, "", "cmd", "/c", console, "key")
		if r.ExitCode != 2 || !strings.Contains(strings.ToLower(r.Stdout+r.Stderr), "no key stored") {
			t.Fatalf("cmd /c claude-keytray.exe key with no key: exit %d, want 2\nstdout: %q\nstderr: %q", r.ExitCode, r.Stdout, r.Stderr)
		}
	})

	t.Run("update-key from stdin, key from Credential Manager", func(t *testing.T) {
		r := w.wine(t, key1+"\n", console, "update-key", "--no-verify")
		if r.ExitCode != 0 {
			t.Fatalf("update-key: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
		}
		w.wantKey(t, console, key1)
		if st := w.status(t, console); st.Store.Kind != "keychain" || st.Daemon.ControlAPI != "off" || !strings.Contains(st.Daemon.ControlAPIProblem, "AF_UNIX") {
			t.Fatalf("status: store %+v, daemon %+v", st.Store, st.Daemon)
		}
	})

	t.Run("a key too large for Credential Manager is refused with the reason", func(t *testing.T) {
		big := "gw-" + strings.Repeat("x", 2997)
		r := w.wine(t, big+"\n", console, "update-key", "--no-verify")
		if r.ExitCode != 1 || !strings.Contains(r.Stderr, "2,560 bytes") || !strings.Contains(r.Stderr, "3000 bytes") || strings.Contains(r.Stderr, "unavailable") {
			t.Fatalf("update-key with a 3,000-byte key: exit %d (want 1), stderr %q", r.ExitCode, r.Stderr)
		}
		w.wantKey(t, console, key1)
	})

	var helperValue string
	t.Run("install --no-autostart writes the helper and settings.json", func(t *testing.T) {
		r := w.wine(t, "", console, "install", "--no-autostart")
		if r.ExitCode != 0 {
			t.Fatalf("install --no-autostart: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
		}
		b, err := os.ReadFile(w.unix(claudeDir, "settings.json"))
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			APIKeyHelper string `json:"apiKeyHelper"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("settings.json: %v\n%s", err, b)
		}
		helperValue = s.APIKeyHelper
		helper := w.win(claudeDir, "auth_helper.cmd")
		if want := `"` + strings.ReplaceAll(helper, "%", `"%"`) + `"`; helperValue != want {
			t.Fatalf("apiKeyHelper = %s, want %s", helperValue, want)
		}
		script, err := os.ReadFile(w.unix(claudeDir, "auth_helper.cmd"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(script), cp437(w.win(progDir, "claude-keytray.exe"))) {
			t.Fatalf("the helper does not name the program in the console code page:\n%q", script)
		}
	})

	t.Run("the helper through cmd /d /s /c prints exactly the key", func(t *testing.T) {
		w.env.Set("KEYTRAY_CMDLINE", `cmd /d /s /c "`+helperValue+`"`)
		defer w.env.Set("KEYTRAY_CMDLINE", "")
		r := w.wine(t, "", w.win(progDir, "cmdline.exe"))
		if r.ExitCode != 0 || r.Stdout != key1+"\n" {
			t.Fatalf("the helper: exit %d, stdout %q (want the key and a newline)\nstderr: %s", r.ExitCode, r.Stdout, r.Stderr)
		}
	})

	t.Run("a source command with quotes", func(t *testing.T) {
		if err := os.WriteFile(w.unix(`Jösé Ñ`, "print key.cmd"), []byte("@if \"%~1\"==\"one arg\" echo "+key2+"\r\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		w.env.Set("CLAUDE_KEYTRAY_SOURCE", `"`+w.win(`Jösé Ñ`, "print key.cmd")+`" "one arg"`)
		r := w.wine(t, "", console, "refresh", "--json")
		w.env.Set("CLAUDE_KEYTRAY_SOURCE", "")
		var st auth.Status
		if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil || r.ExitCode != 0 {
			t.Fatalf("refresh with the source: exit %d, %v\n%s%s", r.ExitCode, err, r.Stdout, r.Stderr)
		}
		if st.Key.Fingerprint != auth.Fingerprint(key2) || st.Refresh.LastError != "" {
			t.Fatalf("after the refresh: key %+v, last error %q; want %s from the source", st.Key, st.Refresh.LastError, auth.Fingerprint(key2))
		}
		w.wantKey(t, console, key2)
	})

	t.Run("the Win32 clipboard", func(t *testing.T) {
		r := w.wine(t, "", w.win(progDir, "tray.test.exe"), "-test.run", "^TestReadClipboardWin32$", "-test.v")
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, "--- PASS: TestReadClipboardWin32") {
			t.Fatalf("tray's clipboard test under wine: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
		}
	})

	var trayPID int
	t.Run("the tray started as Explorer starts it keeps running", func(t *testing.T) {
		started := time.Now()
		// explorer.exe as the parent and no console: what the Run key and a double-click give.
		// Started for the whole test: the subtests below talk to this tray.
		// A desktop named "shell" gets wine's taskbar and notification area.
		w.env.Start(top, "wine", "explorer", "/desktop=shell,"+desktopSize, gui)
		st := w.waitStatus(t, console, "the tray to hold the engine's lock", 60*time.Second, func(st auth.Status) bool { return st.Daemon.Running })
		trayPID = st.Daemon.PID
		if st.Daemon.ControlAPI != "off" {
			t.Fatalf("daemon status %+v, want the control API off", st.Daemon)
		}
		time.Sleep(time.Until(started.Add(10 * time.Second)))
		if st := w.status(t, console); !st.Daemon.Running || st.Daemon.PID != trayPID {
			t.Fatalf("10 s after the start the tray is gone: %+v\nlog:\n%s", st.Daemon, w.log(t))
		}
		log := w.log(t)
		if !strings.Contains(log, "tray started") || !strings.Contains(log, "control API off") {
			t.Fatalf("the log does not say the tray started with its control API off:\n%s", log)
		}
		w.wantTrayIcon(t)
	})

	t.Run("commands work beside a tray whose control API is off", func(t *testing.T) {
		r := w.wine(t, key3+"\n", console, "update-key", "--no-verify")
		if r.ExitCode != 0 {
			t.Fatalf("update-key: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
		}
		w.wantKey(t, console, key3)
		if r := w.wine(t, "", console, "refresh"); r.ExitCode != 0 {
			t.Fatalf("refresh: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
		}
		w.env.Set("CLAUDE_API_KEY", key1)
		r = w.wine(t, "", console, "import", "--from", "CLAUDE_API_KEY")
		w.env.Set("CLAUDE_API_KEY", "")
		if r.ExitCode != 0 {
			t.Fatalf("import: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
		}
		w.wantKey(t, console, key1)
		r = w.wine(t, "", console, "status")
		if want := fmt.Sprintf("Daemon:      running (pid %d), control API off: this system has no AF_UNIX sockets", trayPID); !strings.Contains(r.Stdout, want) {
			t.Fatalf("status does not say %q:\n%s", want, r.Stdout)
		}
	})

	t.Run("install writes the Run value", func(t *testing.T) {
		r := w.wine(t, "", console, "install")
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, fmt.Sprintf("already running (pid %d)", trayPID)) {
			t.Fatalf("install: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
		}
		r = w.wine(t, "", "reg", "query", `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, "/v", "claude-keytray")
		// reg prints in the console code page.
		if want := cp437(`"` + gui + `" tray`); r.ExitCode != 0 || !strings.Contains(r.Stdout, want) {
			t.Fatalf("reg query: exit %d, %q; want the value %s", r.ExitCode, r.Stdout, want)
		}
	})

	t.Run("doctor passes on a healthy install, fails on a helper others may change", func(t *testing.T) {
		r := w.wine(t, "", console, "doctor")
		if r.ExitCode != 0 || strings.Contains(r.Stdout, "[FAIL]") {
			t.Fatalf("doctor: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
		}
		// Wine gives Everyone the rights of the file's Linux "other" bits.
		helper := w.unix(claudeDir, "auth_helper.cmd")
		if err := os.Chmod(helper, 0o666); err != nil {
			t.Fatal(err)
		}
		r = w.wine(t, "", console, "doctor")
		if err := os.Chmod(helper, 0o644); err != nil {
			t.Fatal(err)
		}
		if r.ExitCode != 1 || !strings.Contains(r.Stdout, "[FAIL] file permissions") || !strings.Contains(r.Stdout, "icacls") {
			t.Fatalf("doctor with a helper Everyone may change: exit %d\n%s", r.ExitCode, r.Stdout)
		}
	})

	t.Run("uninstall stops the tray cleanly and removes what install wrote", func(t *testing.T) {
		r := w.wine(t, "", console, "uninstall")
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, fmt.Sprintf("stopped claude-keytray (pid %d)", trayPID)) {
			t.Fatalf("uninstall: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
		}
		for _, f := range []string{"auth_helper.cmd", "settings.json"} {
			if _, err := os.Stat(w.unix(claudeDir, f)); !os.IsNotExist(err) {
				t.Errorf("%s is still there after uninstall (%v)", f, err)
			}
		}
		if r := w.wine(t, "", "reg", "query", `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, "/v", "claude-keytray"); r.ExitCode == 0 {
			t.Errorf("the Run value is still there: %s", r.Stdout)
		}
		log := w.log(t)
		if !strings.Contains(log, "stop requested") || !strings.Contains(log, "daemon stopped") {
			t.Errorf("the tray did not stop cleanly:\n%s", log)
		}
		lock := filepath.Join(w.profile, "Temp", "claude-keytray", "daemon.lock")
		if b, err := os.ReadFile(lock); err != nil || len(b) != 0 {
			t.Errorf("daemon.lock after the stop: %q, %v; want it empty", b, err)
		}
		w.wantKey(t, console, key1) // the key stays
	})
}

// newWineWorld builds the programs, makes the prefix and starts Xvfb and wineserver.
func newWineWorld(t *testing.T) *wineWorld {
	testenv.Require(t, "wine", "wineserver", "wineboot", "x86_64-w64-mingw32-gcc", "Xvfb", "import")
	start := time.Now()
	t.Cleanup(func() { t.Logf("the Windows job took %v", time.Since(start).Round(100*time.Millisecond)) })
	env := testenv.New(t)
	env.StartX(t)
	w := &wineWorld{env: env, prefix: filepath.Join(env.Dir, "wineprefix"), api: testenv.NewFakeAPI(t)}
	env.UseFakeAPI(w.api)
	env.Set("WINEPREFIX", w.prefix)
	env.Set("WINEDEBUG", "-all")
	// No Mono or Gecko install dialogs.
	env.Set("WINEDLLOVERRIDES", "mscoree,mshtml=")
	env.Set("LC_ALL", "C.UTF-8")
	// A Linux variable: a Windows program would take it for a folder on the current drive.
	env.Set("XDG_RUNTIME_DIR", "")
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	w.profile = filepath.Join(w.prefix, "drive_c", "users", u.Username)
	env.Set("CLAUDE_CONFIG_DIR", w.win(claudeDir))

	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	build := filepath.Join(env.Dir, "build")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		errs[0] = buildPrograms(root, build)
	}()
	go func() {
		defer wg.Done()
		errs[1] = w.boot(t, root)
	}()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(w.unix(progDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"claude-keytray.exe", "claude-keytrayw.exe", "cmdline.exe", "tray.test.exe"} {
		if err := os.Rename(filepath.Join(build, f), w.unix(progDir, f)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("programs built and prefix ready in %v", time.Since(start).Round(100*time.Millisecond))
	return w
}

// buildPrograms cross-builds the console program, the GUI one, the command-line runner and the
// tray package's tests for windows/amd64.
func buildPrograms(root, out string) error {
	steps := [][]string{
		{"build", "-o", filepath.Join(out, "claude-keytray.exe"), "./cmd/claude-keytray"},
		{"build", "-ldflags", "-H=windowsgui", "-o", filepath.Join(out, "claude-keytrayw.exe"), "./cmd/claude-keytray"},
		{"build", "-o", filepath.Join(out, "cmdline.exe"), "./internal/wintest/testdata/cmdline"},
		{"test", "-c", "-o", filepath.Join(out, "tray.test.exe"), "./tray"},
	}
	for _, s := range steps {
		cmd := exec.Command("go", s...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(s, " "), err, b)
		}
	}
	return nil
}

// boot starts a persistent wineserver, creates the prefix and puts the stand-in DLL in it.
func (w *wineWorld) boot(t *testing.T, root string) error {
	srv := w.env.Command(context.Background(), "wineserver", "-p", "-f")
	if err := srv.Start(); err != nil {
		return fmt.Errorf("starting wineserver: %v", err)
	}
	t.Cleanup(func() {
		w.env.Command(context.Background(), "wineserver", "-k").Run()
		srv.Wait()
	})
	if r := w.run(t, 3*time.Minute, "", "wineboot", "-i"); r.ExitCode != 0 {
		return fmt.Errorf("wineboot -i: exit %d\n%s", r.ExitCode, r.Stderr)
	}
	dll := filepath.Join(w.prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll")
	src := filepath.Join(root, "internal", "wintest", "testdata")
	cmd := exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-o", dll,
		filepath.Join(src, "bcryptprimitives.c"), filepath.Join(src, "bcryptprimitives.def"), "-ladvapi32")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the stand-in bcryptprimitives.dll: %v\n%s", err, b)
	}
	return nil
}

// cp437 is s in the console code page here, for the few letters the test's paths use.
func cp437(s string) string {
	return strings.NewReplacer("ö", "\x94", "é", "\x82", "Ñ", "\xa5").Replace(s)
}

// win is the Windows path of a place under the user's profile; unix is the same on Linux.
func (w *wineWorld) win(parts ...string) string {
	rel, err := filepath.Rel(filepath.Join(w.prefix, "drive_c"), w.profile)
	if err != nil {
		panic(err)
	}
	return `C:\` + strings.ReplaceAll(rel, "/", `\`) + `\` + strings.Join(parts, `\`)
}

func (w *wineWorld) unix(parts ...string) string {
	p := w.profile
	for _, part := range parts {
		p = filepath.Join(p, strings.ReplaceAll(part, `\`, "/"))
	}
	return p
}

// wineResult is what a program run in the world did; hung is what the prefix's processes were
// doing when one that did not end in time was stopped.
type wineResult struct {
	testenv.Result
	hung string
}

// run runs a program in the world. A program wine starts in the background may keep our pipes
// open, so they are closed shortly after the program itself ends.
func (w *wineWorld) run(t *testing.T, timeout time.Duration, stdin, name string, args ...string) wineResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := w.env.Command(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 2 * time.Second
	var hung string
	cmd.Cancel = func() error {
		hung = w.processes()
		return cmd.Process.Kill()
	}
	begin := time.Now()
	err := cmd.Run()
	r := wineResult{Result: testenv.Result{Stdout: out.String(), Stderr: errb.String(), Duration: time.Since(begin)}, hung: hung}
	if ee, ok := err.(*exec.ExitError); ok {
		r.ExitCode = ee.ExitCode()
	} else if err != nil && ctx.Err() == nil && !strings.Contains(err.Error(), "WaitDelay") {
		t.Fatalf("running %s: %v", name, err)
	}
	if ctx.Err() != nil {
		r.ExitCode = -1
	}
	return r
}

// processes lists the processes of this world's prefix: pid, state, how many threads wait in
// each kernel function, and the command line.
func (w *wineWorld) processes() string {
	var b strings.Builder
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range procs {
		env, err := os.ReadFile(dir + "/environ")
		if err != nil || !strings.Contains("\x00"+string(env)+"\x00", "\x00WINEPREFIX="+w.prefix+"\x00") {
			continue
		}
		stat, _ := os.ReadFile(dir + "/stat")
		cmdline, _ := os.ReadFile(dir + "/cmdline")
		waits := map[string]int{}
		tasks, _ := filepath.Glob(dir + "/task/[0-9]*")
		for _, task := range tasks {
			wchan, _ := os.ReadFile(task + "/wchan")
			waits[string(wchan)]++
		}
		// stat is "pid (comm) state ..."; the state follows the last ')'.
		state := string(stat)
		if i := strings.LastIndexByte(state, ')'); i >= 0 && i+3 <= len(state) {
			state = state[i+2 : i+3]
		}
		fmt.Fprintf(&b, "  %s %s threads %v: %s\n", filepath.Base(dir), state, waits,
			strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " ")))
	}
	return b.String()
}

// wine runs a Windows program. On a loaded machine wine has, rarely, failed a program from
// outside it: one that had printed its whole answer did not end, or wine's client lost its
// connection to wineserver ("wine client error", which only wine prints). What happened is
// logged and the command, which every caller here may repeat, runs once more; the same
// failure twice in a row fails the test.
func (w *wineWorld) wine(t *testing.T, stdin string, args ...string) wineResult {
	t.Helper()
	var r wineResult
	for try := 1; ; try++ {
		r = w.run(t, time.Minute, stdin, "wine", args...)
		var failed string
		switch {
		case r.ExitCode == -1:
			failed = "did not end within a minute; the prefix's processes then:\n" + r.hung
		case strings.Contains(r.Stderr, "wine client error"):
			failed = "lost wine's connection to wineserver"
		default:
			return r
		}
		msg := fmt.Sprintf("wine %s %s\nstdout: %q\nstderr: %q", strings.Join(args, " "), failed, r.Stdout, r.Stderr)
		if try == 2 {
			t.Fatal(msg + "\n(the second time in a row)")
		}
		t.Log(msg + "\n(running it once more)")
	}
}

func (w *wineWorld) wantKey(t *testing.T, console, want string) {
	t.Helper()
	r := w.wine(t, "", console, "key")
	if r.ExitCode != 0 || r.Stdout != want+"\n" {
		t.Fatalf("key: exit %d, %q, want %s\nstderr: %s", r.ExitCode, auth.Fingerprint(strings.TrimSpace(r.Stdout)), auth.Fingerprint(want), r.Stderr)
	}
}

func (w *wineWorld) status(t *testing.T, console string) auth.Status {
	t.Helper()
	st, err := w.tryStatus(t, console)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// tryStatus runs status --json once; an answer that is not a status is an error.
func (w *wineWorld) tryStatus(t *testing.T, console string) (auth.Status, error) {
	t.Helper()
	r := w.wine(t, "", console, "status", "--json")
	var st auth.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		return st, fmt.Errorf("status --json (exit %d): %v\n%s%s", r.ExitCode, err, r.Stdout, r.Stderr)
	}
	return st, nil
}

func (w *wineWorld) waitStatus(t *testing.T, console, what string, timeout time.Duration, ok func(auth.Status) bool) auth.Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		// While wine starts Explorer's desktop and the tray, a status run can come back empty;
		// only the answer at the deadline counts.
		st, err := w.tryStatus(t, console)
		if err == nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s; status %+v (%v)\nlog:\n%s", timeout, what, st.Daemon, err, w.log(t))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (w *wineWorld) log(t *testing.T) string {
	b, _ := os.ReadFile(filepath.Join(w.profile, "AppData", "Roaming", "claude-keytray", "state", "claude-keytray.log"))
	return string(b)
}

// wantTrayIcon waits for the icon in the notification area, at the right end of wine's
// taskbar (the bottom 20 pixels of its desktop), and saves the screen as wine-tray.png in
// $CLAUDE_KEYTRAY_SCREENSHOTS, or in the test's folder. The taskbar is white and grey; the
// icon is the only thing in colour there.
func (w *wineWorld) wantTrayIcon(t *testing.T) {
	t.Helper()
	area := image.Rect(desktopW-64, desktopH-24, desktopW, desktopH)
	var img image.Image
	deadline := time.Now().Add(20 * time.Second)
	for {
		img = w.env.Screenshot(t)
		if colourful(img, area) >= 20 {
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	dir := os.Getenv("CLAUDE_KEYTRAY_SCREENSHOTS")
	if dir == "" {
		dir = w.env.Dir
	}
	path := filepath.Join(dir, "wine-tray.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	if n := colourful(img, area); n < 20 {
		t.Fatalf("no icon in wine's notification area (%d coloured pixels in %v); see %s", n, area, path)
	}
}

// colourful counts the pixels in r that are clearly not grey.
func colourful(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c, g, b, _ := img.At(x, y).RGBA()
			hi, lo := max(c, g, b)>>8, min(c, g, b)>>8
			if hi-lo > 60 {
				n++
			}
		}
	}
	return n
}
