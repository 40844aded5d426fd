//go:build !linux

package secretservice

import (
	"context"
	"errors"
)

// ErrNoBus is never returned off Linux: the keychain there is not on D-Bus.
var ErrNoBus = errors.New("no D-Bus session bus")

// BusAddress is not needed off Linux.
func BusAddress() (string, error) { return "", nil }

// Lock is what Locked found; off Linux nothing is looked at.
type Lock struct {
	Locked     bool
	Collection string
	Item       bool
}

// Locked reports nothing off Linux: Keychain and Credential Manager are not asked in advance.
func Locked(ctx context.Context, attrs map[string]string) (Lock, error) { return Lock{}, nil }

// WatchDismissed has nothing to watch off Linux.
func WatchDismissed() (stop func() bool) { return func() bool { return false } }
