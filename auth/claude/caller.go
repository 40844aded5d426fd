package claude

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/internal/procchain"
	"github.com/tidwall/gjson"
)

// Program is the command a helper script runs; its name also marks our helper scripts.
const Program = "claude-keytray"

// DefaultHelperTTL is Claude Code's default CLAUDE_CODE_API_KEY_HELPER_TTL_MS: how long it
// caches the helper's answer before it runs the helper again.
const DefaultHelperTTL = 5 * time.Minute

// IsHelperShell reports whether argv is how Claude Code runs apiKeyHelper: `sh -c COMMAND`
// with COMMAND one word (the helper script, or a wrapper) or `… claude-keytray key`. A shell
// running anything else — a loop, Claude Code's Bash tool, a user's terminal — is not the
// helper being run, so what is above it is not the helper's caller.
func IsHelperShell(argv []string) bool {
	if len(argv) != 3 || argv[1] != "-c" || !procchain.IsShell(argv[0]) {
		return false
	}
	cmd := strings.TrimSpace(argv[2])
	if _, ok := shWord(cmd); ok {
		return true
	}
	f := strings.Fields(cmd)
	if len(f) == 2 && f[1] == "key" {
		w, ok := shWord(f[0])
		return ok && strings.HasPrefix(filepath.Base(w), Program)
	}
	return false
}

// IsClaudeCode reports whether a process is Claude Code: the native `claude` binary (named
// claude.exe in the npm package, on Linux too; a version number under the native installer's
// versions folder), or node/bun running the @anthropic-ai/claude-code package.
func IsClaudeCode(exe string, argv []string) bool {
	base := filepath.Base(exe)
	if base == "claude" || base == "claude.exe" || strings.Contains(filepath.ToSlash(exe), "/claude/versions/") {
		return true
	}
	if len(argv) > 0 {
		if a0 := filepath.Base(argv[0]); a0 == "claude" || a0 == "claude.exe" {
			return true
		}
	}
	if strings.HasPrefix(base, "node") || strings.HasPrefix(base, "bun") {
		for i, a := range argv {
			if i > 3 {
				break
			}
			if strings.Contains(filepath.ToSlash(a), "@anthropic-ai/claude-code") {
				return true
			}
		}
	}
	return false
}

// TTLEnv is Claude Code's helper cache lifetime, in milliseconds.
const TTLEnv = "CLAUDE_CODE_API_KEY_HELPER_TTL_MS"

// HelperTTL is the caller's helper TTL: Claude Code applies its settings' "env" over its own
// environment, so managed, local, project and user settings are looked at first, then the
// process environment, then the default.
func HelperTTL(environ []string, cwd string, p Files) time.Duration {
	var files []string
	files = append(files, ManagedSettingsPath())
	if cwd != "" {
		files = append(files, filepath.Join(cwd, ".claude", "settings.local.json"), filepath.Join(cwd, ".claude", "settings.json"))
	}
	userDir := p.Dir
	if d, ok := LookupEnv(environ, "CLAUDE_CONFIG_DIR"); ok && d != "" {
		userDir = d
	} else if h, ok := LookupEnv(environ, "HOME"); ok && h != "" {
		userDir = filepath.Join(h, ".claude")
	}
	if userDir != "" {
		files = append(files, filepath.Join(userDir, "settings.json"))
	}
	for _, f := range files {
		if f == "" {
			continue
		}
		if ttl, ok := settingsTTL(f); ok {
			return ttl
		}
	}
	if v, ok := LookupEnv(environ, TTLEnv); ok {
		if ttl, ok := parseTTL(v); ok {
			return ttl
		}
	}
	return DefaultHelperTTL
}

func settingsTTL(path string) (time.Duration, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return 0, false
	}
	r := gjson.GetBytes(b, "env."+TTLEnv)
	if !r.Exists() {
		return 0, false
	}
	return parseTTL(r.String())
}

func parseTTL(v string) (time.Duration, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Millisecond, true
}
