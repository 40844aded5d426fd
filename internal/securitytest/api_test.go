//go:build linux

package securitytest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// TestAPIFaults: the API answering 401, 403, 429, 500, 529, or not at all. A 401/403 refuses a
// new key and marks the current one rejected but never deletes it; anything else says nothing
// about the key: a new key is stored as unverified and a known-good key stays "ok".
func TestAPIFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		status   int // 0: nothing listens
		rejected bool
	}{
		{"401", 401, true},
		{"403", 403, true},
		{"429", 429, false},
		{"500", 500, false},
		{"529", 529, false},
		{"down", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			good, next := newKey(t), newKey(t)
			env, api := keychainWorld(t, good, next)
			wantExit(t, env.Run(t, "install", "--no-autostart"), 0, "install --no-autostart")
			wantExit(t, env.RunInput(t, good, "update-key"), 0, "update-key while the API works")
			if tc.status == 0 {
				env.Set("ANTHROPIC_BASE_URL", closedPort(t))
			} else {
				api.ForceStatus(tc.status)
			}

			r := quick(t, env, 15*time.Second, next, "update-key")
			got := stored(t, env)
			switch {
			case tc.rejected && (r.ExitCode != 5 || got != good):
				t.Fatalf("update-key with the API answering %s: exit %d, keychain %s; want exit 5 and the old key %s kept\nstderr: %s", tc.name, r.ExitCode, fp(got), fp(good), r.Stderr)
			case !tc.rejected && (r.ExitCode != 0 || got != next || !strings.Contains(r.Stdout, "unverified")):
				t.Fatalf("update-key with the API answering %s: exit %d, keychain %s; want exit 0, %s stored as unverified\nstdout: %s\nstderr: %s", tc.name, r.ExitCode, fp(got), fp(next), r.Stdout, r.Stderr)
			}
			cur := got

			// A refresh of a key the API accepted before: only 401/403 change the verdict.
			if !tc.rejected {
				api.ForceStatus(0)
				base := api.URL()
				env.Set("ANTHROPIC_BASE_URL", base)
				if st := parseStatus(t, env.Run(t, "refresh", "--json"), "refresh while the API works"); st.State != auth.StateOK {
					t.Fatalf("refresh while the API works: state %s", st.State)
				}
				if tc.status == 0 {
					env.Set("ANTHROPIC_BASE_URL", closedPort(t))
				} else {
					api.ForceStatus(tc.status)
				}
			}
			r = quick(t, env, 15*time.Second, "", "refresh", "--json")
			st := parseStatus(t, r, "refresh --json")
			if tc.rejected {
				if st.State != auth.StateInvalid || r.ExitCode != 5 {
					t.Fatalf("refresh with the API answering %s: state %s, exit %d; want invalid and exit 5", tc.name, st.State, r.ExitCode)
				}
			} else if st.State != auth.StateOK {
				t.Fatalf("refresh with the API answering %s: state %s (validation %+v); a known-good key must stay ok", tc.name, st.State, st.Validation)
			}
			if got := stored(t, env); got != cur {
				t.Fatalf("after a refresh with the API answering %s the keychain holds %s, want %s: a verdict must never delete the key", tc.name, fp(got), fp(cur))
			}
			wantKeyQuick(t, env, 5*time.Second, cur, "after the API answered "+tc.name)
		})
	}
}

// TestAPIHangs: an API that accepts the connection and never answers. update-key gives up after
// the 10 s check timeout and stores the key as unverified; a daemon in the middle of such a
// check keeps answering the helper at once.
func TestAPIHangs(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	// Closing release first lets Close finish: it waits for the handlers.
	t.Cleanup(func() { close(release); hung.Close() })
	k, next := newKey(t), newKey(t)
	env, _ := keychainWorld(t, k, next)
	env.SecretToolStore(t, k)
	env.Set("ANTHROPIC_BASE_URL", hung.URL)

	d := startDaemon(t, env)
	// A refresh a user asks for checks the key and now hangs in the check.
	refreshDone := make(chan testenv.Result, 1)
	go func() { refreshDone <- env.Run(t, "refresh", "--json") }()
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < 5; i++ {
		wantKeyQuick(t, env, 1500*time.Millisecond, k, "while the daemon's key check hangs")
	}
	if st, err := daemonStatus(t, env); err != nil || st.Key.Fingerprint != fp(k) {
		t.Fatalf("status while the check hangs: %v %+v", err, st.Key)
	}
	r := <-refreshDone
	// The daemon's start-up refresh checks the key too and holds the refresh lock while it hangs,
	// so the user's refresh may wait out two check timeouts; never more.
	if r.Duration > 2*auth.DefaultCheckTimeout+5*time.Second {
		t.Fatalf("refresh against a hung API took %v", r.Duration)
	}
	t.Logf("refresh against a hung API returned after %v (exit %d)", r.Duration.Round(time.Millisecond), r.ExitCode)
	d.Stop(5 * time.Second)

	r = quick(t, env, auth.DefaultCheckTimeout+5*time.Second, next, "update-key")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "unverified") || stored(t, env) != next {
		t.Fatalf("update-key against a hung API: exit %d in %v, keychain %s\nstdout: %s\nstderr: %s", r.ExitCode, r.Duration, fp(stored(t, env)), r.Stdout, r.Stderr)
	}
	if r.Duration < auth.DefaultCheckTimeout-time.Second {
		t.Fatalf("update-key gave up on the API after %v, before the %v check timeout", r.Duration, auth.DefaultCheckTimeout)
	}
	t.Logf("update-key against a hung API: stored as unverified after %v", r.Duration.Round(time.Millisecond))
}

// closedPort is a loopback URL nothing listens on: connections to it are refused.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}
