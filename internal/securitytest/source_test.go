//go:build linux

package securitytest

import (
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// TestSourceFaults runs `refresh` (in-process, no daemon) against source commands that fail,
// hang, print garbage, print too much, or print a key on stderr while failing. Each time the
// refresh reports the problem within its bounds, the stored key stays and `key` serves it, and no
// secret reaches the output, the log or the status.
func TestSourceFaults(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool")
	for _, tc := range []struct {
		name    string
		command string // %s is the vault folder
		says    string
		limit   time.Duration
	}{
		{"failing", `echo 'vault: permission denied' >&2; exit 7`, "exit code 7", 10 * time.Second},
		{"slow", `sleep 60`, "did not finish within 1s", 5 * time.Second},
		{"slow with a child holding stdout", `(sleep 60; echo late) & sleep 60`, "did not finish within 1s", 5 * time.Second},
		{"garbage with spaces", `echo 'Error: secret not found'`, "not a usable key", 10 * time.Second},
		{"binary garbage", `printf '\001\002\377\376'`, "not a usable key", 10 * time.Second},
		{"two different keys", `cat %s/other; echo; cat %s/third`, "two different keys", 10 * time.Second},
		{"huge", `yes sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, "printed more than", 10 * time.Second},
		{"endless zeros", `cat /dev/zero`, "printed more than", 10 * time.Second},
		{"empty", `true`, "printed nothing", 10 * time.Second},
		{"a key on stderr while failing", `cat %s/other >&2; exit 1`, "exit code 1", 10 * time.Second},
		{"a key in a sentence on stdout", `printf 'Your key is '; cat %s/other`, "not a usable key", 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, other := newKey(t), newKey(t)
			env, _ := keychainWorld(t, k, other)
			env.SecretToolStore(t, k)
			v := newVault(t, env)
			v.put(t, "other", other)
			v.put(t, "third", newKey(t))
			cmd := strings.ReplaceAll(tc.command, "%s", v.dir)
			writeConfig(t, env, map[string]any{"source_command": cmd, "source_timeout_seconds": 1})

			r := quick(t, env, tc.limit, "", "refresh", "--json")
			st := parseStatus(t, r, "refresh --json")
			if r.ExitCode == 0 || !strings.Contains(st.Refresh.LastError, tc.says) {
				t.Fatalf("refresh with a %s source: exit %d, last error %q; want a failure saying %q", tc.name, r.ExitCode, st.Refresh.LastError, tc.says)
			}
			if got := stored(t, env); got != k {
				t.Fatalf("the keychain holds %s after a %s source, want %s", fp(got), tc.name, fp(k))
			}
			wantKeyQuick(t, env, 5*time.Second, k, "after a "+tc.name+" source")
			search := newLeakSearch(k, other)
			for what, text := range map[string]string{"refresh's output": r.Stdout + r.Stderr, "the status": statusOf(t, env).Refresh.LastError} {
				if hit := search.find([]byte(text)); hit != "" {
					t.Errorf("%s holds key %s", what, fp(hit))
				}
			}
			if hits, _ := search.scanFiles(env.Get("XDG_STATE_HOME"), nil, 64<<20); len(hits) > 0 {
				t.Errorf("the state folder holds a key: %v", hits)
			}
			t.Logf("exit %d in %v: %s", r.ExitCode, r.Duration.Round(time.Millisecond), redactAll(st.Refresh.LastError, search))
		})
	}
}
