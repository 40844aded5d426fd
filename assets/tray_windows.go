package assets

// TrayIcon returns the icon fyne.io/systray wants for the state on this OS: on Windows an ICO,
// from which the shell picks the image for the notification area's size and DPI.
func TrayIcon(s State) []byte {
	return ICO(s)
}
