// Package tray is claude-keytray's face on the desktop: the status icon and its menu, the
// key-entry dialog and desktop notifications, all drawn from the engine's status and events.
package tray

import (
	"fmt"
	"sync"
	"time"

	"github.com/claude-keytray/claude-keytray/assets"
	"github.com/gen2brain/beeep"
)

// AppName is the name notifications show as their sender.
const AppName = DisplayName

// notifyTimeout bounds one notification: a notification daemon that does not answer must not
// hold up a refresh.
const notifyTimeout = 5 * time.Second

// Notifier sends desktop notifications through beeep (D-Bus on Linux, the notification centre on
// macOS, toasts on Windows). It implements auth.Notifier.
type Notifier struct {
	// Icon is a PNG shown with the notification; may be nil.
	Icon []byte
	mu   sync.Mutex
}

// NewNotifier returns a Notifier showing icon; nil means the app icon.
func NewNotifier(icon []byte) *Notifier {
	beeep.AppName = AppName
	if icon == nil {
		icon, _ = assets.AppIconPNG(64)
	}
	return &Notifier{Icon: icon}
}

// Notify shows one notification, serialised with the others and bounded by a timeout.
func (n *Notifier) Notify(title, body string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	var icon any = ""
	if len(n.Icon) > 0 {
		icon = n.Icon
	}
	done := make(chan error, 1)
	go func() { done <- beeep.Notify(title, body, icon) }()
	select {
	case err := <-done:
		return err
	case <-time.After(notifyTimeout):
		return fmt.Errorf("the notification daemon did not answer within %s", notifyTimeout)
	}
}
