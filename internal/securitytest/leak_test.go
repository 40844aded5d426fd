//go:build linux

package securitytest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/control"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// TestNoKeyOutsideKeychain runs the whole life of a key — update-key, install, the daemon, the
// control API, a rotation through a source command (pass), helper calls, the real claude CLI
// against the loopback API, refreshes and `run` — while sampling every process's argv and
// environment, then searches the samples, every file under HOME, the XDG dirs and the runtime
// dir, the logs, every command's output and every notification for the keys. Only the keychain
// (and `key`'s stdout, which the helper hands to Claude Code) may hold one, plus the environment
// of a child started by `run --env`.
func TestNoKeyOutsideKeychain(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "claude", "pass", "gpg", "dunst", "Xvfb", "dbus-monitor")
	start := time.Now()
	k1, k2, k3, k4, k5, k6 := newKey(t), newKey(t), newKey(t), newKey(t), newKey(t), newKey(t)
	rejected, rejectedAPI := newKey(t), newKey(t)
	all := []string{k1, k2, k3, k4, k5, k6, rejected, rejectedAPI}
	env, api := keychainWorld(t, k1, k2, k3, k4, k5, k6)
	notes := env.StartNotifications(t)
	env.StartPass(t)
	// The canary proves the searches can fail: it is put in an argv, an environment and a file
	// on purpose, and each search must find it there.
	canary := newKey(t)
	search := newLeakSearch(append(all, canary)...)
	watch := startProcWatch(t, search)
	canaryEnv := newEnv(t)
	canaryEnv.Set("CANARY", canary)
	canaryEnv.Exec(t, "", "sh", "-c", "sleep 0.3", canary)
	env.WriteFile(t, "canary.txt", "left here on purpose: "+canary+"\n", 0o600)
	bin := testenv.Binary(t)
	helper := filepath.Join(env.ClaudeDir(), claude.HelperFileName)

	// Everything a command printed, except what `key` and the helper print on stdout: that is
	// the one channel meant to carry the key.
	type output struct{ what, text string }
	var outputs []output
	do := func(what, stdin string, args ...string) testenv.Result {
		t.Helper()
		r := env.RunInput(t, stdin, args...)
		outputs = append(outputs, output{what + " (stdout)", r.Stdout}, output{what + " (stderr)", r.Stderr})
		t.Logf("%s: exit %d in %v", what, r.ExitCode, r.Duration.Round(time.Millisecond))
		return r
	}
	wantKeyChannel := func(what string, r testenv.Result, want string) {
		t.Helper()
		outputs = append(outputs, output{what + " (stderr)", r.Stderr})
		if r.ExitCode != 0 || r.Stdout != want+"\n" {
			t.Fatalf("%s: exit %d, printed %s, want %s\nstderr: %s", what, r.ExitCode, fp(strings.TrimSpace(r.Stdout)), fp(want), r.Stderr)
		}
	}
	claudeSends := func(what string, want string) {
		t.Helper()
		api.Reset()
		r := env.Claude(t, "-p", "say hi")
		t.Logf("%s: exit %d in %v", what, r.ExitCode, r.Duration.Round(time.Millisecond))
		outputs = append(outputs, output{what + " (stdout)", r.Stdout}, output{what + " (stderr)", r.Stderr})
		wantExit(t, r, 0, what)
		// Requests refused with 401 may come first; the one that succeeded carries want.
		var last *testenv.Request
		refused := 0
		for _, req := range api.Requests() {
			if req.Path == "/v1/messages" {
				req := req
				last = &req
				if req.Status == 401 {
					refused++
				}
			}
		}
		if last == nil || last.Key != want || last.Status != 200 {
			t.Fatalf("%s: the last message request was %+v, want one with %s answered 200", what, last, fp(want))
		}
		if refused > 0 {
			t.Logf("%s: %d message requests refused with 401 before the one with %s", what, refused, fp(want))
		}
	}

	t.Run("update-key without a daemon", func(t *testing.T) {
		wantExit(t, do("update-key", k1+"\n", "update-key"), 0, "update-key")
		wantExit(t, do("update-key of a rejected key", rejected+"\n", "update-key"), 5, "update-key of a rejected key")
		if got := stored(t, env); got != k1 {
			t.Fatalf("keychain holds %s, want %s", fp(got), fp(k1))
		}
	})
	t.Run("install", func(t *testing.T) {
		wantExit(t, do("install", "", "install", "--no-autostart"), 0, "install --no-autostart")
		wantKeyChannel("the helper", env.Exec(t, "", "sh", "-c", helper), k1)
	})

	d := startDaemon(t, env)
	t.Run("update-key through the daemon", func(t *testing.T) {
		wantExit(t, do("update-key via the daemon", k2, "update-key"), 0, "update-key via the daemon")
		if st, err := daemonStatus(t, env); err != nil || st.Key.Fingerprint != fp(k2) {
			t.Fatalf("the daemon serves %s (%v), want %s", st.Key.Fingerprint, err, fp(k2))
		}
	})
	t.Run("control API update-key", func(t *testing.T) {
		c := control.NewClient(socketPath(env))
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := c.UpdateKey(ctx, rejectedAPI, true); !errors.Is(err, auth.ErrKeyRejected) {
			t.Fatalf("a key the API rejects, sent to the control API: %v", err)
		} else {
			outputs = append(outputs, output{"the control API's refusal", err.Error()})
		}
		st, err := c.UpdateKey(ctx, k3, true)
		if err != nil || st.Key.Fingerprint != fp(k3) {
			t.Fatalf("control API update-key: %v (serving %s)", err, st.Key.Fingerprint)
		}
		if got := stored(t, env); got != k3 {
			t.Fatalf("keychain holds %s, want %s", fp(got), fp(k3))
		}
	})
	t.Run("helper, key, status, doctor", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			wantKeyChannel("the helper", env.Exec(t, "", "sh", "-c", helper), k3)
		}
		wantKeyChannel("key", env.Run(t, "key"), k3)
		do("status", "", "status")
		do("status --json", "", "status", "--json")
		do("doctor", "", "doctor")
	})

	// A rotation: the daemon now reads the key from pass.
	t.Run("rotation through a source command", func(t *testing.T) {
		if !d.Stop(10 * time.Second) {
			t.Fatal("the daemon did not stop on SIGTERM")
		}
		env.PassInsert(t, "claude/api-key", k4)
		writeConfig(t, env, map[string]any{"source_command": "pass show claude/api-key"})
		d = startDaemon(t, env)
		waitFor(t, 20*time.Second, "the daemon to read k4 from pass", func() bool {
			st, err := daemonStatus(t, env)
			return err == nil && st.Key.Fingerprint == fp(k4)
		})
		env.PassInsert(t, "claude/api-key", k5)
		r := do("refresh", "", "refresh")
		wantExit(t, r, 0, "refresh after a rotation in pass")
		if got := stored(t, env); got != k5 {
			b, _ := os.ReadFile(logFile(env))
			t.Fatalf("after the rotation the keychain holds %s, want %s\nlog:\n%s", fp(got), fp(k5), b)
		}
		notes.WaitFor(t, func(n testenv.Notification) bool {
			return strings.Contains(n.Summary, "rotated") && strings.Contains(n.Body, fp(k5))
		}, 10*time.Second)
		wantKeyChannel("the helper after the rotation", env.Exec(t, "", "sh", "-c", helper), k5)
		claudeSends("claude -p after the rotation", k5)
		do("refresh --json", "", "refresh", "--json")
	})

	// A rotation the daemon has not seen yet: the API already refuses the old key, so Claude
	// Code gets a 401 and runs the helper again at once, which makes the daemon read the source
	// before it answers. That path (401, caller tracking, forced refresh, notifications) runs
	// under the same sampling.
	t.Run("a 401 and Claude Code's early helper call", func(t *testing.T) {
		env.PassInsert(t, "claude/api-key", k6)
		api.SetAccepted(k6)
		claudeSends("claude -p after an unseen rotation", k6)
		if got := stored(t, env); got != k6 {
			t.Fatalf("after the 401 the keychain holds %s, want %s", fp(got), fp(k6))
		}
	})

	// `run` and its --env mode. Without a `run` command in the binary this part is skipped (it is
	// not a missing component); once the command exists it runs under the same sampling.
	t.Run("run wrapper", func(t *testing.T) {
		if h := env.Run(t, "run", "--help"); h.ExitCode != 0 || !strings.Contains(h.Stdout, "--env") {
			t.Skip("this build has no `run` command yet; this part runs once it has")
		}
		r := do("run -- claude -p", "", "run", "--", "claude", "-p", "say hi")
		wantExit(t, r, 0, "run -- claude -p")
		// The child proves it got the key by its hash, so the key is never printed.
		sum := sha256.Sum256([]byte(k6))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := env.Command(ctx, bin, "run", "--env", "--", "sh", "-c", `sleep 0.3; printf %s "$ANTHROPIC_API_KEY" | sha256sum`)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		watch.allowEnvBelow(cmd.Process.Pid)
		err := cmd.Wait()
		outputs = append(outputs, output{"run --env (stdout)", out.String()}, output{"run --env (stderr)", errb.String()})
		if err != nil || !strings.HasPrefix(out.String(), hex.EncodeToString(sum[:])) {
			t.Fatalf("run --env: %v; the child's ANTHROPIC_API_KEY hashes to %q, want the key's hash\nstderr: %s", err, out.String(), errb.String())
		}
	})

	if !d.Stop(10 * time.Second) {
		t.Error("the daemon did not stop on SIGTERM")
	}
	outputs = append(outputs, output{"daemon stdout", d.Stdout()}, output{"daemon stderr", d.Stderr()})
	watch.Stop()

	// The searches.
	argvHits, envHits, sweeps, allowedEnv, cmdlines := watch.result()
	argvHits = withoutCanary(t, "argv sampling", argvHits, canary)
	envHits = withoutCanary(t, "environment sampling", envHits, canary)
	for _, h := range append(argvHits, envHits...) {
		t.Error(h)
	}
	for _, want := range []string{bin + " daemon", "pass show claude/api-key", bin + " key", "claude -p say hi"} {
		if !anyContains(cmdlines, want) {
			t.Errorf("argv sampling never saw %q: the sampling missed the flow (%d sweeps)", want, sweeps)
		}
	}
	t.Logf("argv/environment: %d sweeps (one per %v), %d distinct command lines, %d environment blocks read, %d samples of the `run --env` child's environment (allowed)",
		sweeps, (time.Since(watch.started) / time.Duration(max(sweeps, 1))).Round(time.Millisecond), len(cmdlines), watch.envReads, allowedEnv)

	keyringStore := filepath.Join(env.Get("XDG_DATA_HOME"), "keyrings")
	skip := func(path string, d fs.DirEntry) bool { return path == keyringStore }
	var files int
	for i, root := range []string{env.Dir, env.RuntimeDir} {
		hits, n := search.scanFiles(root, skip, 256<<20)
		files += n
		if i == 0 {
			hits = withoutCanary(t, "the file search", hits, canary)
		}
		for _, h := range hits {
			t.Error(h)
		}
	}
	// Claude Code and others may fall back to the system temp dir whatever TMPDIR says: look at
	// what appeared there during the test.
	searched := func(path string, d fs.DirEntry) bool { return path == env.Dir || path == env.RuntimeDir }
	for _, p := range newTempEntries(start) {
		hits, n := search.scanFiles(p, searched, 64<<20)
		files += n
		for _, h := range hits {
			t.Error(h)
		}
	}
	if lb, err := os.ReadFile(logFile(env)); err != nil || !strings.Contains(string(lb), fp(k5)) {
		t.Errorf("the log %s should exist and name keys by fingerprint (%v): the file search must have something to search", logFile(env), err)
	}
	t.Logf("files: %d searched under %s, %s and new entries of %s (skipped: gnome-keyring's encrypted store %s)", files, env.Dir, env.RuntimeDir, os.TempDir(), keyringStore)
	// The keychain itself may hold the key however it likes; say whether it is in plain text.
	kh, kn := search.scanFiles(keyringStore, nil, 64<<20)
	t.Logf("gnome-keyring's store: %d files, %d with a key in plain text", kn, len(kh))

	// What claude-keytray writes is its user's alone: no file or folder of its own is open to
	// the group or others, whatever the umask.
	for _, root := range []string{
		filepath.Join(env.Get("XDG_STATE_HOME"), auth.AppName), filepath.Join(env.Get("XDG_CONFIG_HOME"), auth.AppName),
		filepath.Join(env.RuntimeDir, auth.AppName), helper, filepath.Join(env.ClaudeDir(), "settings.json"),
	} {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Errorf("%s: %v", path, err)
				return nil
			}
			if fi, err := os.Lstat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s has mode %v: open to the group or others", path, fi.Mode())
			}
			return nil
		})
	}

	for _, o := range outputs {
		if k := search.find([]byte(o.text)); k != "" {
			t.Errorf("%s holds key %s", o.what, fp(k))
		}
	}
	all2 := notes.All()
	for _, n := range all2 {
		if k := search.find([]byte(n.AppName + "\n" + n.Summary + "\n" + n.Body + "\n" + n.Icon)); k != "" {
			t.Errorf("notification %q holds key %s", n.Summary, fp(k))
		}
	}
	if len(all2) == 0 {
		t.Error("no notification was seen: the notification search had nothing to search")
	}
	t.Logf("outputs: %d searched; notifications: %d searched; took %v", len(outputs), len(all2), time.Since(start).Round(time.Millisecond))
}

// withoutCanary checks that a search found the canary and returns its other hits.
func withoutCanary(t testing.TB, what string, hits []string, canary string) []string {
	t.Helper()
	var rest []string
	found := false
	for _, h := range hits {
		if strings.HasSuffix(h, "holds key "+fp(canary)) {
			found = true
			continue
		}
		rest = append(rest, h)
	}
	if !found {
		t.Errorf("%s did not find the canary key planted for it: it cannot be trusted to find a leak", what)
	}
	return rest
}

func anyContains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// newTempEntries lists what was created or changed directly in the system temp dir since start,
// less the build caches, plus Claude Code's own temp folder.
func newTempEntries(since time.Time) []string {
	tmp := os.TempDir()
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, "go-build") || strings.HasPrefix(name, "bash_") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if fi.ModTime().After(since) || strings.HasPrefix(name, "claude-") && fi.IsDir() && !strings.HasPrefix(name, "claude-keytray") {
			out = append(out, filepath.Join(tmp, name))
		}
	}
	return out
}

// waitFor polls cond every 50 ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not within %v", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
