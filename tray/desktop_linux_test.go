package tray_test

// These tests run the real claude-keytray binary in a real desktop: Xvfb, xfce4-panel's Status
// Tray plugin as the StatusNotifier host, dunst for notifications, gnome-keyring as the Secret
// Service, all on a private session bus, with a loopback stand-in for the Anthropic API. They
// read the menu the way the panel does (com.canonical.dbusmenu) and drive the key dialog with
// xdotool, as a user at the keyboard would.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/assets"
	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/control"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
	"github.com/claude-keytray/claude-keytray/tray"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// stateChangeLimit is how soon a state change must show in the menu, icon and tooltip.
const stateChangeLimit = time.Second

// desktop is one test's private desktop session.
type desktop struct {
	env   *testenv.Env
	api   *testenv.FakeAPI
	notes *testenv.Notifications
	panel *testenv.Proc
}

// newDesktop starts a session bus, Xvfb, an unlocked keyring, dunst and the fake API, and the
// panel when withPanel is set.
func newDesktop(t *testing.T, withPanel bool) *desktop {
	t.Helper()
	testenv.Require(t, "dbus-daemon", "Xvfb", "xfce4-panel", "dunst", "zenity", "xdotool", "gnome-keyring-daemon", "secret-tool", "import")
	start := time.Now()
	d := &desktop{env: testenv.New(t)}
	d.env.StartBus(t)
	d.env.StartX(t)
	d.env.StartKeyring(t)
	d.notes = d.env.StartNotifications(t)
	d.api = testenv.NewFakeAPI(t)
	d.env.UseFakeAPI(d.api)
	// Claude Code's side wired as install leaves it: "OK" means Claude Code would use the key.
	if r := d.env.Run(t, "install", "--no-autostart"); r.ExitCode != 0 {
		t.Fatalf("install --no-autostart: exit %d\n%s", r.ExitCode, r.Stderr)
	}
	if withPanel {
		d.panel = d.env.StartPanel(t)
	}
	t.Logf("desktop ready in %v (panel: %v)", time.Since(start).Round(time.Millisecond), withPanel)
	return d
}

// newKey is a fresh random Console-shaped key.
func newKey(t testing.TB) string { return testenv.NewKey(t) }

func last4(key string) string { return "…" + key[len(key)-4:] }

// startTray starts `claude-keytray` with no arguments and waits for its tray item.
func (d *desktop) startTray(t *testing.T) (*testenv.Proc, testenv.TrayItem) {
	t.Helper()
	start := time.Now()
	p := startChecked(t, d.env)
	it := d.env.WaitForTrayItem(t, p.Pid(), 15*time.Second, p)
	t.Logf("tray item %s%s registered %v after start", it.Service, it.Path, time.Since(start).Round(time.Millisecond))
	return p, it
}

// startChecked starts the binary and, once it has been stopped, fails the test on any data race
// the race detector (make test builds with -race) reports in our code. fyne.io/systray and
// godbus race with themselves (the first GetLayout's delayed refresh against its reply; a new
// icon stored into the property value that a Get reply is still encoding); reports whose two
// racing accesses are both in library code are logged and tolerated.
func startChecked(t *testing.T, env *testenv.Env, args ...string) *testenv.Proc {
	t.Helper()
	var p *testenv.Proc
	t.Cleanup(func() {
		if p == nil {
			return
		}
		for _, r := range raceReports(p.Stderr()) {
			if ourRace(r) {
				t.Errorf("data race in claude-keytray:\n%s", r)
			} else {
				t.Logf("data race inside a library, tolerated:\n%s", firstLines(r, 12))
			}
		}
	})
	p = env.StartBinary(t, args...)
	return p
}

// raceReports splits the race detector's reports out of stderr.
func raceReports(stderr string) []string {
	var out []string
	for _, part := range strings.Split(stderr, "==================") {
		if strings.Contains(part, "WARNING: DATA RACE") {
			out = append(out, strings.TrimSpace(part))
		}
	}
	return out
}

// ourRace reports whether either racing access (the frame right under "Read at", "Write at",
// "Previous read at", "Previous write at") is in this module.
func ourRace(report string) bool {
	lines := strings.Split(report, "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		access := strings.HasPrefix(l, "Read at") || strings.HasPrefix(l, "Write at") || strings.HasPrefix(l, "Previous read at") || strings.HasPrefix(l, "Previous write at")
		if !access || i+1 >= len(lines) {
			continue
		}
		frame := strings.TrimSpace(lines[i+1])
		if strings.HasPrefix(frame, "github.com/claude-keytray/") || strings.HasPrefix(frame, "main.") {
			return true
		}
	}
	return false
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// exitedCleanly accepts exit 0, or the race detector's 66 when no report is ours.
func exitedCleanly(p *testenv.Proc, code int) bool {
	if code == 0 {
		return true
	}
	reports := raceReports(p.Stderr())
	if code != 66 || len(reports) == 0 {
		return false
	}
	for _, r := range reports {
		if ourRace(r) {
			return false
		}
	}
	return true
}

func (d *desktop) status(t *testing.T) auth.Status {
	t.Helper()
	r := d.env.Run(t, "status", "--json")
	var st auth.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("status --json (exit %d) is not JSON: %v\n%s%s", r.ExitCode, err, r.Stdout, r.Stderr)
	}
	return st
}

func menuText(m []testenv.MenuEntry) []string {
	s := make([]string, len(m))
	for i, e := range m {
		s[i] = e.String()
	}
	return s
}

// refreshedNow is the refresh line right after a refresh with the default 240 s interval.
const refreshedNow = "Refreshed just now · next in 4 min"

// The version the binary under test reports (`make test` stamps the git version in; a plain
// `go build` says "dev"), asked once.
var version struct {
	once sync.Once
	v    string
	err  error
}

// testVersion is that version, failing the test when the binary cannot tell.
func testVersion(t testing.TB) string {
	t.Helper()
	bin := testenv.Binary(t)
	version.once.Do(func() {
		out, err := exec.Command(bin, "version").Output()
		f := strings.Fields(string(out))
		switch {
		case err != nil:
			version.err = err
		case len(f) < 2:
			version.err = fmt.Errorf("version printed %q", out)
		default:
			version.v = f[1]
		}
	})
	if version.err != nil {
		t.Fatalf("asking the binary its version: %v", version.err)
	}
	return version.v
}

// statusIndex is the status line's place in the menu: after the header and a separator.
const statusIndex = 2

// wantMenu is the whole menu for a status line, a refresh line and the key item, in order.
// With no key the first action is "Add key…" (or the clipboard item) and Update key… is hidden.
func wantMenu(t testing.TB, statusLine, refreshLine, updateKey string) []string {
	keyItems := []string{tray.LabelRefreshNow, updateKey}
	if statusLine == "No key" {
		first := tray.LabelAddKey
		if updateKey == tray.LabelPasteKey {
			first = tray.LabelPasteKey
		}
		keyItems = []string{first, tray.LabelRefreshNow}
	}
	m := []string{
		tray.HeaderLabel(testVersion(t)) + " (disabled)",
		"---",
		"Claude key: " + statusLine,
		refreshLine + " (disabled)",
		"---",
	}
	return append(append(m, keyItems...),
		"[ ] "+tray.LabelStartAtLogin,
		tray.LabelOpenLog,
		tray.LabelRunDoctor,
		"---",
		tray.LabelHelp,
		tray.LabelAbout,
		"---",
		tray.LabelQuit,
	)
}

// waitMenu polls the menu until its status line is want, and reports how long that took.
func waitMenu(t *testing.T, it testenv.TrayItem, want string, limit time.Duration) ([]testenv.MenuEntry, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		m := it.Menu(t)
		if len(m) > statusIndex && m[statusIndex].Label == want {
			return m, time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("the menu did not show %q within %v; it shows %q", want, limit, menuText(m))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitRefreshed waits until the menu shows status and the refresh line refreshLine: a state
// shown before the first refresh (no key is known at once) comes with "Not refreshed yet".
func waitRefreshed(t *testing.T, it testenv.TrayItem, status, refreshLine string, limit time.Duration) []testenv.MenuEntry {
	t.Helper()
	start := time.Now()
	for {
		m, _ := waitMenu(t, it, status, limit)
		if len(m) > statusIndex+1 && m[statusIndex+1].Label == refreshLine {
			return m
		}
		if time.Since(start) > limit {
			t.Fatalf("the menu did not show %q within %v; it shows %q", refreshLine, limit, menuText(m))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startTrayWithoutDialogs starts the tray with a PATH that holds xclip and nothing else: no
// dialog program to find, so Update key… reads the clipboard.
func startTrayWithoutDialogs(t *testing.T, d *desktop) testenv.TrayItem {
	t.Helper()
	bin := filepath.Join(d.env.Dir, "bin")
	xclip, _ := exec.LookPath("xclip")
	if err := os.MkdirAll(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(xclip, filepath.Join(bin, "xclip")); err != nil {
		t.Fatal(err)
	}
	d.env.Set("PATH", bin)
	_, it := d.startTray(t)
	d.env.Set("PATH", "")
	return it
}

// copyToClipboard puts text on the clipboard as a user's copy would: xclip owns the selection in
// the foreground until one paste has been served.
func copyToClipboard(t *testing.T, d *desktop, text string) {
	t.Helper()
	f := filepath.Join(d.env.Dir, "clip")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p := d.env.Start(t, "xclip", "-selection", "clipboard", "-loops", "1", "-quiet", f)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.Stdout()+p.Stderr(), "Waiting for") {
		if time.Now().After(deadline) || p.Exited() {
			t.Fatalf("xclip did not take the clipboard:\n%s", p)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() { os.Remove(f) })
}

// iconState says which state icon a pixmap is: the one it is closest to.
func iconState(t *testing.T, got image.Image) assets.State {
	t.Helper()
	best, bestDist := assets.State(-1), math.MaxFloat64
	for _, s := range assets.States() {
		want, err := png.Decode(bytes.NewReader(assets.TrayIcon(s)))
		if err != nil {
			t.Fatal(err)
		}
		if want.Bounds().Size() != got.Bounds().Size() {
			continue
		}
		var dist float64
		b := want.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r1, g1, b1, a1 := want.At(x, y).RGBA()
				r2, g2, b2, a2 := got.At(x-b.Min.X+got.Bounds().Min.X, y-b.Min.Y+got.Bounds().Min.Y).RGBA()
				for _, p := range [][2]uint32{{r1, r2}, {g1, g2}, {b1, b2}, {a1, a2}} {
					dist += math.Abs(float64(p[0]) - float64(p[1]))
				}
			}
		}
		if dist < bestDist {
			best, bestDist = s, dist
		}
	}
	if best < 0 {
		t.Fatalf("the tray icon is %v, the size of no state icon", got.Bounds().Size())
	}
	return best
}

// checkShown asserts the menu, the tooltip and the icon for one state, and that none of them
// shows more of a key than its last four characters.
func checkShown(t *testing.T, it testenv.TrayItem, m []testenv.MenuEntry, statusLine, refreshLine string, icon assets.State, keys ...string) {
	t.Helper()
	checkShownWith(t, it, m, tray.LabelUpdateKey, statusLine, refreshLine, icon, keys...)
}

// checkShownWith is checkShown with the key item's label given.
func checkShownWith(t *testing.T, it testenv.TrayItem, m []testenv.MenuEntry, updateKey, statusLine, refreshLine string, icon assets.State, keys ...string) {
	t.Helper()
	if got, want := menuText(m), wantMenu(t, statusLine, refreshLine, updateKey); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("menu:\n  got  %q\n  want %q", got, want)
	}
	// The menu, the tooltip and the icon are separate D-Bus properties, updated one after the
	// other: each has a second to follow the menu, as the spec allows.
	// Right after start the icon may be empty for a moment: systray drops an image set before
	// the host lists the item, and the tray sends it again once the host does.
	var tip string
	var got assets.State
	var iconErr error
	start := time.Now()
	var emptyAt error
	for deadline := time.Now().Add(time.Second); ; time.Sleep(20 * time.Millisecond) {
		tip, got = it.Tooltip(t), assets.State(-1)
		var img image.Image
		if img, iconErr = it.TryIcon(t); iconErr == nil {
			got = iconState(t, img)
			if emptyAt != nil {
				t.Logf("the icon was empty at first (%v), shown %v later", emptyAt, time.Since(start).Round(time.Millisecond))
				emptyAt = nil
			}
		} else if emptyAt == nil {
			emptyAt = iconErr
		}
		if (tip == "Claude key: "+statusLine && got == icon) || time.Now().After(deadline) {
			break
		}
	}
	if tip != "Claude key: "+statusLine {
		t.Errorf("tooltip %q, want %q", tip, "Claude key: "+statusLine)
	}
	if iconErr != nil {
		t.Errorf("after a second the icon is still not shown: %v", iconErr)
	} else if got != icon {
		t.Errorf("icon shows %v, want %v", got, icon)
	}
	shown := strings.Join(append(menuText(m), tip), "\n")
	for _, k := range keys {
		if strings.Contains(shown, k[len(k)-5:]) {
			t.Errorf("the tray shows more than the last four characters of a key:\n%s", shown)
		}
	}
}

// TestTrayMenuFollowsState: the menu, tooltip and icon for ok, rejected and no key, each change
// showing within a second whoever caused it: a click, a 401 reported through the control API,
// `update-key` and `refresh` through the daemon, and the refresh timer.
func TestTrayMenuFollowsState(t *testing.T) {
	t.Parallel()
	d := newDesktop(t, true)
	// The shortest interval allowed, so the timer fires during the test.
	d.env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "10")
	const refreshLine = "Refreshed just now · next in under a minute"
	keyA, keyB := newKey(t), newKey(t)
	d.api.SetAccepted(keyA, keyB)
	d.env.SecretToolStore(t, keyA)
	proc, it := d.startTray(t)

	m, _ := waitMenu(t, it, "Claude key: OK · "+last4(keyA), 10*time.Second)
	checkShown(t, it, m, "OK · "+last4(keyA), refreshLine, assets.Ok, keyA, keyB)

	// Refresh now, clicked as the panel does, runs a refresh.
	before := d.status(t).Refresh.Count
	it.Click(t, tray.LabelRefreshNow)
	deadline := time.Now().Add(5 * time.Second)
	for d.status(t).Refresh.Count <= before {
		if time.Now().After(deadline) {
			t.Fatalf("refresh.count stayed %d after clicking %q", before, tray.LabelRefreshNow)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Rejected: the API stops accepting the key and a 401 is reported to the control API.
	d.api.SetAccepted(keyB)
	client := control.NewClient(d.status(t).Daemon.Socket)
	defer client.Close()
	if _, err := client.ReportAuthFailure(context.Background(), "test"); err != nil {
		t.Fatalf("reporting a 401: %v", err)
	}
	m, took := waitMenu(t, it, "Claude key: Rejected · "+last4(keyA), stateChangeLimit)
	t.Logf("rejected shown %v after the 401 report returned", took)
	checkShown(t, it, m, "Rejected · "+last4(keyA), refreshLine, assets.Rejected, keyA, keyB)

	// A new key through `update-key`, which hands it to the running tray's engine.
	if r := d.env.RunInput(t, keyB+"\n", "update-key"); r.ExitCode != 0 {
		t.Fatalf("update-key: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	m, took = waitMenu(t, it, "Claude key: OK · "+last4(keyB), stateChangeLimit)
	t.Logf("update-key shown %v after it returned", took)
	checkShown(t, it, m, "OK · "+last4(keyB), refreshLine, assets.Ok, keyA, keyB)

	// The timer: the keychain item changes behind the app's back (to keyA, which the API now
	// rejects); the next timer refresh reads it and the menu follows.
	countBefore := d.status(t).Refresh.Count
	d.env.SecretToolStore(t, keyA)
	m, _ = waitMenu(t, it, "Claude key: Rejected · "+last4(keyA), 15*time.Second)
	seen := time.Now()
	// The refresh that showed it is the first one after the store. The menu may change before
	// that refresh records its end time, so wait for the record: only lateness counts, and a
	// later refresh's end (had another run since) would only make the gap smaller.
	var last *time.Time
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		st := d.status(t)
		if st.Refresh.Count > countBefore {
			last = st.Refresh.Last
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the menu shows the timer's change but refresh.count stayed %d", countBefore)
		}
	}
	if last == nil || seen.Sub(*last) > stateChangeLimit {
		t.Errorf("the timer refresh at %v showed in the menu only at %v", last, seen)
	} else {
		t.Logf("timer refresh shown at %v, its end recorded at %v", seen.Format("15:04:05.000"), last.Local().Format("15:04:05.000"))
	}
	checkShown(t, it, m, "Rejected · "+last4(keyA), refreshLine, assets.Rejected, keyA, keyB)

	// No key: the keychain item is deleted; `refresh` through the daemon notices.
	d.env.SecretToolClear(t)
	if r := d.env.Run(t, "refresh"); r.ExitCode != 2 {
		t.Fatalf("refresh with no key: exit %d, want 2\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	m, took = waitMenu(t, it, "Claude key: No key", stateChangeLimit)
	t.Logf("no key shown %v after `refresh` returned", took)
	checkShown(t, it, m, "No key", refreshLine, assets.NoKey, keyA, keyB)

	if st := d.status(t); st.Daemon.Tray != tray.TrayRegistered || st.Daemon.PID != proc.Pid() {
		t.Errorf("status daemon = %+v, want the tray's pid %d and tray %q", st.Daemon, proc.Pid(), tray.TrayRegistered)
	}
}

// TestTrayUpdateKeyDialog drives "Update key…" as a user: zenity's hidden entry typed into
// with xdotool. A good key is stored; Cancel and a rejected key keep the old one.
func TestTrayUpdateKeyDialog(t *testing.T) {
	t.Parallel()
	d := newDesktop(t, true)
	keyA, keyB, keyC := newKey(t), newKey(t), newKey(t)
	d.api.SetAccepted(keyA, keyB) // keyC is rejected
	d.env.SecretToolStore(t, keyA)
	_, it := d.startTray(t)
	waitMenu(t, it, "Claude key: OK · "+last4(keyA), 10*time.Second)

	const dialog = "^Claude Keytray — Update key$"
	const errDialog = "^Claude Keytray — Key not changed$"
	stored := func() string {
		s, _ := d.env.SecretToolLookup(t)
		return s
	}

	// A good key, typed and confirmed with Return.
	it.Click(t, tray.LabelUpdateKey)
	w := d.env.WaitForWindow(t, dialog, 10*time.Second)
	d.env.TypeInto(t, w, keyB, "Return")
	d.env.WaitNoWindow(t, dialog, 5*time.Second)
	waitMenu(t, it, "Claude key: OK · "+last4(keyB), 5*time.Second)
	if got := stored(); got != keyB {
		t.Fatalf("the keychain holds %s, want the typed key %s", auth.Fingerprint(got), auth.Fingerprint(keyB))
	}
	if st := d.status(t); st.Key.Fingerprint != auth.Fingerprint(keyB) || st.State != auth.StateOK {
		t.Fatalf("status after the dialog: %s %s, want ok %s", st.State, st.Key.Fingerprint, auth.Fingerprint(keyB))
	}
	d.notes.WaitFor(t, func(n testenv.Notification) bool {
		return n.Summary == "Claude key updated" && strings.Contains(n.Body, auth.Fingerprint(keyB))
	}, 5*time.Second)

	// Cancel: something typed, then Escape.
	it.Click(t, tray.LabelUpdateKey)
	w = d.env.WaitForWindow(t, dialog, 10*time.Second)
	d.env.TypeInto(t, w, keyA, "Escape")
	d.env.WaitNoWindow(t, dialog, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	if got := stored(); got != keyB {
		t.Fatalf("after Cancel the keychain holds %s, want the old %s", auth.Fingerprint(got), auth.Fingerprint(keyB))
	}

	// A key the API rejects: an error dialog says why, and the old key stays.
	it.Click(t, tray.LabelUpdateKey)
	w = d.env.WaitForWindow(t, dialog, 10*time.Second)
	d.env.TypeInto(t, w, keyC, "Return")
	ew := d.env.WaitForWindow(t, errDialog, 10*time.Second)
	if got := stored(); got != keyB {
		t.Fatalf("after a rejected key the keychain holds %s, want the old %s", auth.Fingerprint(got), auth.Fingerprint(keyB))
	}
	d.env.TypeInto(t, ew, "", "Return")
	d.env.WaitNoWindow(t, errDialog, 5*time.Second)

	// A malformed key (an admin key) is refused before the API is asked.
	it.Click(t, tray.LabelUpdateKey)
	w = d.env.WaitForWindow(t, dialog, 10*time.Second)
	d.env.TypeInto(t, w, "sk-ant-admin01-"+newKey(t)[13:], "Return")
	ew = d.env.WaitForWindow(t, errDialog, 10*time.Second)
	d.env.TypeInto(t, ew, "", "Return")
	d.env.WaitNoWindow(t, errDialog, 5*time.Second)

	st := d.status(t)
	if st.State != auth.StateOK || st.Key.Fingerprint != auth.Fingerprint(keyB) || stored() != keyB {
		t.Fatalf("after refused keys: %s %s, want ok with %s kept", st.State, st.Key.Fingerprint, auth.Fingerprint(keyB))
	}
	m := it.Menu(t)
	checkShown(t, it, m, "OK · "+last4(keyB), refreshedNow, assets.Ok, keyA, keyB, keyC)
	log, err := os.ReadFile(filepath.Join(d.env.Get("XDG_STATE_HOME"), "claude-keytray", "claude-keytray.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{keyA, keyB, keyC} {
		if bytes.Contains(log, []byte(k)) {
			t.Fatalf("the log holds a key (%s)", auth.Fingerprint(k))
		}
	}
	if !bytes.Contains(log, []byte("key update cancelled in the tray")) || !bytes.Contains(log, []byte("key from the tray refused")) {
		t.Errorf("the log does not record the cancel and the refusals:\n%s", log)
	}
}

// TestTrayPasteFromClipboard: with no dialog program (no zenity, no kdialog) the item reads
// "Paste key from clipboard" and takes the key from the clipboard; a refusal is a notification.
func TestTrayPasteFromClipboard(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "xclip")
	d := newDesktop(t, true)
	keyA, keyB, keyC := newKey(t), newKey(t), newKey(t)
	d.api.SetAccepted(keyA, keyB)
	d.env.SecretToolStore(t, keyA)

	it := startTrayWithoutDialogs(t, d)
	m, _ := waitMenu(t, it, "Claude key: OK · "+last4(keyA), 10*time.Second)
	if len(m) < 7 || m[6].Label != tray.LabelPasteKey {
		t.Fatalf("without a dialog program the menu is %q, want %q as its seventh entry", menuText(m), tray.LabelPasteKey)
	}

	copyKey := func(key string) { copyToClipboard(t, d, key) }

	copyKey(keyB)
	it.Click(t, tray.LabelPasteKey)
	waitMenu(t, it, "Claude key: OK · "+last4(keyB), 5*time.Second)
	if got, _ := d.env.SecretToolLookup(t); got != keyB {
		t.Fatalf("the keychain holds %s, want the pasted %s", auth.Fingerprint(got), auth.Fingerprint(keyB))
	}
	d.notes.WaitFor(t, func(n testenv.Notification) bool {
		return n.Summary == "Claude key updated" && strings.Contains(n.Body, auth.Fingerprint(keyB))
	}, 5*time.Second)

	copyKey(keyC)
	it.Click(t, tray.LabelPasteKey)
	n := d.notes.WaitFor(t, func(n testenv.Notification) bool { return n.Summary == "Claude Keytray — Key not changed" }, 5*time.Second)
	if !strings.Contains(n.Body, "did not accept key "+auth.Fingerprint(keyC)) || strings.Contains(n.Body, keyC) {
		t.Errorf("the refusal says %q", n.Body)
	}
	if got, _ := d.env.SecretToolLookup(t); got != keyB {
		t.Fatalf("after a rejected paste the keychain holds %s, want %s", auth.Fingerprint(got), auth.Fingerprint(keyB))
	}
	checkShownWith(t, it, it.Menu(t), tray.LabelPasteKey, "OK · "+last4(keyB), refreshedNow, assets.Ok, keyA, keyB, keyC)
}

// TestTrayQuit: Quit stops the engine, removes the socket and the icon, and ends the process.
func TestTrayQuit(t *testing.T) {
	t.Parallel()
	d := newDesktop(t, true)
	key := newKey(t)
	d.api.SetAccepted(key)
	d.env.SecretToolStore(t, key)
	proc, it := d.startTray(t)
	sock := d.status(t).Daemon.Socket
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("the control socket is missing while the tray runs: %v", err)
	}

	// Start at login: the checkbox writes and removes the login autostart entry.
	entry := filepath.Join(d.env.Get("XDG_CONFIG_HOME"), "autostart", "claude-keytray.desktop")
	toggle := func(want bool) {
		t.Helper()
		it.Click(t, tray.LabelStartAtLogin)
		deadline := time.Now().Add(5 * time.Second)
		for {
			var checked bool
			for _, m := range it.Menu(t) {
				if m.Label == tray.LabelStartAtLogin {
					checked = m.Checked
				}
			}
			_, err := os.Stat(entry)
			if checked == want && (err == nil) == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Start at login: checked=%v, %s exists=%v; want %v", checked, entry, err == nil, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	toggle(true)
	if b, err := os.ReadFile(entry); err != nil || !strings.Contains(string(b), " tray") {
		t.Errorf("the autostart entry does not start the tray: %v\n%s", err, b)
	}
	toggle(false)
	start := time.Now()
	it.Click(t, tray.LabelQuit)
	code, err := proc.Wait(10 * time.Second)
	if err != nil || !exitedCleanly(proc, code) {
		t.Fatalf("after Quit: exit %d, %v\n%s", code, err, proc)
	}
	t.Logf("process ended %v after Quit", time.Since(start).Round(time.Millisecond))
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the control socket %s is still there after Quit (%v)", sock, err)
	}
	if _, ok := d.env.FindTrayItem(t, proc.Pid()); ok {
		t.Errorf("the tray item is still registered after Quit")
	}
	if st := d.status(t); st.Daemon.Running {
		t.Errorf("status still reports a running daemon after Quit: %+v", st.Daemon)
	}
}

// TestTrayHeadlessUntilPanel: with no tray host the app runs headless and says so; the icon
// registers when the panel starts, and again when the panel is restarted.
func TestTrayHeadlessUntilPanel(t *testing.T) {
	t.Parallel()
	d := newDesktop(t, false)
	key := newKey(t)
	d.api.SetAccepted(key)
	d.env.SecretToolStore(t, key)
	proc := startChecked(t, d.env, "tray")

	waitTray := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			st := d.status(t)
			if st.Daemon.Tray == want && st.Daemon.Running {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("status daemon = %+v, want tray %q\n%s", st.Daemon, want, proc)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitTray(tray.TrayHeadless)
	if st := d.status(t); st.State != auth.StateOK {
		t.Errorf("headless engine state %s, want ok (it should work without a tray)", st.State)
	}
	if !strings.Contains(proc.Stderr(), "no tray host") || !strings.Contains(proc.Stderr(), "gnome-shell-extension-appindicator") {
		t.Errorf("the log does not say why there is no icon and what to install:\n%s", proc.Stderr())
	}

	start := time.Now()
	panel := d.env.StartPanel(t)
	d.env.WaitForTrayItem(t, proc.Pid(), 10*time.Second, proc)
	t.Logf("icon registered %v after the panel was started", time.Since(start).Round(time.Millisecond))
	waitTray(tray.TrayRegistered)

	// The panel goes away and comes back (a crash, a restart): headless, then registered again.
	panel.Stop(5 * time.Second)
	waitTray(tray.TrayHeadless)
	start = time.Now()
	d.env.StartPanel(t)
	it := d.env.WaitForTrayItem(t, proc.Pid(), 10*time.Second, proc)
	t.Logf("icon registered again %v after the panel restarted", time.Since(start).Round(time.Millisecond))
	waitTray(tray.TrayRegistered)
	m, _ := waitMenu(t, it, "Claude key: OK · "+last4(key), 5*time.Second)
	checkShown(t, it, m, "OK · "+last4(key), refreshedNow, assets.Ok, key)
}

// TestTrayWithoutSessionBus: no session bus at all (the address leads nowhere). The engine
// runs headless, status says so, and SIGTERM still stops it cleanly.
func TestTrayWithoutSessionBus(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	api := testenv.NewFakeAPI(t)
	env.UseFakeAPI(api)
	key := newKey(t)
	api.SetAccepted(key)
	env.Set("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(env.RuntimeDir, "no-bus-here"))
	if r := env.RunInput(t, key, "--store", "file", "update-key"); r.ExitCode != 0 {
		t.Fatalf("update-key --store file: exit %d\n%s", r.ExitCode, r.Stderr)
	}
	if r := env.Run(t, "--store", "file", "install", "--no-autostart"); r.ExitCode != 0 {
		t.Fatalf("install --no-autostart: exit %d\n%s", r.ExitCode, r.Stderr)
	}
	proc := startChecked(t, env, "--store", "file")
	var st auth.Status
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := env.Run(t, "--store", "file", "status", "--json")
		st = auth.Status{}
		_ = json.Unmarshal([]byte(r.Stdout), &st)
		if st.Daemon.Tray == tray.TrayHeadless {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status daemon = %+v, want tray %q\n%s", st.Daemon, tray.TrayHeadless, proc)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.State != auth.StateOK || !st.Daemon.Running {
		t.Errorf("headless without a bus: state %s, daemon %+v; want ok and running", st.State, st.Daemon)
	}
	if !strings.Contains(proc.Stderr(), "no D-Bus session bus") {
		t.Errorf("the log does not say there is no session bus:\n%s", proc.Stderr())
	}
	if err := proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, err := proc.Wait(10 * time.Second); err != nil || !exitedCleanly(proc, code) {
		t.Fatalf("after SIGTERM: exit %d, %v\n%s", code, err, proc)
	}
	if _, err := os.Stat(st.Daemon.Socket); !os.IsNotExist(err) {
		t.Errorf("the control socket %s is still there after SIGTERM (%v)", st.Daemon.Socket, err)
	}
	if strings.Contains(proc.Stderr(), "panic") {
		t.Errorf("the process panicked:\n%s", proc.Stderr())
	}
}

// saveOpenMenu clicks the tray icon, saves the open menu (with the icon) to path, and closes it
// again with Escape. closed is the screen before the click, with the pointer off the icon.
func (d *desktop) saveOpenMenu(t *testing.T, closed image.Image, path string) {
	t.Helper()
	d.saveOpenMenuKeys(t, closed, path)
}

// saveOpenMenuKeys is saveOpenMenu with keys pressed in the open menu before the picture (Down
// to walk the entries, Right to open a submenu).
func (d *desktop) saveOpenMenuKeys(t *testing.T, closed image.Image, path string, keys ...string) {
	t.Helper()
	sw, sh := d.env.ScreenSize(t)
	// The plugin sits at the right end of the bottom panel; ours is its only icon.
	iconBox := image.Rect(sw-testenv.PanelHeight, sh-testenv.PanelHeight, sw, sh)
	t0 := time.Now()
	d.env.ClickAt(t, iconBox.Min.X+iconBox.Dx()/2, iconBox.Min.Y+iconBox.Dy()/2)
	var open image.Image
	var menu image.Rectangle
	deadline := time.Now().Add(5 * time.Second)
	for {
		time.Sleep(300 * time.Millisecond)
		open = d.env.Screenshot(t)
		menu = diffBox(closed, open)
		if menu.Dx() > 150 && menu.Dy() > 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("clicking the icon opened no menu (changed area %v)", menu)
		}
	}
	t.Logf("%s: menu open %v after the click", filepath.Base(path), time.Since(t0).Round(time.Millisecond))
	if len(keys) > 0 {
		for _, k := range keys {
			d.env.Key(t, k)
		}
		shown := menu
		for deadline := time.Now().Add(5 * time.Second); ; {
			time.Sleep(300 * time.Millisecond)
			open = d.env.Screenshot(t)
			if menu = diffBox(closed, open); menu != shown || time.Now().After(deadline) {
				break
			}
		}
	}
	savePNG(t, path, crop(open, menu.Union(iconBox).Inset(-12).Intersect(open.Bounds())))
	d.env.Key(t, "Escape")
	d.env.MovePointer(t, sw/2, sh/2)
	deadline = time.Now().Add(5 * time.Second)
	for {
		now := d.env.Screenshot(t)
		if diffBox(closed, now).Dy() <= testenv.PanelHeight {
			break
		}
		// A submenu closes first; one more Escape for the menu.
		d.env.Key(t, "Escape")
		if time.Now().After(deadline) {
			savePNG(t, filepath.Join(filepath.Dir(path), "failed-"+filepath.Base(path)), now)
			t.Fatalf("the menu did not close on Escape (changed area %v)", diffBox(closed, now))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTrayScreenshots opens the menu by clicking the icon in the panel, in the ok and rejected
// states, and saves the tray and the open menu. It checks that the panel draws the icon by
// state and that the click opens the menu. scripts/screenshots.sh sets
// CLAUDE_KEYTRAY_SCREENSHOTS to keep the pictures.
func TestTrayScreenshots(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("CLAUDE_KEYTRAY_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	testStart := time.Now()
	d := newDesktop(t, true)
	key := newKey(t)
	d.api.SetAccepted(key)
	d.env.SecretToolStore(t, key)
	_, it := d.startTray(t)
	d.env.SetBackground(t, color.RGBA{0x3a, 0x4a, 0x5c, 0xff})
	sw, sh := d.env.ScreenSize(t)
	// The plugin sits at the right end of the bottom panel; ours is its only icon.
	iconBox := image.Rect(sw-testenv.PanelHeight, sh-testenv.PanelHeight, sw, sh)

	shoot := func(state, statusLine string) image.Image {
		t.Helper()
		waitMenu(t, it, "Claude key: "+statusLine, 10*time.Second)
		// A "key rejected" notification would sit in the picture and in the changed area.
		testenv.Require(t, "dunstctl")
		d.env.Exec(t, "", "dunstctl", "close-all")
		// Off the icon, or its tooltip would be in the picture.
		d.env.MovePointer(t, sw/2, sh/2)
		t0 := time.Now()
		closed := d.stableScreen(t)
		t.Logf("%s: screen stable after %v", state, time.Since(t0).Round(time.Millisecond))
		savePNG(t, filepath.Join(dir, "tray-"+state+".png"), crop(closed, image.Rect(sw-240, sh-testenv.PanelHeight-8, sw, sh)))
		d.saveOpenMenu(t, closed, filepath.Join(dir, "menu-"+state+".png"))
		return crop(closed, iconBox)
	}

	okIcon := shoot("ok", "OK · "+last4(key))
	iconSheet(t, dir, "ok", it.Icon(t))

	// The Details window and the key dialog, opened from the menu.
	window := func(name, item, title string) {
		t.Helper()
		it.Click(t, item)
		w := d.env.WaitForWindow(t, title, 10*time.Second)
		time.Sleep(500 * time.Millisecond) // let GTK paint the window once
		savePNG(t, filepath.Join(dir, name+".png"), crop(d.env.Screenshot(t), windowBox(t, d.env, w)))
		d.env.TypeInto(t, w, "", "Escape")
		d.env.WaitNoWindow(t, title, 5*time.Second)
	}
	window("details", "Claude key: OK · "+last4(key), "^Claude Keytray — Details$")
	window("key-dialog", tray.LabelUpdateKey, "^Claude Keytray — Update key$")

	// Unverified: a new key while the API is down.
	d.api.ForceStatus(503)
	d.env.SecretToolStore(t, newKey(t))
	d.env.Run(t, "refresh")
	waitMenu(t, it, "Claude key: Not verified · "+last4(d.status(t).Key.Fingerprint), 10*time.Second)
	iconSheet(t, dir, "unverified", it.Icon(t))
	d.api.ForceStatus(0)
	d.env.SecretToolStore(t, key)
	d.env.Run(t, "refresh")
	d.notes.WaitFor(t, func(n testenv.Notification) bool {
		return n.Summary == "Claude key rotated" && strings.Contains(n.Body, last4(key))
	}, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	d.env.Exec(t, "", "dunstctl", "close-all")

	d.api.SetAccepted()
	d.env.Run(t, "refresh")
	n := d.notes.WaitFor(t, func(n testenv.Notification) bool { return n.Summary == "Claude key rejected" }, 5*time.Second)
	t.Logf("notification shown: %v", n)
	time.Sleep(700 * time.Millisecond)
	savePNG(t, filepath.Join(dir, "notification.png"), crop(d.env.Screenshot(t), image.Rect(sw-460, 0, sw, 200)))
	badIcon := shoot("rejected", "Rejected · "+last4(key))
	iconSheet(t, dir, "rejected", it.Icon(t))
	if diffBox(okIcon, badIcon).Empty() {
		t.Errorf("the panel draws the same icon for ok and rejected")
	}

	d.env.SecretToolClear(t)
	d.env.Run(t, "refresh")
	shoot("nokey", "No key")
	iconSheet(t, dir, "nokey", it.Icon(t))

	d.env.StopKeyring(t)
	d.env.Run(t, "refresh")
	for deadline := time.Now().Add(10 * time.Second); d.status(t).State != auth.StateError; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the engine did not reach error without a keychain")
		}
	}
	time.Sleep(time.Second) // the icon follows the state within a second
	iconSheet(t, dir, "error", it.Icon(t))
	t.Logf("screenshots in %s (%v)", dir, time.Since(testStart).Round(time.Millisecond))
}

// windowBox is a window's place on the screen, from xdotool.
func windowBox(t *testing.T, env *testenv.Env, w string) image.Rectangle {
	t.Helper()
	r := env.Exec(t, "", "xdotool", "getwindowgeometry", "--shell", w)
	var x, y, wd, ht int
	for _, l := range strings.Fields(r.Stdout) {
		k, v, _ := strings.Cut(l, "=")
		n := 0
		fmt.Sscan(v, &n)
		switch k {
		case "X":
			x = n
		case "Y":
			y = n
		case "WIDTH":
			wd = n
		case "HEIGHT":
			ht = n
		}
	}
	if wd == 0 || ht == 0 {
		t.Fatalf("no geometry for window %s: %q", w, r.Stdout)
	}
	return image.Rect(x, y, x+wd, y+ht).Inset(-8)
}

// iconSheet saves the pixmap the item sends over D-Bus as a panel would draw it: on a dark and
// a light panel colour, at 24 px (1×) and 48 px (2×), scaled from the 32 px pixmap.
func iconSheet(t *testing.T, dir, state string, pix image.Image) {
	t.Helper()
	for _, bg := range []struct {
		name string
		c    color.NRGBA
	}{{"dark", color.NRGBA{0x2b, 0x2b, 0x2b, 0xff}}, {"light", color.NRGBA{0xf0, 0xf0, 0xf0, 0xff}}} {
		for _, scale := range []int{1, 2} {
			size := 24 * scale
			pad := 4 * scale
			img := image.NewNRGBA(image.Rect(0, 0, size+2*pad, size+2*pad))
			for i := 0; i < len(img.Pix); i += 4 {
				img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = bg.c.R, bg.c.G, bg.c.B, 0xff
			}
			pb := pix.Bounds()
			for y := 0; y < size; y++ {
				for x := 0; x < size; x++ {
					// Box filter over the source pixels this one covers, in premultiplied alpha.
					x0, x1 := x*pb.Dx()/size, max((x+1)*pb.Dx()/size, x*pb.Dx()/size+1)
					y0, y1 := y*pb.Dy()/size, max((y+1)*pb.Dy()/size, y*pb.Dy()/size+1)
					var r, g, b, a, n float64
					for sy := y0; sy < y1; sy++ {
						for sx := x0; sx < x1; sx++ {
							c := color.NRGBAModel.Convert(pix.At(pb.Min.X+sx, pb.Min.Y+sy)).(color.NRGBA)
							al := float64(c.A) / 255
							r, g, b, a, n = r+float64(c.R)*al, g+float64(c.G)*al, b+float64(c.B)*al, a+al, n+1
						}
					}
					r, g, b, a = r/n, g/n, b/n, a/n
					o := img.PixOffset(x+pad, y+pad)
					img.Pix[o] = uint8(r + float64(bg.c.R)*(1-a) + 0.5)
					img.Pix[o+1] = uint8(g + float64(bg.c.G)*(1-a) + 0.5)
					img.Pix[o+2] = uint8(b + float64(bg.c.B)*(1-a) + 0.5)
				}
			}
			savePNG(t, filepath.Join(dir, fmt.Sprintf("icon-%s-%s-%dx.png", state, bg.name, scale)), img)
		}
	}
}

// stableScreen takes screenshots until two in a row agree (the panel has redrawn the icon,
// popups have gone) and returns the last.
func (d *desktop) stableScreen(t *testing.T) image.Image {
	t.Helper()
	prev := d.env.Screenshot(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		time.Sleep(400 * time.Millisecond)
		cur := d.env.Screenshot(t)
		if diffBox(prev, cur).Empty() {
			return cur
		}
		if time.Now().After(deadline) {
			t.Fatalf("the screen keeps changing (%v)", diffBox(prev, cur))
		}
		prev = cur
	}
}

// diffBox is the bounding box of the pixels that differ between a and b.
func diffBox(a, b image.Image) image.Rectangle {
	var box image.Rectangle
	r := a.Bounds().Intersect(b.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

func crop(img image.Image, r image.Rectangle) image.Image {
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			out.Set(x, y, img.At(r.Min.X+x, r.Min.Y+y))
		}
	}
	return out
}

func savePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "saved %s (%dx%d)\n", path, img.Bounds().Dx(), img.Bounds().Dy())
}

// TestTrayIconPixmapExact reads the item's IconPixmap over D-Bus, as the panel does, in every
// state the engine can be driven to here, and compares it pixel by pixel with the state's
// asset in straight alpha: no channel of a visible pixel may be off by more than 2. Each state
// showing its own asset's pixels is also the proof, in the real panel, that the states look
// different (the assets test checks that they differ from each other).
func TestTrayIconPixmapExact(t *testing.T) {
	t.Parallel()
	d := newDesktop(t, true)
	key := newKey(t)
	d.api.SetAccepted(key)
	d.env.SecretToolStore(t, key)
	_, it := d.startTray(t)

	check := func(want auth.State, icon assets.State) {
		t.Helper()
		if st := d.status(t); st.State != want {
			t.Fatalf("the engine is %s, want %s", st.State, want)
		}
		ref, err := png.Decode(bytes.NewReader(assets.TrayIcon(icon)))
		if err != nil {
			t.Fatal(err)
		}
		var worst, visible int
		var where string
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			got := it.Icon(t)
			if got.Bounds().Size() != ref.Bounds().Size() {
				t.Fatalf("%v: IconPixmap is %v, the asset %v", icon, got.Bounds().Size(), ref.Bounds().Size())
			}
			worst, visible, where = pixmapDiff(ref, got)
			if worst <= 2 || time.Now().After(deadline) {
				break
			}
		}
		if worst > 2 {
			t.Errorf("%v: IconPixmap differs from the asset by up to %d levels (%s)", icon, worst, where)
		} else {
			t.Logf("%v: IconPixmap matches the asset, %d visible pixels, largest difference %d", icon, visible, worst)
		}
	}

	waitState := func(want auth.State) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for d.status(t).State != want {
			if time.Now().After(deadline) {
				t.Fatalf("the engine did not reach %s: %+v", want, d.status(t))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitState(auth.StateOK)
	check(auth.StateOK, assets.Ok)

	// A new key while the API is down: stored, not verified.
	d.api.ForceStatus(503)
	d.env.SecretToolStore(t, newKey(t))
	d.env.Run(t, "refresh")
	waitState(auth.StateUnverified)
	check(auth.StateUnverified, assets.Unverified)

	d.api.ForceStatus(0)
	d.api.SetAccepted()
	d.env.Run(t, "refresh")
	waitState(auth.StateInvalid)
	check(auth.StateInvalid, assets.Rejected)

	d.env.SecretToolClear(t)
	d.env.Run(t, "refresh")
	waitState(auth.StateNoKey)
	check(auth.StateNoKey, assets.NoKey)

	// The keychain goes away: an error that says nothing about the key.
	d.env.StopKeyring(t)
	d.env.Run(t, "refresh")
	waitState(auth.StateError)
	check(auth.StateError, assets.Error)
}

// pixmapDiff compares a straight-alpha pixmap with the asset it should show: the largest
// channel difference over the pixels with alpha > 0 in either, how many such pixels there are,
// and where the worst one is.
func pixmapDiff(want, got image.Image) (worst, visible int, where string) {
	b := want.Bounds()
	gb := got.Bounds()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			w := color.NRGBAModel.Convert(want.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			g := got.At(gb.Min.X+x, gb.Min.Y+y).(color.NRGBA) // TrayItem.Icon is NRGBA: straight alpha
			if w.A == 0 && g.A == 0 {
				continue
			}
			visible++
			chans := [][2]uint8{{w.A, g.A}}
			if w.A > 0 {
				chans = append(chans, [2]uint8{w.R, g.R}, [2]uint8{w.G, g.G}, [2]uint8{w.B, g.B})
			}
			for _, c := range chans {
				d := int(c[0]) - int(c[1])
				if d < 0 {
					d = -d
				}
				if d > worst {
					worst, where = d, fmt.Sprintf("pixel %d,%d is %v, the asset %v", x, y, g, w)
				}
			}
		}
	}
	return worst, visible, where
}

// TestTrayMenuHeaderAndWindows: the header names the app and its version; the status line
// opens Details, whose Copy diagnostics puts a report without the key on the clipboard; Run
// doctor, About and Help open what they say. Each is clicked through dbusmenu as the panel
// does, and the windows are found by title and pressed with xdotool.
func TestTrayMenuHeaderAndWindows(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "xclip")
	d := newDesktop(t, true)
	key := newKey(t)
	d.api.SetAccepted(key)
	d.env.SecretToolStore(t, key)
	// Help opens the web page through xdg-open, which outside a desktop environment runs
	// $BROWSER: a stand-in that records the address.
	opened := filepath.Join(d.env.Dir, "browser-opened")
	browser := filepath.Join(d.env.Dir, "browser.sh")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" >>"+opened+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	d.env.Set("BROWSER", browser)
	_, it := d.startTray(t)
	m, _ := waitMenu(t, it, "Claude key: OK · "+last4(key), 10*time.Second)
	if want := "Claude Keytray " + testVersion(t); m[0].Label != tray.HeaderLabel(testVersion(t)) || m[0].Enabled || m[0].Label != want {
		t.Errorf("header %q (enabled %v), want %q disabled", m[0].Label, m[0].Enabled, want)
	}

	// Details, from the status line; Tab moves from Close to Copy diagnostics.
	it.Click(t, "Claude key: OK · "+last4(key))
	const details = "^Claude Keytray — Details$"
	w := d.env.WaitForWindow(t, details, 10*time.Second)
	d.env.TypeInto(t, w, "", "Tab", "Return")
	d.env.WaitNoWindow(t, details, 5*time.Second)
	d.notes.WaitFor(t, func(n testenv.Notification) bool { return n.Summary == "Diagnostics copied" }, 5*time.Second)
	clip := d.env.Exec(t, "", "xclip", "-selection", "clipboard", "-o")
	for _, want := range []string{"app: Claude Keytray " + testVersion(t), "state: ok", "fingerprint=" + auth.Fingerprint(key), "validation: valid http=200"} {
		if !strings.Contains(clip.Stdout, want) {
			t.Errorf("the copied diagnostics lack %q:\n%s", want, clip.Stdout)
		}
	}
	if strings.Contains(clip.Stdout, key[len(key)-5:]) || strings.Contains(clip.Stdout, d.env.Home()) {
		t.Errorf("the copied diagnostics hold more than the fingerprint, or the home folder:\n%s", clip.Stdout)
	}

	// Run doctor and About open their windows; Return presses Close.
	for _, c := range []struct{ item, title string }{
		{tray.LabelRunDoctor, "^Claude Keytray — Doctor$"},
		{tray.LabelAbout, "^About Claude Keytray$"},
	} {
		it.Click(t, c.item)
		w := d.env.WaitForWindow(t, c.title, 30*time.Second)
		d.env.TypeInto(t, w, "", "Return")
		d.env.WaitNoWindow(t, c.title, 5*time.Second)
	}

	it.Click(t, tray.LabelHelp)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(opened)
		if strings.TrimSpace(string(b)) == tray.HelpURL {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Help opened %q, want %s", b, tray.HelpURL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTrayNoKeyFirstRun: with no key stored, the first action is "Add key…" and a
// notification offers it; the dialog it opens stores the key.
func TestTrayNoKeyFirstRun(t *testing.T) {
	t.Parallel()
	d := newDesktop(t, true)
	key := newKey(t)
	d.api.SetAccepted(key)
	_, it := d.startTray(t)
	m := waitRefreshed(t, it, "Claude key: No key", refreshedNow, 10*time.Second)
	checkShown(t, it, m, "No key", refreshedNow, assets.NoKey)
	d.notes.WaitFor(t, func(n testenv.Notification) bool {
		return n.AppName == tray.DisplayName && n.Summary == "Claude Keytray has no key yet" && strings.Contains(n.Body, tray.LabelAddKey)
	}, 10*time.Second)
	it.Click(t, tray.LabelAddKey)
	w := d.env.WaitForWindow(t, "^Claude Keytray — Update key$", 10*time.Second)
	d.env.TypeInto(t, w, key, "Return")
	waitMenu(t, it, "Claude key: OK · "+last4(key), 10*time.Second)
}

// TestTrayLauncher: install adds an applications-menu entry that desktop-file-validate
// accepts; its Exec starts the tray, and a second start while it runs brings up no second
// icon; uninstall removes what install wrote.
func TestTrayLauncher(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "desktop-file-validate")
	d := newDesktop(t, true)
	key := newKey(t)
	d.api.SetAccepted(key)
	d.env.SecretToolStore(t, key)
	if r := d.env.Run(t, "install", "--no-autostart"); r.ExitCode != 0 {
		t.Fatalf("install: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	entry := filepath.Join(d.env.Get("XDG_DATA_HOME"), "applications", "claude-keytray.desktop")
	icon := filepath.Join(d.env.Get("XDG_DATA_HOME"), "icons", "hicolor", "48x48", "apps", "claude-keytray.png")
	b, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("install wrote no launcher: %v", err)
	}
	if _, err := os.Stat(icon); err != nil {
		t.Errorf("install wrote no launcher icon: %v", err)
	}
	if r := d.env.Exec(t, "", "desktop-file-validate", entry); r.ExitCode != 0 || strings.TrimSpace(r.Stdout+r.Stderr) != "" {
		t.Errorf("desktop-file-validate %s: exit %d\n%s%s", entry, r.ExitCode, r.Stdout, r.Stderr)
	}
	var exec []string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Exec="); ok {
			exec = strings.Fields(v)
		}
		if v, ok := strings.CutPrefix(l, "Name="); ok && v != tray.DisplayName {
			t.Errorf("the launcher is named %q, want %q", v, tray.DisplayName)
		}
	}
	if len(exec) != 2 || exec[1] != "tray" {
		t.Fatalf("the launcher's Exec is %q, want the program and tray", exec)
	}
	first := d.env.Start(t, exec[0], exec[1:]...)
	d.env.WaitForTrayItem(t, first.Pid(), 15*time.Second, first)

	// A second start from the menu while the tray runs: it leaves, and one icon stays.
	second := d.env.Start(t, exec[0], exec[1:]...)
	code, err := second.Wait(10 * time.Second)
	if err != nil {
		t.Fatalf("a second tray did not exit while the first runs: %v\n%s", err, second)
	}
	if !strings.Contains(second.Stderr(), "already runs for this user") {
		t.Errorf("the second tray (exit %d) does not say the tray already runs:\n%s", code, second.Stderr())
	}
	if _, ok := d.env.FindTrayItem(t, second.Pid()); ok || first.Exited() {
		t.Errorf("after a second start: second registered %v, first exited %v", ok, first.Exited())
	}
	first.Stop(5 * time.Second)

	if r := d.env.Run(t, "uninstall"); r.ExitCode != 0 {
		t.Fatalf("uninstall: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	for _, p := range []string{entry, icon} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("uninstall left %s (%v)", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(d.env.Get("XDG_DATA_HOME"), "icons")); !os.IsNotExist(err) {
		t.Errorf("uninstall left the icons folder it created (%v)", err)
	}
}
