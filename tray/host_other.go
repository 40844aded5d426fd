//go:build !(linux || freebsd || openbsd || netbsd)

package tray

import (
	"context"

	"fyne.io/systray"
)

// pixmapQuirk: here systray hands the icon bytes to the OS as they are.
const pixmapQuirk = false

// runHost on macOS and Windows: the menu bar and the notification area always exist, and
// systray's loop must own the main thread, so Run blocks here until ctx ends.
func runHost(ctx context.Context, m *Menu) error {
	go func() {
		<-ctx.Done()
		systray.Quit()
	}()
	systray.Run(func() {
		m.build(ctx)
		m.setTray(TrayRegistered)
	}, nil)
	return nil
}
