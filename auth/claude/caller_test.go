package claude

import (
	"path/filepath"
	"testing"
	"time"
)

func TestHelperShellArgs(t *testing.T) {
	cases := []struct {
		argv []string
		want bool
	}{
		{[]string{"/bin/sh", "-c", "/home/u/.claude/auth_helper.sh"}, true},
		{[]string{"/bin/sh", "-c", "'/home/u/my dir/.claude/auth_helper.sh'"}, true},
		{[]string{"/bin/sh", "-c", "/usr/local/bin/claude-keytray key"}, true},
		{[]string{"sh", "-c", "~/bin/wrapper"}, true},
		{[]string{"/bin/bash", "-c", "for i in 1 2 3; do ~/.claude/auth_helper.sh; done"}, false},
		{[]string{"/bin/bash", "-c", "-l", "eval 'auth_helper.sh'"}, false},
		{[]string{"/bin/sh", "/home/u/loop.sh"}, false},
		{[]string{"/bin/sh", "-c", "/usr/bin/other key"}, false},
		{[]string{"/usr/bin/python3", "-c", "x"}, false},
		{nil, false},
	}
	for _, c := range cases {
		if got := IsHelperShell(c.argv); got != c.want {
			t.Errorf("IsHelperShell(%q) = %v, want %v", c.argv, got, c.want)
		}
	}
}

func TestIsClaudeCode(t *testing.T) {
	cases := []struct {
		exe  string
		argv []string
		want bool
	}{
		{"/usr/lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe", []string{"claude", "-p", "hi"}, true},
		{"/usr/local/bin/claude", []string{"claude"}, true},
		{"/home/u/.local/share/claude/versions/2.1.197", []string{"claude"}, true},
		{"/usr/bin/node", []string{"node", "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js", "-p"}, true},
		{"/usr/bin/node", []string{"node", "/home/u/bench.js"}, false},
		{"/usr/bin/python3", []string{"python3", "bench.py"}, false},
		{"/usr/bin/bash", []string{"bash"}, false},
	}
	for _, c := range cases {
		if got := IsClaudeCode(c.exe, c.argv); got != c.want {
			t.Errorf("IsClaudeCode(%q, %q) = %v, want %v", c.exe, c.argv, got, c.want)
		}
	}
}

func TestHelperTTL(t *testing.T) {
	home := t.TempDir()
	cwd := t.TempDir()
	p := Files{Dir: filepath.Join(home, ".claude")}
	if got := HelperTTL([]string{"HOME=" + home}, cwd, p); got != DefaultHelperTTL {
		t.Fatalf("default: %v", got)
	}
	if got := HelperTTL([]string{"HOME=" + home, TTLEnv + "=60000"}, cwd, p); got != time.Minute {
		t.Fatalf("from the environment: %v", got)
	}
	writeFileT(t, filepath.Join(home, ".claude", "settings.json"), `{"env":{"`+TTLEnv+`":"120000"}}`, 0o600)
	if got := HelperTTL([]string{"HOME=" + home, TTLEnv + "=60000"}, cwd, p); got != 2*time.Minute {
		t.Fatalf("user settings' env wins over the process environment: %v", got)
	}
	writeFileT(t, filepath.Join(cwd, ".claude", "settings.json"), `{"env":{"`+TTLEnv+`":30000}}`, 0o600)
	if got := HelperTTL([]string{"HOME=" + home}, cwd, p); got != 30*time.Second {
		t.Fatalf("project settings win over user settings: %v", got)
	}
	if got := HelperTTL([]string{"HOME=" + t.TempDir(), TTLEnv + "=soon"}, "", Files{}); got != DefaultHelperTTL {
		t.Fatalf("a bad environment value falls through to the default: %v", got)
	}
}
