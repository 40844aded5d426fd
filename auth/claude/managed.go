package claude

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ManagedDirTestEnv moves the managed-settings folder (/etc/claude-code on Linux) for tests
// only: a test cannot write the real one. Nothing outside this package reads it.
const ManagedDirTestEnv = "CLAUDE_KEYTRAY_TEST_MANAGED_DIR"

// ManagedDir is the folder of managed settings: the administrator's, which win over the user's.
func ManagedDir() string {
	if d := os.Getenv(ManagedDirTestEnv); d != "" {
		return d
	}
	return managedDir()
}

// ManagedSettingsPath is the managed settings file; "" where Claude Code has none.
func ManagedSettingsPath() string {
	d := ManagedDir()
	if d == "" {
		return ""
	}
	return filepath.Join(d, "managed-settings.json")
}

// ManagedSettingsFiles are the managed settings in the order Claude Code merges them:
// managed-settings.json, then managed-settings.d/*.json by name, each later one on top.
func ManagedSettingsFiles() []string {
	d := ManagedDir()
	if d == "" {
		return nil
	}
	files := []string{filepath.Join(d, "managed-settings.json")}
	entries, err := os.ReadDir(filepath.Join(d, "managed-settings.d"))
	if err != nil {
		return files
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		files = append(files, filepath.Join(d, "managed-settings.d", n))
	}
	return files
}
