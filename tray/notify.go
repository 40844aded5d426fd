// Package tray is claude-keytray's face on the desktop: the status icon and its menu, the
// key-entry dialog and desktop notifications, all drawn from the engine's status and events.
package tray

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/claude-keytray/claude-keytray/assets"
	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/gen2brain/beeep"
)

// AppName is the name notifications show as their sender.
const AppName = DisplayName

// notifyTimeout bounds one notification: a notification daemon that does not answer must not
// hold up a refresh.
const notifyTimeout = 5 * time.Second

// Notification actions: the keys sent with Notify and returned by ActionInvoked.
const (
	ActionUpdateKey = "update-key"
	ActionDetails   = "details"
)

// Notifier sends desktop notifications: on Linux straight over D-Bus (urgency, and the
// "Update key…" and "Details" actions where the server offers them), elsewhere through beeep
// (the notification centre on macOS, toasts on Windows). It implements auth.Notifier and
// auth.NoteNotifier.
type Notifier struct {
	// Icon is a PNG shown with the notification; may be nil.
	Icon []byte
	mu   sync.Mutex

	amu      sync.Mutex
	onAction func(action string)
	bus      *busNotifier
}

// OnAction sets what a click on one of a notification's actions does; nil offers no actions.
func (n *Notifier) OnAction(fn func(action string)) {
	n.amu.Lock()
	n.onAction = fn
	n.amu.Unlock()
}

func (n *Notifier) actionHandler() func(string) {
	n.amu.Lock()
	defer n.amu.Unlock()
	return n.onAction
}

// NewNotifier returns a Notifier showing icon; nil means the app icon.
func NewNotifier(icon []byte) *Notifier {
	beeep.AppName = AppName
	if icon == nil {
		icon, _ = assets.AppIconPNG(64)
	}
	return &Notifier{Icon: icon}
}

// Notify shows one notification of normal urgency without actions.
func (n *Notifier) Notify(title, body string) error {
	return n.NotifyNote(auth.Note{Title: title, Body: body, Urgency: auth.UrgencyNormal})
}

// NotifyNote shows one notification, serialised with the others and bounded by a timeout.
func (n *Notifier) NotifyNote(note auth.Note) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.notifyBus(note); !errors.Is(err, errNoBus) {
		return err
	}
	title, body := note.Title, note.Body
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
