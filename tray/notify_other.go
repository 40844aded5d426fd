//go:build !linux

package tray

import (
	"errors"

	"github.com/claude-keytray/claude-keytray/auth"
)

// busNotifier exists on Linux only.
type busNotifier struct{}

var errNoBus = errors.New("notifications go through beeep here")

// notifyBus leaves notifications to beeep: no urgency or actions here.
func (n *Notifier) notifyBus(auth.Note) error { return errNoBus }
