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
// properties and searches only; it never calls Unlock. The connection is private and is
// closed on return.
func Locked(ctx context.Context, attrs map[string]string) (Lock, error) {
	addr, err := BusAddress()
	if err != nil {
		return Lock{}, err
	}
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return Lock{}, fmt.Errorf("connecting to the session bus %s: %w", addr, err)
	}
	defer conn.Close()
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
