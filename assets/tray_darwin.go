package assets

// TrayIcon returns the icon fyne.io/systray wants for the state on this OS: on macOS the
// template image (see TrayTemplateIcon), so the menu bar tints it like the system's own icons.
func TrayIcon(s State) []byte {
	return TrayTemplateIcon(s)
}
