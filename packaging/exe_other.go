//go:build !windows

package packaging

// TrayExe is exe: only Windows ships a separate program for the tray.
func TrayExe(exe string) string { return exe }

// ConsoleExe is exe: only Windows ships a separate program for the tray.
func ConsoleExe(exe string) string { return exe }
