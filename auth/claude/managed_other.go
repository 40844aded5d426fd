//go:build !linux && !darwin && !windows

package claude

// ManagedSettingsPath is empty where Claude Code has no managed settings file.
func ManagedSettingsPath() string { return "" }
