//go:build linux

package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ClaudeTimeout bounds one run of the claude CLI. A run against FakeAPI takes about a second;
// a rejected key with retries left takes minutes (see FakeAPI.SetShouldRetry).
const ClaudeTimeout = 3 * time.Minute

// UseFakeAPI points the Env at api for both claude-keytray and the claude CLI
// (ANTHROPIC_BASE_URL) and sets what keeps the CLI quiet and offline: no auto-updater, no
// telemetry or other non-essential traffic.
func (e *Env) UseFakeAPI(api *FakeAPI) {
	e.Set("ANTHROPIC_BASE_URL", api.URL())
	e.Set("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
	e.Set("DISABLE_AUTOUPDATER", "1")
}

// Claude runs the real claude CLI in the Env (e.g. Claude(t, "-p", "say hi")) with no input
// and ClaudeTimeout.
func (e *Env) Claude(t testing.TB, args ...string) Result {
	t.Helper()
	Require(t, "claude")
	ctx, cancel := context.WithTimeout(context.Background(), ClaudeTimeout)
	defer cancel()
	return e.ExecContext(ctx, t, "", "claude", args...)
}

// ClaudeDir is the Env's Claude Code config dir: $CLAUDE_CONFIG_DIR when set, else ~/.claude.
func (e *Env) ClaudeDir() string {
	if d := e.Get("CLAUDE_CONFIG_DIR"); d != "" {
		return d
	}
	return filepath.Join(e.Home(), ".claude")
}

// WriteFile writes data to path (relative paths are under HOME), creating parent directories.
func (e *Env) WriteFile(t testing.TB, path string, data string, perm os.FileMode) string {
	t.Helper()
	if !filepath.IsAbs(path) {
		path = filepath.Join(e.Home(), path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatalf("testenv: create %s: %v", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, []byte(data), perm); err != nil {
		t.Fatalf("testenv: write %s: %v", path, err)
	}
	return path
}
