//go:build darwin || windows

package packaging

// SystemdUserAvailable reports whether `systemctl --user` reaches a user service manager;
// never on macOS and Windows.
func SystemdUserAvailable() bool { return false }
