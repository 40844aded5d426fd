//go:build linux

package testenv

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// The StatusNotifier names a tray host owns and an item exports.
const (
	WatcherName = "org.kde.StatusNotifierWatcher"
	watcherPath = dbus.ObjectPath("/StatusNotifierWatcher")
	itemIface   = "org.kde.StatusNotifierItem"
	menuIface   = "com.canonical.dbusmenu"
)

// PanelHeight is the height of the panel StartPanel shows at the bottom of the screen.
const PanelHeight = 32

// panelConfig is an xfconf channel with one bottom panel holding an expanding separator and
// the Status Tray plugin ("systray"), which in xfce4-panel 4.16+ is both the
// StatusNotifierWatcher and its host. With this file in XDG_CONFIG_HOME a fresh HOME gets no
// first-run "default or empty panel?" question.
const panelConfig = `<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="dark-mode" type="bool" value="false"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=8;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="icon-size" type="uint" value="24"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
      <property name="menu-is-primary" type="bool" value="true"/>
    </property>
  </property>
</channel>
`

// StartPanel starts xfce4-panel with the Status Tray plugin on the Env's display and bus
// (starting both if needed) and waits until it owns org.kde.StatusNotifierWatcher. The panel
// config goes into the Env's XDG_CONFIG_HOME, where xfconfd (activated on the private bus)
// reads it. Stop it with Proc.Stop to take the tray host away.
func (e *Env) StartPanel(t testing.TB) *Proc {
	t.Helper()
	Require(t, "xfce4-panel")
	e.StartBus(t)
	e.StartX(t)
	dir := filepath.Join(e.Get("XDG_CONFIG_HOME"), "xfce4", "xfconf", "xfce-perchannel-xml")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatalf("testenv: create %s: %v", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "xfce4-panel.xml"), []byte(panelConfig), 0o600); err != nil {
		t.Fatalf("testenv: write the panel config: %v", err)
	}
	// No window manager runs under Xvfb; without the flag the panel waits for one for seconds.
	p := e.Start(t, "xfce4-panel", "--disable-wm-check")
	e.WaitForName(t, WatcherName, true, 20*time.Second, p)
	return p
}

// RegisteredItems returns the watcher's RegisteredStatusNotifierItems ("busname/path").
func (e *Env) RegisteredItems(t testing.TB) []string {
	t.Helper()
	v, err := e.BusConn(t).Object(WatcherName, watcherPath).GetProperty(WatcherName + ".RegisteredStatusNotifierItems")
	if err != nil {
		t.Fatalf("testenv: read RegisteredStatusNotifierItems: %v", err)
	}
	items, _ := v.Value().([]string)
	return items
}

// TrayItem is a StatusNotifierItem on the Env's bus, read the way a tray host reads it.
type TrayItem struct {
	e *Env
	// Service is the item's bus name, Path its object path, both as the watcher lists them.
	Service string
	Path    dbus.ObjectPath
}

// FindTrayItem returns the registered item owned by process pid, if any.
func (e *Env) FindTrayItem(t testing.TB, pid int) (TrayItem, bool) {
	t.Helper()
	if !e.NameHasOwner(t, WatcherName) {
		return TrayItem{}, false
	}
	for _, it := range e.RegisteredItems(t) {
		service, path := it, "/StatusNotifierItem"
		if i := strings.Index(it, "/"); i >= 0 {
			service, path = it[:i], it[i:]
		}
		var owner uint32
		if err := e.BusConn(t).BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, service).Store(&owner); err != nil {
			continue // the item's owner just left
		}
		if int(owner) == pid {
			return TrayItem{e: e, Service: service, Path: dbus.ObjectPath(path)}, true
		}
	}
	return TrayItem{}, false
}

// WaitForTrayItem waits until process pid has an item registered with the watcher.
func (e *Env) WaitForTrayItem(t testing.TB, pid int, timeout time.Duration, proc *Proc) TrayItem {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if it, ok := e.FindTrayItem(t, pid); ok {
			return it
		}
		if proc != nil && proc.Exited() {
			t.Fatalf("testenv: %s exited before registering a tray item:\n%s", proc.name, proc)
		}
		if time.Now().After(deadline) {
			extra := ""
			if proc != nil {
				extra = "\n" + proc.String()
			}
			var items []string
			if e.NameHasOwner(t, WatcherName) {
				items = e.RegisteredItems(t)
			}
			t.Fatalf("testenv: no tray item of pid %d registered within %v (registered: %q)%s", pid, timeout, items, extra)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Property reads one org.kde.StatusNotifierItem property.
func (it TrayItem) Property(t testing.TB, name string) dbus.Variant {
	t.Helper()
	v, err := it.e.BusConn(t).Object(it.Service, it.Path).GetProperty(itemIface + "." + name)
	if err != nil {
		t.Fatalf("testenv: read the tray item's %s: %v", name, err)
	}
	return v
}

// Tooltip is the title of the item's ToolTip property.
func (it TrayItem) Tooltip(t testing.TB) string {
	t.Helper()
	fields, ok := it.Property(t, "ToolTip").Value().([]any)
	if !ok || len(fields) != 4 {
		t.Fatalf("testenv: the ToolTip property is not (sa(iiay)ss): %v", fields)
	}
	s, _ := fields[2].(string)
	return s
}

// Icon decodes the largest image of the item's IconPixmap (ARGB32, network byte order).
func (it TrayItem) Icon(t testing.TB) image.Image {
	t.Helper()
	img, err := it.TryIcon(t)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return img
}

// TryIcon is Icon, with an item that has no image yet (an empty IconPixmap, as while the
// program starts) an error instead of the end of the test.
func (it TrayItem) TryIcon(t testing.TB) (image.Image, error) {
	t.Helper()
	pix, ok := it.Property(t, "IconPixmap").Value().([][]any)
	if !ok || len(pix) == 0 {
		return nil, fmt.Errorf("the item has no IconPixmap")
	}
	var best []any
	for _, p := range pix {
		if best == nil || p[0].(int32) > best[0].(int32) {
			best = p
		}
	}
	w, h, data := int(best[0].(int32)), int(best[1].(int32)), best[2].([]byte)
	if w <= 0 || h <= 0 || len(data) != 4*w*h {
		return nil, fmt.Errorf("IconPixmap is %dx%d with %d bytes", w, h, len(data))
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		a, r, g, b := data[4*i], data[4*i+1], data[4*i+2], data[4*i+3]
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = r, g, b, a
	}
	return img, nil
}

// MenuPath is the object path of the item's com.canonical.dbusmenu (its Menu property).
func (it TrayItem) MenuPath(t testing.TB) dbus.ObjectPath {
	t.Helper()
	p, ok := it.Property(t, "Menu").Value().(dbus.ObjectPath)
	if !ok {
		t.Fatalf("testenv: the item's Menu property is not an object path")
	}
	return p
}

// MenuEntry is one top-level entry of a dbusmenu layout.
type MenuEntry struct {
	ID        int32
	Label     string
	Enabled   bool
	Visible   bool
	Separator bool
	// Toggle is "checkmark" or "radio" for a checkable entry, else "".
	Toggle  string
	Checked bool
}

func (m MenuEntry) String() string {
	switch {
	case m.Separator:
		return "---"
	case m.Toggle != "":
		mark := "[ ]"
		if m.Checked {
			mark = "[x]"
		}
		return fmt.Sprintf("%s %s%s", mark, m.Label, disabledMark(m.Enabled))
	}
	return m.Label + disabledMark(m.Enabled)
}

func disabledMark(enabled bool) string {
	if enabled {
		return ""
	}
	return " (disabled)"
}

// Menu reads the item's top-level menu with com.canonical.dbusmenu.GetLayout, as a tray host
// does when the menu opens. Hidden entries are left out.
func (it TrayItem) Menu(t testing.TB) []MenuEntry {
	t.Helper()
	return it.layout(t, 0)
}

// SubMenu reads the submenu of the visible top-level entry labelled label, as a host does when
// the pointer rests on it. Hidden entries are left out.
func (it TrayItem) SubMenu(t testing.TB, label string) []MenuEntry {
	t.Helper()
	for _, m := range it.Menu(t) {
		if m.Label == label && !m.Separator {
			return it.layout(t, m.ID)
		}
	}
	t.Fatalf("testenv: no menu entry %q", label)
	return nil
}

// layout is the visible children of the menu entry id (0: the root).
func (it TrayItem) layout(t testing.TB, id int32) []MenuEntry {
	t.Helper()
	var rev uint32
	var root struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	call := it.e.BusConn(t).Object(it.Service, it.MenuPath(t)).Call(menuIface+".GetLayout", 0, id, int32(-1), []string{})
	if err := call.Store(&rev, &root); err != nil {
		t.Fatalf("testenv: GetLayout: %v", err)
	}
	var out []MenuEntry
	for _, c := range root.Children {
		f, ok := c.Value().([]any)
		if !ok || len(f) != 3 {
			t.Fatalf("testenv: a menu entry is not (ia{sv}av): %v", c)
		}
		props, _ := f[1].(map[string]dbus.Variant)
		m := MenuEntry{ID: f[0].(int32), Enabled: true, Visible: true}
		if v, ok := props["label"]; ok {
			m.Label, _ = v.Value().(string)
		}
		if v, ok := props["enabled"]; ok {
			m.Enabled, _ = v.Value().(bool)
		}
		if v, ok := props["visible"]; ok {
			m.Visible, _ = v.Value().(bool)
		}
		if v, ok := props["type"]; ok {
			m.Separator = v.Value() == "separator"
		}
		if v, ok := props["toggle-type"]; ok {
			m.Toggle, _ = v.Value().(string)
		}
		if v, ok := props["toggle-state"]; ok {
			n, _ := v.Value().(int32)
			m.Checked = n == 1
		}
		if m.Visible {
			out = append(out, m)
		}
	}
	return out
}

// ClickEntry sends the "clicked" event for an entry read with Menu or SubMenu.
func (it TrayItem) ClickEntry(t testing.TB, e MenuEntry) {
	t.Helper()
	call := it.e.BusConn(t).Object(it.Service, it.MenuPath(t)).Call(menuIface+".Event", 0,
		e.ID, "clicked", dbus.MakeVariant(int32(0)), uint32(time.Now().Unix()))
	if call.Err != nil {
		t.Fatalf("testenv: clicking %q: %v", e.Label, call.Err)
	}
}

// Click sends the "clicked" event for the entry labelled label, as a tray host does when the
// user picks it, and returns that entry. Like a user it waits (up to 10 s) for a disabled
// entry to become enabled first.
func (it TrayItem) Click(t testing.TB, label string) MenuEntry {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		menu := it.Menu(t)
		var entry *MenuEntry
		for i, m := range menu {
			if m.Label == label && !m.Separator {
				entry = &menu[i]
				break
			}
		}
		switch {
		case entry == nil:
			t.Fatalf("testenv: no menu entry %q in %v", label, menu)
		case entry.Enabled:
			it.ClickEntry(t, *entry)
			return *entry
		case time.Now().After(deadline):
			t.Fatalf("testenv: menu entry %q is still disabled after 10s", label)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Windows returns the ids of the visible X windows whose title matches the regular
// expression, using xdotool.
func (e *Env) Windows(t testing.TB, titleRegexp string) []string {
	t.Helper()
	Require(t, "xdotool")
	r := e.Exec(t, "", "xdotool", "search", "--onlyvisible", "--name", titleRegexp)
	if r.ExitCode != 0 {
		return nil // xdotool exits 1 when nothing matches
	}
	return strings.Fields(r.Stdout)
}

// WaitForWindow waits until a visible window's title matches titleRegexp and returns its id.
func (e *Env) WaitForWindow(t testing.TB, titleRegexp string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if ws := e.Windows(t, titleRegexp); len(ws) > 0 {
			return ws[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: no window titled /%s/ within %v", titleRegexp, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitNoWindow waits until no visible window's title matches titleRegexp.
func (e *Env) WaitNoWindow(t testing.TB, titleRegexp string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for len(e.Windows(t, titleRegexp)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("testenv: a window titled /%s/ is still open after %v", titleRegexp, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TypeInto focuses window and types text into it with xdotool, then presses keys (e.g.
// "Return", "Escape"), as a user at the keyboard would. Without a window manager the window
// must be focused explicitly.
func (e *Env) TypeInto(t testing.TB, window, text string, keys ...string) {
	t.Helper()
	if r := e.Exec(t, "", "xdotool", "windowfocus", "--sync", window); r.ExitCode != 0 {
		t.Fatalf("testenv: xdotool windowfocus %s: %s", window, r.Stderr)
	}
	if text != "" {
		// The text goes through stdin ("-"): typed keys are not on a command line either.
		if r := e.Exec(t, text, "xdotool", "type", "--delay", "1", "--file", "-"); r.ExitCode != 0 {
			t.Fatalf("testenv: xdotool type: %s", r.Stderr)
		}
	}
	e.Key(t, keys...)
}

// Key presses keys (e.g. "Return", "Escape") in whatever window has the focus.
func (e *Env) Key(t testing.TB, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if r := e.Exec(t, "", "xdotool", "key", "--clearmodifiers", k); r.ExitCode != 0 {
			t.Fatalf("testenv: xdotool key %s: %s", k, r.Stderr)
		}
	}
}

// ClickAt moves the pointer to (x, y) on the Env's display and clicks button 1.
func (e *Env) ClickAt(t testing.TB, x, y int) {
	t.Helper()
	Require(t, "xdotool")
	r := e.Exec(t, "", "xdotool", "mousemove", strconv.Itoa(x), strconv.Itoa(y), "click", "1")
	if r.ExitCode != 0 {
		t.Fatalf("testenv: xdotool click at %d,%d: %s", x, y, r.Stderr)
	}
}

// MovePointer moves the pointer to (x, y), e.g. away from an icon so no tooltip shows. (No
// --sync: xdotool would wait for a motion that never comes when the pointer is already there.)
func (e *Env) MovePointer(t testing.TB, x, y int) {
	t.Helper()
	Require(t, "xdotool")
	if r := e.Exec(t, "", "xdotool", "mousemove", strconv.Itoa(x), strconv.Itoa(y)); r.ExitCode != 0 {
		t.Fatalf("testenv: xdotool mousemove %d,%d: %s", x, y, r.Stderr)
	}
}

// SetBackground paints the root window (the desktop behind everything) in one colour, with
// ImageMagick's display, so screenshots are not black around the panel and menus.
func (e *Env) SetBackground(t testing.TB, c color.Color) {
	t.Helper()
	Require(t, "display")
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := 0; i < 64; i++ {
		img.Set(i%8, i/8, c)
	}
	path := filepath.Join(e.Get("TMPDIR"), "background.png")
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatalf("testenv: write %s: %v", path, err)
	}
	// display exits 1 even when it has set the background; the screen is the judge.
	r := e.Exec(t, "", "display", "-window", "root", path)
	r1, g1, b1, _ := c.RGBA()
	r2, g2, b2, _ := e.Screenshot(t).At(0, 0).RGBA()
	if r1>>8 != r2>>8 || g1>>8 != g2>>8 || b1>>8 != b2>>8 {
		t.Fatalf("testenv: display -window root did not paint the background (exit %d): %s", r.ExitCode, r.Stderr)
	}
}

// Screenshot captures the whole display with ImageMagick's import and decodes it.
func (e *Env) Screenshot(t testing.TB) image.Image {
	t.Helper()
	Require(t, "import")
	r := e.Exec(t, "", "import", "-window", "root", "png:-")
	if r.ExitCode != 0 {
		t.Fatalf("testenv: import -window root: %s", r.Stderr)
	}
	img, err := png.Decode(bytes.NewReader([]byte(r.Stdout)))
	if err != nil {
		t.Fatalf("testenv: decode the screenshot: %v", err)
	}
	return img
}

// ScreenSize returns the display's width and height.
func (e *Env) ScreenSize(t testing.TB) (int, int) {
	t.Helper()
	Require(t, "xdotool")
	r := e.Exec(t, "", "xdotool", "getdisplaygeometry")
	var w, h int
	if _, err := fmt.Sscan(r.Stdout, &w, &h); err != nil || r.ExitCode != 0 {
		t.Fatalf("testenv: xdotool getdisplaygeometry: %q %s", r.Stdout, r.Stderr)
	}
	return w, h
}
