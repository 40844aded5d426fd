package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCallerRecordCall(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ttl := DefaultHelperTTL
	cases := []struct {
		name              string
		ttl               time.Duration
		last, forced, now time.Duration // offsets from t0; forced < 0 means never
		retry, force      bool
	}{
		{"after the TTL: Claude Code's normal re-run", ttl, 0, -1, ttl + time.Second, false, false},
		{"just under the TTL is still normal", ttl, 0, -1, ttl - time.Second, false, false},
		{"a second later: a 401 retry", ttl, 0, -1, time.Second, true, true},
		{"retry within 10 s of the last forced refresh", ttl, 5 * time.Second, 0, 6 * time.Second, true, false},
		{"retry 10 s after the last forced refresh", ttl, 9 * time.Second, 0, 10 * time.Second, true, true},
		{"a tiny TTL cannot tell retries apart", 2 * time.Second, 0, -1, 500 * time.Millisecond, false, false},
		{"the clock went back", ttl, 10 * time.Second, -1, 5 * time.Second, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := callerRecord{TTLms: c.ttl.Milliseconds(), Last: t0.Add(c.last)}
			if c.forced >= 0 {
				r.Forced = t0.Add(c.forced)
			}
			retry, force := r.call(t0.Add(c.now))
			if retry != c.retry || force != c.force {
				t.Fatalf("call() = retry %v force %v, want %v %v", retry, force, c.retry, c.force)
			}
			if !r.Last.Equal(t0.Add(c.now)) {
				t.Fatalf("Last not updated: %v", r.Last)
			}
		})
	}
}

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
		if got := helperShellArgs(c.argv); got != c.want {
			t.Errorf("helperShellArgs(%q) = %v, want %v", c.argv, got, c.want)
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
		if got := isClaudeCode(c.exe, c.argv); got != c.want {
			t.Errorf("isClaudeCode(%q, %q) = %v, want %v", c.exe, c.argv, got, c.want)
		}
	}
}

func TestHelperTTL(t *testing.T) {
	home := t.TempDir()
	cwd := t.TempDir()
	p := Paths{ClaudeDir: filepath.Join(home, ".claude")}
	if got := helperTTL([]string{"HOME=" + home}, cwd, p); got != DefaultHelperTTL {
		t.Fatalf("default: %v", got)
	}
	if got := helperTTL([]string{"HOME=" + home, ttlEnv + "=60000"}, cwd, p); got != time.Minute {
		t.Fatalf("from the environment: %v", got)
	}
	writeFile(t, filepath.Join(home, ".claude", "settings.json"), `{"env":{"`+ttlEnv+`":"120000"}}`)
	if got := helperTTL([]string{"HOME=" + home, ttlEnv + "=60000"}, cwd, p); got != 2*time.Minute {
		t.Fatalf("user settings' env wins over the process environment: %v", got)
	}
	writeFile(t, filepath.Join(cwd, ".claude", "settings.json"), `{"env":{"`+ttlEnv+`":30000}}`)
	if got := helperTTL([]string{"HOME=" + home}, cwd, p); got != 30*time.Second {
		t.Fatalf("project settings win over user settings: %v", got)
	}
	if got := helperTTL([]string{"HOME=" + t.TempDir(), ttlEnv + "=soon"}, "", Paths{}); got != DefaultHelperTTL {
		t.Fatalf("a bad environment value falls through to the default: %v", got)
	}
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAuthFailureOrigin(t *testing.T) {
	if got := AuthFailureOrigin("claude", "retrying 1/2"); got != "claude; retrying 1/2" {
		t.Fatalf("got %q", got)
	}
	who, next := splitOrigin(AuthFailureOrigin("a; b\nc", ""))
	if who != "a b c" || next != "" {
		t.Fatalf("who %q next %q", who, next)
	}
	long := AuthFailureOrigin(strings.Repeat("x", 500), strings.Repeat("y", 500))
	if n := len([]rune(long)); n > 200 {
		t.Fatalf("origin of %d characters", n)
	}
	if who, next := splitOrigin("control API"); who != "control API" || next != "" {
		t.Fatalf("a plain origin: %q %q", who, next)
	}
}
