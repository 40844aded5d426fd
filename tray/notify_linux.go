package tray

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/godbus/dbus/v5"
)

const (
	notifyDest  = "org.freedesktop.Notifications"
	notifyPath  = "/org/freedesktop/Notifications"
	notifyIface = "org.freedesktop.Notifications"
)

// busNotifier talks to the notification server itself: beeep sends neither urgency nor
// actions. It keeps its connection to hear ActionInvoked for the notifications it sent.
type busNotifier struct {
	conn    *dbus.Conn
	actions bool
	icon    string

	mu  sync.Mutex
	ids map[uint32]bool
}

// errNoBus means no notification server answers on D-Bus: beeep's other ways are tried.
var errNoBus = fmt.Errorf("no notification server on the session bus")

func (n *Notifier) busConn() (*busNotifier, error) {
	if n.bus != nil {
		return n.bus, nil
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, errNoBus
	}
	var caps []string
	call := conn.Object(notifyDest, notifyPath).Call(notifyIface+".GetCapabilities", 0)
	if call.Err != nil || call.Store(&caps) != nil {
		conn.Close()
		return nil, errNoBus
	}
	b := &busNotifier{conn: conn, actions: slices.Contains(caps, "actions"), ids: map[uint32]bool{}, icon: iconFile(n.Icon)}
	if b.actions {
		_ = conn.AddMatchSignal(dbus.WithMatchInterface(notifyIface), dbus.WithMatchMember("ActionInvoked"))
		_ = conn.AddMatchSignal(dbus.WithMatchInterface(notifyIface), dbus.WithMatchMember("NotificationClosed"))
		signals := make(chan *dbus.Signal, 8)
		conn.Signal(signals)
		go n.listen(b, signals)
	}
	n.bus = b
	return b, nil
}

// listen runs the action a user clicked on one of this process's notifications.
func (n *Notifier) listen(b *busNotifier, signals <-chan *dbus.Signal) {
	for s := range signals {
		if len(s.Body) < 2 {
			continue
		}
		id, _ := s.Body[0].(uint32)
		b.mu.Lock()
		ours := b.ids[id]
		if s.Name == notifyIface+".NotificationClosed" {
			delete(b.ids, id)
		}
		b.mu.Unlock()
		if !ours || s.Name != notifyIface+".ActionInvoked" {
			continue
		}
		if action, ok := s.Body[1].(string); ok {
			if fn := n.actionHandler(); fn != nil {
				go fn(action)
			}
		}
	}
}

// notifyBus sends note with its urgency, and its actions when the server has them and this
// process handles them.
func (n *Notifier) notifyBus(note auth.Note) error {
	b, err := n.busConn()
	if err != nil {
		return err
	}
	var actions []string
	if note.Actions && b.actions && n.actionHandler() != nil {
		actions = []string{ActionUpdateKey, LabelUpdateKey, ActionDetails, "Details"}
	}
	hints := map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(note.Urgency))}
	done := make(chan error, 1)
	go func() {
		var id uint32
		call := b.conn.Object(notifyDest, notifyPath).Call(notifyIface+".Notify", 0,
			AppName, uint32(0), b.icon, note.Title, note.Body, actions, hints, int32(-1))
		err := call.Err
		if err == nil {
			err = call.Store(&id)
		}
		if err == nil && len(actions) > 0 {
			b.mu.Lock()
			b.ids[id] = true
			b.mu.Unlock()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(notifyTimeout):
		return fmt.Errorf("the notification daemon did not answer within %s", notifyTimeout)
	}
}

// iconFile writes the notification icon where the server can read it, once per process.
func iconFile(png []byte) string {
	if len(png) == 0 {
		return ""
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	path := filepath.Join(dir, "claude-keytray", "notification-icon.png")
	if b, err := os.ReadFile(path); err == nil && string(b) == string(png) {
		return path
	}
	if os.MkdirAll(filepath.Dir(path), 0o700) != nil || os.WriteFile(path, png, 0o600) != nil {
		return ""
	}
	return path
}
