//go:build linux

package socketpath

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAppDirs(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("XDG_STATE_HOME", "")
	cfg, state, err := AppDirs(home)
	if err != nil || cfg != filepath.Join(home, ".config", "claude-keytray") || state != filepath.Join(home, ".local", "state", "claude-keytray") {
		t.Fatalf("defaults: %q %q %v", cfg, state, err)
	}
	t.Setenv("XDG_CONFIG_HOME", "/x/config")
	t.Setenv("XDG_STATE_HOME", "relative/state") // not absolute: ignored, as the spec says
	if cfg, state, _ := AppDirs(home); cfg != "/x/config/claude-keytray" || state != filepath.Join(home, ".local", "state", "claude-keytray") {
		t.Fatalf("with XDG vars: %q %q", cfg, state)
	}
}

func TestReadRecord(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, RecordFileName)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for body, want := range map[string]string{
		"/tmp/claude-keytray-123\n":     "/tmp/claude-keytray-123",
		"  /tmp/a b \n":                 "/tmp/a b",
		"tmp/relative\n":                "",
		"":                              "",
		"/" + strings.Repeat("x", 5000): "",
	} {
		if got := ReadRecord(write(body)); got != want {
			t.Errorf("record %.40q: %q, want %q", body, got, want)
		}
	}
	if got := ReadRecord(filepath.Join(dir, "missing")); got != "" {
		t.Errorf("a missing record gives %q", got)
	}
	if got := ReadRecord(""); got != "" {
		t.Errorf("no record path gives %q", got)
	}
}

// Recorded finds the record where the daemon writes it, in the state folder of HOME and
// XDG_STATE_HOME, and names the socket in the folder it records.
func TestRecorded(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	t.Setenv("XDG_RUNTIME_DIR", "")
	if got := Recorded(); got != "" {
		t.Fatalf("with no record: %q", got)
	}
	rec := filepath.Join(home, "state", "claude-keytray", RecordFileName)
	if err := os.MkdirAll(filepath.Dir(rec), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rec, []byte("/tmp/claude-keytray-xyz\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := Recorded(); got != "/tmp/claude-keytray-xyz/control.sock" {
		t.Fatalf("Recorded() = %q", got)
	}
	// The record naming the usual folder adds nothing to try.
	rt := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", rt)
	if err := os.WriteFile(rec, []byte(filepath.Join(rt, "claude-keytray")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := Recorded(); got != "" {
		t.Fatalf("a record of the usual folder: %q", got)
	}
}
