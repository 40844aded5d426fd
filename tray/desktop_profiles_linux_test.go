package tray_test

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/assets"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
	"github.com/claude-keytray/claude-keytray/tray"
)

// findEntry is the menu entry whose label starts with prefix.
func findEntry(m []testenv.MenuEntry, prefix string) (testenv.MenuEntry, bool) {
	for _, e := range m {
		if strings.HasPrefix(e.Label, prefix) {
			return e, true
		}
	}
	return testenv.MenuEntry{}, false
}

// waitEntry polls the menu until an entry starting with prefix satisfies ok.
func waitEntry(t *testing.T, it testenv.TrayItem, prefix string, limit time.Duration, ok func(testenv.MenuEntry) bool) ([]testenv.MenuEntry, testenv.MenuEntry) {
	t.Helper()
	return waitIn(t, func() []testenv.MenuEntry { return it.Menu(t) }, "the menu", prefix, limit, ok)
}

// waitSubEntry polls the submenu of the top-level entry labelled parent until an entry
// starting with prefix satisfies ok.
func waitSubEntry(t *testing.T, it testenv.TrayItem, parent, prefix string, limit time.Duration, ok func(testenv.MenuEntry) bool) ([]testenv.MenuEntry, testenv.MenuEntry) {
	t.Helper()
	return waitIn(t, func() []testenv.MenuEntry { return it.SubMenu(t, parent) }, "the "+parent+" submenu", prefix, limit, ok)
}

// waitIn polls read until an entry starting with prefix satisfies ok.
func waitIn(t *testing.T, read func() []testenv.MenuEntry, where, prefix string, limit time.Duration, ok func(testenv.MenuEntry) bool) ([]testenv.MenuEntry, testenv.MenuEntry) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		m := read()
		if e, found := findEntry(m, prefix); found && ok(e) {
			return m, e
		}
		if time.Now().After(deadline) {
			t.Fatalf("no entry %q as wanted in %s within %v; it holds: %q", prefix, where, limit, menuText(m))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two profiles in the real tray under xfce4-panel: one radio-style line each with its state and
// bound folder, the default ticked. Choosing the other line (dbusmenu Event, as the panel sends
// it) makes it the default: what `key` gives in a folder without a binding changes with it.
// `profile use` from a terminal shows in the menu too.
func TestTrayProfiles(t *testing.T) {
	t.Parallel()
	d := newDesktop(t, true)
	keyDefault, keyWork := newKey(t), newKey(t)
	d.api.SetAccepted(keyDefault, keyWork)
	d.env.SecretToolStore(t, keyDefault)
	workDir := filepath.Join(d.env.Home(), "src", "work")
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"profile", "add", "work"}, {"profile", "bind", workDir, "work"}} {
		if r := d.env.Run(t, args...); r.ExitCode != 0 {
			t.Fatalf("%v: exit %d %s%s", args, r.ExitCode, r.Stdout, r.Stderr)
		}
	}
	if r := d.env.RunInput(t, keyWork+"\n", "update-key", "--profile", "work"); r.ExitCode != 0 {
		t.Fatalf("update-key --profile work: exit %d %s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	_, it := d.startTray(t)

	workLine := "work — OK · " + last4(keyWork) + " · ~/src/work"
	want := []string{
		"Claude key (default): OK · " + last4(keyDefault),
		"[x] default — OK · " + last4(keyDefault),
		"[ ] " + workLine,
	}
	var m []testenv.MenuEntry
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		m = it.Menu(t)
		got := strings.Join(menuText(m), "\n")
		missing := ""
		for _, w := range want {
			if !strings.Contains(got, w) {
				missing = w
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the menu lacks %q:\n%s", missing, got)
		}
	}
	t.Logf("menu: %q", menuText(m))
	for _, e := range m {
		if strings.Contains(e.Label, " — ") && e.Toggle == "" {
			t.Fatalf("profile line %q is not checkable", e.Label)
		}
	}
	if _, ok := findEntry(m, tray.LabelRefreshNow); !ok {
		t.Fatalf("no %q (submenu) entry: %q", tray.LabelRefreshNow, menuText(m))
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		tip := it.Tooltip(t)
		if strings.Contains(tip, "default: OK · "+last4(keyDefault)) && strings.Contains(tip, "work: OK · "+last4(keyWork)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tooltip %q does not list both profiles as OK", tip)
		}
	}
	if icon := iconState(t, it.Icon(t)); icon != assets.Ok {
		t.Fatalf("icon %v, want ok", icon)
	}
	// The open menu with two profiles, for scripts/screenshots.sh (which sets the folder).
	if dir := os.Getenv("CLAUDE_KEYTRAY_SCREENSHOTS"); dir != "" {
		sw, sh := d.env.ScreenSize(t)
		d.env.SetBackground(t, color.RGBA{0x3a, 0x4a, 0x5c, 0xff})
		d.env.MovePointer(t, sw/2, sh/2)
		d.saveOpenMenu(t, d.stableScreen(t), filepath.Join(dir, "menu-profiles.png"))
	}
	if r := d.env.Run(t, "key"); strings.TrimSpace(r.Stdout) != keyDefault {
		t.Fatalf("key in an unbound folder before the switch: exit %d %q", r.ExitCode, r.Stderr)
	}

	start := time.Now()
	it.Click(t, workLine)
	m, _ = waitEntry(t, it, "work — ", stateChangeLimit, func(e testenv.MenuEntry) bool { return e.Checked })
	t.Logf("work ticked %v after the click", time.Since(start).Round(time.Millisecond))
	if e, _ := findEntry(m, "default — "); e.Checked {
		t.Fatalf("default is still ticked: %q", menuText(m))
	}
	if e, _ := findEntry(m, "Claude key ("); e.Label != "Claude key (work): OK · "+last4(keyWork) {
		t.Fatalf("status line %q after choosing work", e.Label)
	}
	if r := d.env.Run(t, "key"); strings.TrimSpace(r.Stdout) != keyWork {
		t.Fatalf("key in an unbound folder after choosing work: exit %d %q", r.ExitCode, r.Stderr)
	}
	if st := d.status(t); st.Profile != "work" {
		t.Fatalf("status names profile %q after the click", st.Profile)
	}

	if r := d.env.Run(t, "profile", "use", "default"); r.ExitCode != 0 {
		t.Fatalf("profile use default: exit %d %s", r.ExitCode, r.Stderr)
	}
	start = time.Now()
	waitEntry(t, it, "default — ", stateChangeLimit, func(e testenv.MenuEntry) bool { return e.Checked })
	t.Logf("profile use from a terminal shown %v after it returned", time.Since(start).Round(time.Millisecond))
	if r := d.env.Run(t, "key"); strings.TrimSpace(r.Stdout) != keyDefault {
		t.Fatalf("key after profile use default: exit %d %q", r.ExitCode, r.Stderr)
	}
}

// More profiles than the menu has lines for, added while the tray runs: the ones past the
// lines are listed, checkable, in a More profiles submenu right after them, and choosing one
// there makes it the default; the Refresh now submenu grows an entry for every profile, and
// the new last one refreshes its profile.
func TestTrayManyProfiles(t *testing.T) {
	t.Parallel()
	d := newDesktop(t, true)
	keyDefault, keyLast := newKey(t), newKey(t)
	d.api.SetAccepted(keyDefault, keyLast)
	d.env.SecretToolStore(t, keyDefault)
	if r := d.env.Run(t, "profile", "add", "work"); r.ExitCode != 0 {
		t.Fatalf("profile add work: exit %d %s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	_, it := d.startTray(t)
	waitEntry(t, it, "work — ", 15*time.Second, func(testenv.MenuEntry) bool { return true })

	const total = 15
	for i := 3; i <= total; i++ {
		name := fmt.Sprintf("p%02d", i)
		if r := d.env.Run(t, "profile", "add", name); r.ExitCode != 0 {
			t.Fatalf("profile add %s: exit %d %s%s", name, r.ExitCode, r.Stdout, r.Stderr)
		}
	}
	var names []string
	for _, p := range d.status(t).Profiles {
		names = append(names, p.Profile)
	}
	if len(names) != total {
		t.Fatalf("status lists %d profiles, want %d: %q", len(names), total, names)
	}
	extra := names[len(names)-3:]
	pick := extra[len(extra)-1]
	if r := d.env.RunInput(t, keyLast+"\n", "update-key", "--profile", pick); r.ExitCode != 0 {
		t.Fatalf("update-key --profile %s: exit %d %s%s", pick, r.ExitCode, r.Stdout, r.Stderr)
	}

	more := tray.LabelMoreProfiles + " (3)"
	m, _ := waitEntry(t, it, more, 15*time.Second, func(e testenv.MenuEntry) bool { return e.Label == more })
	lines := 0
	for _, e := range m {
		if strings.Contains(e.Label, " — ") && e.Toggle != "" {
			lines++
		}
	}
	if lines != total-3 {
		t.Fatalf("%d profile lines on the menu itself, want %d: %q", lines, total-3, menuText(m))
	}
	sub, e := waitSubEntry(t, it, more, pick+" — OK · "+last4(keyLast), stateChangeLimit*5, func(testenv.MenuEntry) bool { return true })
	if len(sub) != 3 {
		t.Fatalf("the %q submenu holds %q, want the 3 profiles %q", more, menuText(sub), extra)
	}
	for i, x := range sub {
		if !strings.HasPrefix(x.Label, extra[i]+" — ") || x.Toggle == "" || x.Checked {
			t.Fatalf("entry %d of %q is %q, want an unticked checkable line for %s", i, more, x, extra[i])
		}
	}
	t.Logf("%s: %q", more, menuText(sub))
	// The open menu with its More profiles submenu, for scripts/screenshots.sh: Down to each
	// enabled entry above it (the status line, then every profile line), Right to open it.
	if dir := os.Getenv("CLAUDE_KEYTRAY_SCREENSHOTS"); dir != "" {
		sw, sh := d.env.ScreenSize(t)
		d.env.SetBackground(t, color.RGBA{0x3a, 0x4a, 0x5c, 0xff})
		d.env.MovePointer(t, sw/2, sh/2)
		keys := []string{"Down"}
		for range total - 3 {
			keys = append(keys, "Down")
		}
		d.saveOpenMenuKeys(t, d.stableScreen(t), filepath.Join(dir, "menu-more-profiles.png"), append(keys, "Down", "Right")...)
	}

	start := time.Now()
	it.ClickEntry(t, e)
	moreDefault := more + " · default: " + pick
	waitEntry(t, it, moreDefault, stateChangeLimit*5, func(e testenv.MenuEntry) bool { return e.Label == moreDefault })
	waitSubEntry(t, it, moreDefault, pick+" — ", stateChangeLimit, func(e testenv.MenuEntry) bool { return e.Checked })
	t.Logf("%s ticked %v after the click", pick, time.Since(start).Round(time.Millisecond))
	if st := d.status(t); st.Profile != pick {
		t.Fatalf("status names profile %q after choosing %s", st.Profile, pick)
	}
	if r := d.env.Run(t, "key"); strings.TrimSpace(r.Stdout) != keyLast {
		t.Fatalf("key in an unbound folder after choosing %s: exit %d %q", pick, r.ExitCode, r.Stderr)
	}

	refresh := it.SubMenu(t, tray.LabelRefreshNow)
	if len(refresh) != total || refresh[total-1].Label != names[total-1] {
		t.Fatalf("the %q submenu holds %q, want every profile %q", tray.LabelRefreshNow, menuText(refresh), names)
	}
	before := d.status(t).Refresh.Count
	it.ClickEntry(t, refresh[total-1])
	for deadline := time.Now().Add(20 * time.Second); d.status(t).Refresh.Count <= before; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("choosing %s under %q did not refresh it", pick, tray.LabelRefreshNow)
		}
	}
}
