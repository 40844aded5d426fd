package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/claude"
)

func TestCallerRecordCall(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ttl := claude.DefaultHelperTTL
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
