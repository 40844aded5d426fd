package claude

import (
	"os"
	"path/filepath"
)

// Files are the paths of Claude Code's side that claude-keytray reads or writes.
type Files struct {
	// Home is the user's home folder: Claude Code's folder defaults to ~/.claude, and the
	// project settings of a session started there are the user settings.
	Home string
	// Dir is the Claude folder: $CLAUDE_CONFIG_DIR or ~/.claude.
	Dir      string
	Helper   string
	Settings string
	// InstallRecord remembers what install changed so uninstall can undo exactly that.
	InstallRecord string
}

// Locate finds the Claude folder the way Claude Code does, from CLAUDE_CONFIG_DIR or home,
// with install's record kept in stateDir.
func Locate(home, stateDir string) Files {
	dir := os.Getenv("CLAUDE_CONFIG_DIR")
	if dir == "" {
		dir = filepath.Join(home, ".claude")
	}
	return FilesIn(home, dir, stateDir)
}

// FilesIn lays out the files of the Claude folder dir.
func FilesIn(home, dir, stateDir string) Files {
	return Files{
		Home:          home,
		Dir:           dir,
		Helper:        filepath.Join(dir, HelperFileName),
		Settings:      filepath.Join(dir, "settings.json"),
		InstallRecord: filepath.Join(stateDir, "install.json"),
	}
}
