package auth_test

import (
	"path/filepath"
	"testing"

	"github.com/claude-keytray/claude-keytray/auth"
)

// The folders the fast helper finds the socket record in (auth/socketpath, which cannot import
// auth) are the engine's own: named after AppName, the record in StateDir.
func TestDefaultPathsFolders(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "cfg"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	p, err := auth.DefaultPaths()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p.ConfigDir) != auth.AppName || filepath.Base(p.StateDir) != auth.AppName && filepath.Base(filepath.Dir(p.StateDir)) != auth.AppName {
		t.Fatalf("config %s, state %s: not named %s", p.ConfigDir, p.StateDir, auth.AppName)
	}
	if p.SocketRecord != filepath.Join(p.StateDir, "socket-dir") {
		t.Fatalf("socket record %s, want socket-dir in %s", p.SocketRecord, p.StateDir)
	}
}
