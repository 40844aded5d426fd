//go:build !windows && !darwin

package assets

// TrayIcon returns the icon fyne.io/systray wants for the state on this OS: here a 32 px PNG.
func TrayIcon(s State) []byte {
	b, _ := IconPNG(s, trayIconSize)
	return b
}
