//go:build linux

package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/claude-keytray/claude-keytray/auth/internal/secretservice"
)

// ready checks, without asking the keychain for anything, that a call can go ahead: a session
// bus exists (go-keyring would otherwise start one, taking seconds and leaving a dbus-daemon
// behind), and the collection and item are not locked (reading would open an unlock or confirm
// dialog). A Secret Service that cannot be asked is left to go-keyring's own error.
func (s *KeyringStore) ready(ctx context.Context, op string) error {
	l, err := secretservice.Locked(ctx, map[string]string{"service": s.Service, "username": s.Account})
	switch {
	case errors.Is(err, secretservice.ErrNoBus):
		return fmt.Errorf("%w: %s %s: %v; %s", ErrKeychainUnavailable, op, s.Where(), err, noBusHint)
	case err != nil:
		return nil
	case l.Locked && l.Item:
		return fmt.Errorf("%w: %s %s: the keychain asks to confirm access to the item, and claude-keytray opens no dialog from the background; with the app running, store the key once with claude-keytray update-key (or the tray's Update key…) and allow it when the keychain asks: the app keeps that access while both run", ErrKeychainLocked, op, s.Where())
	case l.Locked:
		return fmt.Errorf("%w: %s %s: the collection %s is locked, and claude-keytray opens no dialog from the background; unlock it (log in to the desktop, or open your keychain app) and try again", ErrKeychainLocked, op, s.Where(), l.Collection)
	}
	return nil
}

const noBusHint = "start claude-keytray inside your desktop session, or run it under dbus-run-session with gnome-keyring-daemon --unlock, or keep the key in a file with --store file"
