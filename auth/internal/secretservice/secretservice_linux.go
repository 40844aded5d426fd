//go:build linux

package secretservice

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/godbus/dbus/v5"
)

// ErrNoBus means there is no session bus to reach: godbus would start one (dbus-launch), which
// takes seconds and leaves a dbus-daemon behind.
var ErrNoBus = errors.New("no D-Bus session bus")

const (
	serviceName     = "org.freedesktop.secrets"
	servicePath     = dbus.ObjectPath("/org/freedesktop/secrets")
	serviceIface    = "org.freedesktop.Secret.Service"
	collectionIface = "org.freedesktop.Secret.Collection"
	promptIface     = "org.freedesktop.Secret.Prompt"
	loginCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	defaultAlias    = dbus.ObjectPath("/org/freedesktop/secrets/aliases/default")
)

// BusAddress is the session bus the process would use, without starting one:
// DBUS_SESSION_BUS_ADDRESS, else the $XDG_RUNTIME_DIR/bus socket systemd and logind provide.
func BusAddress() (string, error) {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return a, nil
	}
	if rd := os.Getenv("XDG_RUNTIME_DIR"); rd != "" {
		p := filepath.Join(rd, "bus")
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix:path=" + p, nil
		}
	}
	return "", fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS is not set and $XDG_RUNTIME_DIR/bus does not exist", ErrNoBus)
}

// Lock is what Locked found.
type Lock struct {
	Locked bool
	// Collection is the collection looked at (go-keyring's: "login" if it exists, else the
	// default alias).
	Collection dbus.ObjectPath
	// Item is true when the item itself is locked for us while its collection is not (KeePassXC
	// asks to confirm access that way).
	Item bool
}

// Locked reports whether the collection go-keyring stores in, or the item with attrs in it,
// is locked: reading it would make the keychain ask (an unlock or confirm dialog). It reads
// properties and searches only; it never calls Unlock. It asks on the process's shared
// session-bus connection, go-keyring's: KeePassXC allows access per connection, so an item a
// person allowed for go-keyring's connection is still locked for any other.
func Locked(ctx context.Context, attrs map[string]string) (Lock, error) {
	addr, err := BusAddress()
	if err != nil {
		return Lock{}, err
	}
	// With an address found, godbus finds the same one and starts no bus.
	conn, err := dbus.SessionBus()
	if err != nil {
		return Lock{}, fmt.Errorf("connecting to the session bus %s: %w", addr, err)
	}
	svc := conn.Object(serviceName, servicePath)
	col := defaultAlias
	var cols []dbus.ObjectPath
	if v, err := getProperty(ctx, svc, serviceIface, "Collections"); err == nil {
		if list, ok := v.Value().([]dbus.ObjectPath); ok {
			cols = list
		}
	} else {
		return Lock{}, fmt.Errorf("asking the Secret Service for its collections: %w", err)
	}
	for _, c := range cols {
		if c == loginCollection {
			col = loginCollection
		}
	}
	l := Lock{Collection: col}
	v, err := getProperty(ctx, conn.Object(serviceName, col), collectionIface, "Locked")
	if err != nil {
		return l, fmt.Errorf("asking whether the collection %s is locked: %w", col, err)
	}
	if locked, ok := v.Value().(bool); ok && locked {
		l.Locked = true
		return l, nil
	}
	var unlocked, locked []dbus.ObjectPath
	if err := svc.CallWithContext(ctx, serviceIface+".SearchItems", 0, attrs).Store(&unlocked, &locked); err != nil {
		return l, fmt.Errorf("searching the Secret Service: %w", err)
	}
	if len(locked) > 0 && len(unlocked) == 0 {
		l.Locked, l.Item = true, true
	}
	return l, nil
}

func getProperty(ctx context.Context, o dbus.BusObject, iface, name string) (dbus.Variant, error) {
	var v dbus.Variant
	err := o.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, iface, name).Store(&v)
	return v, err
}

// WatchDismissed watches the prompts answered on the process's shared session-bus connection,
// the one go-keyring uses, and returns a function that stops watching and reports whether one
// of them ended dismissed: a confirm or unlock dialog the person closed or denied. go-keyring
// drops that flag, so a CreateItem whose confirmation was dismissed returns no error although
// nothing was stored. Only the prompts go-keyring subscribes to reach the connection, and the
// keychain store runs one call at a time, so what is seen belongs to the call being watched.
func WatchDismissed() (stop func() bool) {
	if _, err := BusAddress(); err != nil {
		return func() bool { return false }
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return func() bool { return false }
	}
	// Signals are handed to every registered channel in order, this one before the one
	// go-keyring registers for its prompt, so a Completed is here before go-keyring returns.
	ch := make(chan *dbus.Signal, 64)
	conn.Signal(ch)
	return func() bool {
		conn.RemoveSignal(ch)
		dismissed := false
		for {
			select {
			case s := <-ch:
				if s.Name == promptIface+".Completed" && len(s.Body) > 0 {
					if d, ok := s.Body[0].(bool); ok && d {
						dismissed = true
					}
				}
			default:
				return dismissed
			}
		}
	}
}
