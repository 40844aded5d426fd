//go:build linux || freebsd || openbsd || netbsd

package tray

// How fyne.io/systray v1.12.2 behaves on these systems, and what this file does about it:
//
//   - systray.Run can run once per process (its quit channel is closed for good), so the icon
//     is started once, when a tray host first exists, and kept for the life of the process.
//   - Without a session bus, Run logs and returns from its setup, and Quit then panics on a nil
//     connection; without a StatusNotifierWatcher it logs "failed to register" and the icon
//     stays unseen. So Run is only started once our own watch has seen a watcher, and it runs
//     under a recover.
//   - It copies the icon and tooltip into its exported properties once during startup; a
//     SetIcon or SetTooltip that lands between that copy and the export is lost. So both are
//     sent again once the watcher lists the item.
//   - After its first registration it re-registers when org.kde.StatusNotifierWatcher gets a
//     new owner, but that loop ends on the first signal with fewer than three arguments that
//     reaches the shared session connection (a notification's NotificationClosed is one). So
//     the watch below checks the watcher's RegisteredStatusNotifierItems itself and registers
//     the item again when it is missing.
//
// The watch uses its own private connection, so the signals it subscribes to never reach
// systray's loop.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"fyne.io/systray"
	"github.com/godbus/dbus/v5"
)

const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = "/StatusNotifierWatcher"
	itemPath     = "/StatusNotifierItem"
	trayID       = "claude-keytray"
	maxBusWait   = 5 * time.Minute
	registerWait = 5 * time.Second
)

// pixmapQuirk: systray turns icons into an IconPixmap here, low bytes and all (pixmap.go).
const pixmapQuirk = true

const noHostHelp = "no tray host: nothing on the session bus owns " + watcherName + ", so the icon cannot be shown; " +
	"running headless (refreshes and the control API work as usual) and the icon appears when a tray host starts. " +
	"GNOME: install and enable the AppIndicator extension (Debian/Ubuntu: gnome-shell-extension-appindicator); " +
	"Xfce: add the Status Tray plugin to a panel; KDE Plasma, Cinnamon, MATE and waybar have one built in"

func runHost(ctx context.Context, m *Menu) error {
	h := &sniHost{m: m, log: m.log, ctx: ctx}
	h.watch()
	h.stop()
	return nil
}

type sniHost struct {
	m   *Menu
	log *slog.Logger
	ctx context.Context

	started bool
	done    chan struct{}
}

// watch follows the session bus and the watcher's owner until ctx ends, reconnecting with a
// backoff when there is no bus.
func (h *sniHost) watch() {
	wait := time.Second
	said := false
	for h.ctx.Err() == nil {
		conn, err := connectSessionBus()
		if err != nil {
			if !said {
				h.log.Warn("no D-Bus session bus, so no tray icon: running headless (refreshes and the control API work as usual); "+
					"start claude-keytray inside your desktop session (Debian/Ubuntu: dbus-user-session provides the bus)", "err", err)
				said = true
			}
			h.m.setTray(TrayHeadless)
			if !sleepCtx(h.ctx, wait) {
				return
			}
			wait = min(wait*2, maxBusWait)
			continue
		}
		said, wait = false, time.Second
		h.follow(conn)
		conn.Close()
	}
}

// connectSessionBus opens a private connection without dbus-launch's autolaunch: a bus that
// only this process would see is no place for a tray icon.
func connectSessionBus() (*dbus.Conn, error) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return nil, err
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// follow reacts to the watcher coming and going until ctx ends or the connection breaks.
func (h *sniHost) follow(conn *dbus.Conn) {
	if err := conn.AddMatchSignal(
		dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, watcherName),
	); err != nil {
		h.log.Warn("cannot watch for a tray host on the session bus", "err", err)
		return
	}
	sigs := make(chan *dbus.Signal, 8)
	conn.Signal(sigs)
	defer conn.RemoveSignal(sigs)

	var up bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&up); err != nil {
		h.log.Warn("cannot ask the session bus for a tray host", "err", err)
	}
	h.changed(conn, up)
	for {
		select {
		case <-h.ctx.Done():
			return
		case sig, ok := <-sigs:
			if !ok || sig == nil {
				h.log.Warn("lost the session bus connection; watching for it again")
				h.m.setTray(TrayHeadless)
				return
			}
			if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) < 3 {
				continue
			}
			if name, _ := sig.Body[0].(string); name != watcherName {
				continue
			}
			owner, _ := sig.Body[2].(string)
			h.changed(conn, owner != "")
		}
	}
}

func (h *sniHost) changed(conn *dbus.Conn, up bool) {
	if !up {
		h.log.Warn(noHostHelp)
		h.m.setTray(TrayHeadless)
		return
	}
	h.start()
	if h.confirm(conn) {
		h.log.Info("tray icon registered with the StatusNotifierWatcher")
		h.m.reassert()
		h.m.setTray(TrayRegistered)
		return
	}
	h.log.Warn("the tray host did not list the icon after registering it; running headless until it restarts", "waited", registerWait.String())
	h.m.setTray(TrayHeadless)
}

// start runs systray once; it registers the item with the watcher itself.
func (h *sniHost) start() {
	if h.started {
		return
	}
	h.started = true
	h.done = make(chan struct{})
	systray.SetTitle(trayID) // before Run: it becomes the item's Id
	go func() {
		defer close(h.done)
		defer func() {
			if r := recover(); r != nil {
				h.log.Error("the tray icon stopped", "panic", fmt.Sprint(r))
			}
		}()
		systray.Run(func() { h.m.build(h.ctx) }, nil)
	}()
}

// confirm waits until the watcher lists our item, registering it again if it does not.
func (h *sniHost) confirm(conn *dbus.Conn) bool {
	names := []string{fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", os.Getpid())}
	start := time.Now()
	again := false
	for {
		// systray's connection is godbus's shared one; its unique name is how some watchers list us.
		if shared, err := dbus.SessionBus(); err == nil && len(names) == 1 {
			if n := shared.Names(); len(n) > 0 {
				names = append(names, n[0])
			}
		}
		var items []string
		v, err := conn.Object(watcherName, watcherPath).GetProperty(watcherName + ".RegisteredStatusNotifierItems")
		if err == nil {
			items, _ = v.Value().([]string)
		}
		if listed(items, names) {
			return true
		}
		if !again && time.Since(start) > registerWait/3 {
			again = true
			if shared, err := dbus.SessionBus(); err == nil {
				if err := shared.Object(watcherName, watcherPath).Call(watcherName+".RegisterStatusNotifierItem", 0, itemPath).Err; err != nil {
					h.log.Warn("registering the tray icon failed", "err", err)
				}
			}
		}
		if time.Since(start) > registerWait || !sleepCtx(h.ctx, 100*time.Millisecond) {
			return false
		}
	}
}

// listed reports whether a watcher's item list holds one of our names ("name" or "name/path").
func listed(items, names []string) bool {
	for _, it := range items {
		for _, n := range names {
			if it == n || strings.HasPrefix(it, n+"/") {
				return true
			}
		}
	}
	return false
}

// stop removes the icon: systray.Quit, then wait briefly for its loop to close the connection.
func (h *sniHost) stop() {
	if !h.started {
		return
	}
	systray.Quit()
	select {
	case <-h.done:
	case <-time.After(3 * time.Second):
		h.log.Warn("the tray icon did not stop within 3s")
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
