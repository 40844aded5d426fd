//go:build linux

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// The state is the truth: with the real daemon, gnome-keyring, dunst and the real claude CLI,
// a change on disk or in the keychain shows in status within 2 s, with one notification.

// changeBudget is how soon a change must show in status (DESIGN: within 2 s).
const changeBudget = 2 * time.Second

// newTruthWorld is a daemon world with a valid key stored, the helper installed and dunst
// recording notifications; the daemon is the caller's to start.
func newTruthWorld(t *testing.T) (*daemonWorld, string) {
	t.Helper()
	w := newDaemonWorld(t)
	w.env.Set("GORACE", "atexit_sleep_ms=0")
	w.notes = w.env.StartNotifications(t)
	k := w.newKey()
	w.api.SetAccepted(k)
	wantExit(t, w.run(k+"\n", "update-key"), 0, "update-key")
	wantExit(t, w.run("", "install", "--no-autostart"), 0, "install --no-autostart")
	return w, k
}

func hasProblem(st auth.Status, code string) bool {
	for _, p := range st.Problems {
		if p.Code == code {
			return true
		}
	}
	return false
}

// Deleting the helper: the daemon sees it at once and writes it again (the settings still name
// it), says so in one notification, and status is ok again well within 2 s.
func TestTruthHelperDeletedIsBackWithin2s(t *testing.T) {
	t.Parallel()
	w, _ := newTruthWorld(t)
	d := w.startSettledDaemon()
	w.waitDaemon(d, "ok", 10*time.Second, func(st auth.Status) bool { return st.State == auth.StateOK })
	helper := filepath.Join(w.env.ClaudeDir(), "auth_helper.sh")
	start := time.Now()
	if err := os.Remove(helper); err != nil {
		t.Fatal(err)
	}
	st := w.waitDaemon(d, "the helper back or helper_missing", changeBudget, func(st auth.Status) bool {
		_, err := os.Stat(helper)
		return hasProblem(st, auth.ProblemHelperMissing) || err == nil && st.Helper.OK
	})
	t.Logf("helper deleted → status %s, helper ok %v after %v", st.State, st.Helper.OK, time.Since(start).Round(time.Millisecond))
	w.waitDaemon(d, "ok again", changeBudget, func(st auth.Status) bool { return st.State == auth.StateOK && st.Helper.OK })
	n := w.wantNotifications("Claude helper restored", 1)[0]
	if n.Urgency != 0 {
		t.Errorf("helper restored has urgency %d, want low (0)", n.Urgency)
	}
	if all := w.notes.All(); len(all) != 1 {
		t.Fatalf("%d notifications, want one: %v", len(all), all)
	}
}

// secret-tool clear: the keychain's ItemDeleted signal makes the daemon look at once: no_key
// within 2 s, and one critical notification.
func TestTruthKeychainClearedIsNoKeyWithin2s(t *testing.T) {
	t.Parallel()
	w, _ := newTruthWorld(t)
	d := w.startSettledDaemon()
	start := time.Now()
	w.env.SecretToolClear(t)
	st := w.waitDaemon(d, "no_key", changeBudget, func(st auth.Status) bool { return st.State == auth.StateNoKey })
	t.Logf("secret-tool clear → %s after %v", st.State, time.Since(start).Round(time.Millisecond))
	if !hasProblem(st, auth.ProblemNoKey) || st.Worst().Fix == "" {
		t.Fatalf("problems %+v, want no_key with a fix", st.Problems)
	}
	n := w.wantNotifications("Claude key missing", 1)[0]
	if n.Urgency != 2 {
		t.Errorf("urgency %d, want critical (2)", n.Urgency)
	}
	if len(n.Actions) != 0 {
		// A daemon without a tray has nobody to run an action: it offers none.
		t.Errorf("the daemon offered actions %q it cannot run", n.Actions)
	}
	if all := w.notes.All(); len(all) != 1 {
		t.Fatalf("%d notifications, want one: %v", len(all), all)
	}
}

// Editing config.json's source command takes effect without a restart: the next refresh reads
// the new source.
func TestTruthConfigEditTakesEffect(t *testing.T) {
	t.Parallel()
	w, _ := newTruthWorld(t)
	d := w.startSettledDaemon()
	next := w.newKey()
	w.api.SetAccepted(next)
	src := filepath.Join(w.env.Dir, "new-source")
	writeSource(t, src, next)
	cfg := filepath.Join(w.env.Get("XDG_CONFIG_HOME"), "claude-keytray", "config.json")
	w.env.WriteFile(t, cfg, `{"source_command": "cat '`+src+`'"}`, 0o600)
	start := time.Now()
	st := w.waitDaemon(d, "the key from the new source", 10*time.Second, func(st auth.Status) bool {
		return st.Key.Fingerprint == auth.Fingerprint(next) && st.Key.Source == "command"
	})
	t.Logf("config edited → key from the new source after %v, state %s", time.Since(start).Round(time.Millisecond), st.State)
	w.wantKey(next, "after the config edit")
}

// A failing source: the back-off refresh runs at the "next" status shows (±1 s), and next is
// never more than a second in the past.
func TestTruthBackoffRunsWhenStatusSays(t *testing.T) {
	t.Parallel()
	w, _ := newTruthWorld(t)
	w.env.Set("CLAUDE_KEYTRAY_SOURCE", "echo vault is sealed >&2; exit 3")
	d := w.startDaemon()
	st := w.waitDaemon(d, "a failed refresh", 10*time.Second, func(st auth.Status) bool { return st.Refresh.LastError != "" })
	for round := 0; round < 3; round++ {
		plannedNext, count := *st.Refresh.Next, st.Refresh.Count
		var lateBy time.Duration
		st = w.waitDaemon(d, "the back-off refresh", time.Until(plannedNext)+5*time.Second, func(s auth.Status) bool {
			if s.Refresh.Next != nil && s.Refresh.Count == count {
				if late := time.Since(*s.Refresh.Next); late > lateBy {
					lateBy = late
				}
			}
			return s.Refresh.Count > count
		})
		ran := *st.Refresh.Last
		off := ran.Sub(plannedNext)
		t.Logf("round %d: next shown %s, ran %s (%+v); next was at most %v in the past", round, plannedNext.Format("15:04:05.000"), ran.Format("15:04:05.000"), off.Round(time.Millisecond), lateBy.Round(time.Millisecond))
		if off < -time.Second || off > time.Second {
			t.Fatalf("the refresh ran %v from the next shown", off)
		}
		if lateBy > time.Second {
			t.Fatalf("refresh.next was %v in the past", lateBy)
		}
	}
	if !hasProblem(st, auth.ProblemRefreshFailing) {
		t.Fatalf("problems %+v, want refresh_failing", st.Problems)
	}
	for _, p := range st.Problems {
		if p.Code == auth.ProblemRefreshFailing && !strings.Contains(p.Fix, "source command") {
			t.Fatalf("a failing source command's refresh_failing says to %q", p.Fix)
		}
	}
}

// Three Claude Code processes at once and one rotation: each is refused the old key and
// retries; one notification, three episodes.
func TestTruthThreeSessionsOneRotationOneNotification(t *testing.T) {
	t.Parallel()
	w, source, _ := new401World(t)
	d := w.startSettledDaemon()
	next := w.newKey()
	w.rotate(source, next)
	var wg sync.WaitGroup
	results := make([]testenv.Result, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = w.env.Claude(t, "-p", "say hi")
		}()
	}
	wg.Wait()
	for i, r := range results {
		wantExit(t, r, 0, "claude -p "+string(rune('1'+i)))
	}
	n := w.wantOnlyNotification("Claude key rotated")
	if !strings.Contains(n.Body, auth.Fingerprint(next)) || strings.Contains(n.Body, "pid") || strings.Contains(n.Body, "401") {
		t.Fatalf("notification body %q", n.Body)
	}
	st := w.waitDaemon(d, "three episodes", 5*time.Second, func(st auth.Status) bool { return st.AuthFailures.Count == 3 })
	if st.State != auth.StateOK || st.AuthFailures.LastFingerprint == auth.Fingerprint(next) {
		t.Fatalf("state %s, last rejected %s (the new key %s is not the one refused)", st.State, st.AuthFailures.LastFingerprint, auth.Fingerprint(next))
	}
}

// A dead key with three sessions: one "rejected" notification, auth_failures = 3 episodes
// (not one per helper call), and the count survives a daemon restart.
func TestTruthDeadKeyThreeSessionsThreeEpisodes(t *testing.T) {
	t.Parallel()
	w, _, old := new401World(t)
	// Claude Code would keep retrying a dead key for minutes; two retries make the episode.
	w.env.Set("CLAUDE_CODE_MAX_RETRIES", "2")
	d := w.startSettledDaemon()
	w.api.SetAccepted() // the key is revoked and the source has nothing better
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.env.Claude(t, "-p", "say hi")
		}()
	}
	wg.Wait()
	w.wantNotifications("Claude key rejected", 1)
	if all := w.notes.All(); len(all) != 1 {
		t.Fatalf("%d notifications, want one: %v", len(all), all)
	}
	st := w.status()
	if st.AuthFailures.Count != 3 || st.AuthFailures.LastFingerprint != auth.Fingerprint(old) || st.State != auth.StateInvalid {
		t.Fatalf("auth_failures %+v, state %s; want 3 episodes for %s", st.AuthFailures, st.State, auth.Fingerprint(old))
	}
	if log := w.readLog(); !strings.Contains(log, "rejected_fingerprint="+auth.Fingerprint(old)) {
		t.Fatalf("the log does not name the rejected key %s", auth.Fingerprint(old))
	}
	w.stopDaemon(d, 15)
	if st := w.status(); st.AuthFailures.Count != 3 {
		t.Fatalf("without the daemon auth_failures.count = %d, want 3", st.AuthFailures.Count)
	}
	w.startDaemon()
	if st := w.status(); st.AuthFailures.Count != 3 {
		t.Fatalf("after a restart auth_failures.count = %d, want 3", st.AuthFailures.Count)
	}
}

// cliAuthStatus runs the real `claude auth status` as a person would: in a login-like
// interactive bash (so ~/.bashrc counts), and with managedRoot (a folder holding claude-code/)
// laid over /etc in a private mount namespace, so the CLI reads managed settings the test
// wrote instead of the machine's.
func cliAuthStatus(t *testing.T, w *daemonWorld, managedRoot string) map[string]any {
	t.Helper()
	script := "claude auth status"
	name, args := "bash", []string{"-ic", script}
	if managedRoot != "" {
		testenv.Require(t, "unshare")
		name, args = "unshare", []string{"-rm", "sh", "-c", "mount -t overlay overlay -o lowerdir='" + managedRoot + "':/etc /etc && exec bash -ic '" + script + "'"}
	}
	r := w.env.Exec(t, "", name, args...)
	var out map[string]any
	i := strings.Index(r.Stdout, "{")
	if i < 0 || json.Unmarshal([]byte(r.Stdout[i:]), &out) != nil {
		t.Fatalf("%s %v: exit %d, no JSON\nstdout: %s\nstderr: %s", name, args, r.ExitCode, r.Stdout, r.Stderr)
	}
	return out
}

// ANTHROPIC_API_KEY exported in ~/.bashrc, then set in managed settings (managed-settings.d):
// status is not ok and says where and how to fix it, and the real CLI agrees with
// effective_credential each time; with neither, both say apiKeyHelper and status is ok.
func TestTruthCredentialThatWinsOverTheHelper(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "claude", "bash")
	w, _ := newTruthWorld(t)
	root := filepath.Join(w.env.Dir, "etc-overlay")
	managed := filepath.Join(root, "claude-code")
	if err := os.MkdirAll(managed, 0o755); err != nil {
		t.Fatal(err)
	}
	w.env.Set("CLAUDE_KEYTRAY_TEST_MANAGED_DIR", managed)
	d := w.startSettledDaemon()
	other := w.newKey()

	check := func(name, wantSource, wantWhere, overlay string) {
		t.Helper()
		st := w.waitDaemon(d, name+": the CLI's answer", 30*time.Second, func(st auth.Status) bool {
			return st.EffectiveCredential.APIKeySource == wantSource
		})
		cli := cliAuthStatus(t, w, overlay)
		if cli["apiKeySource"] != st.EffectiveCredential.APIKeySource {
			t.Fatalf("%s: claude auth status says apiKeySource %v, effective_credential says %q", name, cli["apiKeySource"], st.EffectiveCredential.APIKeySource)
		}
		t.Logf("%s: state %s, effective %+v; claude auth status: %v", name, st.State, st.EffectiveCredential, cli)
		if wantSource == "apiKeyHelper" {
			if st.State != auth.StateOK {
				t.Fatalf("%s: state %s, problems %+v", name, st.State, st.Problems)
			}
			return
		}
		w := st.Worst()
		if st.State == auth.StateOK || w == nil || w.Code != auth.ProblemCredentialOverrides || !strings.Contains(w.Message, wantWhere) || w.Fix == "" {
			t.Fatalf("%s: state %s, worst problem %+v; want credential_overrides_helper naming %s", name, st.State, w, wantWhere)
		}
		if strings.Contains(w.Message, other) {
			t.Fatalf("the problem shows the key: %s", w.Message)
		}
	}

	check("nothing set", "apiKeyHelper", "", "")
	bashrc := w.env.WriteFile(t, ".bashrc", "# set up\nexport ANTHROPIC_API_KEY="+other+"\n", 0o600)
	check("~/.bashrc", "ANTHROPIC_API_KEY", bashrc+" line 2", "")
	if err := os.Remove(bashrc); err != nil {
		t.Fatal(err)
	}
	check("~/.bashrc removed", "apiKeyHelper", "", "")
	dropIn := w.env.WriteFile(t, filepath.Join(managed, "managed-settings.d", "50-team.json"), `{"env": {"ANTHROPIC_API_KEY": "`+other+`"}}`, 0o644)
	check("managed-settings.d", "ANTHROPIC_API_KEY", dropIn, root)
}
