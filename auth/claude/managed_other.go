//go:build !linux && !darwin && !windows

package claude

// managedDir is empty where Claude Code has no managed settings.
func managedDir() string { return "" }
