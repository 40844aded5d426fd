package watch

import (
	"context"

	"github.com/godbus/dbus/v5"
)

// secretCollection is the Secret Service interface whose signals say an item was created,
// changed or deleted (gnome-keyring, KeePassXC, KWallet's bridge).
const secretCollection = "org.freedesktop.Secret.Collection"

// SecretService calls onChange whenever an item of any Secret Service collection on the
// session bus is created, changed or deleted, until ctx ends. It returns an error when the bus
// cannot be reached; the caller then does without.
func SecretService(ctx context.Context, onChange func()) error {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return err
	}
	for _, member := range []string{"ItemCreated", "ItemChanged", "ItemDeleted"} {
		if err := conn.AddMatchSignal(dbus.WithMatchInterface(secretCollection), dbus.WithMatchMember(member)); err != nil {
			conn.Close()
			return err
		}
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	go func() {
		defer conn.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case s, ok := <-signals:
				if !ok {
					return
				}
				if s != nil {
					onChange()
				}
			}
		}
	}()
	return nil
}
