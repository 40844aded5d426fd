//go:build darwin || windows

package packaging

import "github.com/claude-keytray/claude-keytray/auth/claude"

// InstallLauncher does nothing here: the app bundle (macOS) and the Start menu shortcut of the
// Windows installer are the launchers.
func InstallLauncher(Options) ([]claude.Change, error) { return nil, nil }

// RemoveLauncher does nothing here; see InstallLauncher.
func RemoveLauncher(Options) ([]claude.Change, error) { return nil, nil }
