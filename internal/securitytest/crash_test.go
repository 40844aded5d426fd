//go:build linux

package securitytest

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/control"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// killAfter starts args (claude-keytray with stdin) and SIGKILLs it after d, or lets it finish
// when it is faster. It reports whether the process was still running when killed.
func killAfter(t testing.TB, env *testenv.Env, d time.Duration, stdin string, args ...string) (killed bool, ran time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := env.Command(ctx, testenv.Binary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
		return false, time.Since(start)
	case <-time.After(d):
	}
	_ = cmd.Process.Kill()
	<-done
	return cmd.ProcessState != nil && !cmd.ProcessState.Exited(), time.Since(start)
}

// timeOf measures one full run of args, to spread the kill points over its whole life.
func timeOf(t testing.TB, env *testenv.Env, stdin string, args ...string) time.Duration {
	t.Helper()
	r := env.RunInput(t, stdin, args...)
	wantExit(t, r, 0, strings.Join(args, " "))
	return r.Duration
}

// killDelay is a random point in a run that takes about full: 0–50 ms, or up to 1.2 × full
// when a run takes longer, so every step of the run can be hit.
func killDelay(full time.Duration) time.Duration {
	span := max(50*time.Millisecond, full*12/10)
	return time.Duration(rand.Int64N(int64(span)))
}

// TestCrashUpdateKey kills update-key with SIGKILL at random points: the keychain always holds
// the old key or the new one, never neither and never anything else.
func TestCrashUpdateKey(t *testing.T) {
	t.Parallel()
	keys := make([]string, 8)
	for i := range keys {
		keys[i] = newKey(t)
	}
	env, _ := keychainWorld(t, keys...)
	env.SecretToolStore(t, keys[0])
	full := timeOf(t, env, keys[1], "update-key")
	cur := keys[1]
	var kept, replaced, finished int
	for i := 0; i < 30; i++ {
		next := keys[(i+2)%len(keys)]
		if next == cur {
			next = keys[(i+3)%len(keys)]
		}
		killed, _ := killAfter(t, env, killDelay(full), next+"\n", "update-key")
		got, ok := env.SecretToolLookup(t)
		switch {
		case !ok:
			t.Fatalf("iteration %d: after killing update-key the keychain holds no key (old %s, new %s)", i, fp(cur), fp(next))
		case got == cur:
			kept++
		case got == next:
			replaced++
			cur = next
		default:
			t.Fatalf("iteration %d: the keychain holds %s (key %d), neither the old %s (key %d) nor the new %s", i, fp(got), slices.Index(keys, got), fp(cur), slices.Index(keys, cur), fp(next))
		}
		if !killed {
			finished++
		}
	}
	t.Logf("30 kills over a %v run: old key kept %d times, new key stored %d times (%d runs finished before the kill)", full.Round(time.Millisecond), kept, replaced, finished)
	// What is left behind must still work: the key serves, and state.json is whole or absent.
	r := env.Run(t, "key")
	if r.ExitCode != 0 || r.Stdout != cur+"\n" {
		t.Fatalf("after the kills key exits %d with %s, want %s\nstderr: %s", r.ExitCode, fp(strings.TrimSpace(r.Stdout)), fp(cur), r.Stderr)
	}
	wantJSONOrAbsent(t, filepath.Join(env.Get("XDG_STATE_HOME"), auth.AppName, "state.json"))
	if st := statusOf(t, env); st.Key.Fingerprint != fp(cur) {
		t.Fatalf("status after the kills shows %s, want %s", st.Key.Fingerprint, fp(cur))
	}
}

// TestCrashDaemonDuringRotation kills the daemon with SIGKILL while it rotates to a new key from
// its source, both during its start-up refresh and during a refresh asked for over the control
// API: the keychain always holds the old key or the new one, and the next daemon starts over
// the dead one's socket and lock.
func TestCrashDaemonDuringRotation(t *testing.T) {
	t.Parallel()
	keys := make([]string, 21)
	for i := range keys {
		keys[i] = newKey(t)
	}
	env, _ := keychainWorld(t, keys...)
	v := newVault(t, env)
	src := v.put(t, "key", keys[0])
	env.SecretToolStore(t, keys[0])
	writeConfig(t, env, map[string]any{"source_command": "cat " + src})

	// How long a start and a first refresh take, to spread the kills over them.
	v.put(t, "key", keys[1])
	t0 := time.Now()
	p := startDaemon(t, env)
	waitFor(t, 20*time.Second, "the first rotation", func() bool { return stored(t, env) == keys[1] })
	full := time.Since(t0)
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	_, _ = p.Wait(10 * time.Second)
	cur := keys[1]

	var kept, replaced int
	check := func(i int, next string) {
		t.Helper()
		// A write the killed daemon had already sent to the keyring daemon can still land after
		// the kill: wait until the keychain holds still, so the next iteration starts from
		// what is really stored. (Either way it holds the old key or the new one.)
		got, ok := env.SecretToolLookup(t)
		for settle := 0; settle < 20; settle++ {
			time.Sleep(100 * time.Millisecond)
			again, ok2 := env.SecretToolLookup(t)
			if again == got && ok2 == ok {
				break
			}
			got, ok = again, ok2
		}
		switch {
		case !ok:
			t.Fatalf("iteration %d: after killing the daemon the keychain holds no key", i)
		case got == cur:
			kept++
		case got == next:
			replaced++
			cur = next
		default:
			t.Fatalf("iteration %d: the keychain holds %s (key %d), neither the old %s (key %d) nor the new %s", i, fp(got), slices.Index(keys, got), fp(cur), slices.Index(keys, cur), fp(next))
		}
	}
	for i := 2; i < len(keys); i++ {
		next := keys[i]
		if i%2 == 0 {
			// Killed during start-up, whose first refresh reads the new key from the source.
			v.put(t, "key", next)
			p := env.StartBinary(t, "daemon")
			time.Sleep(killDelay(full))
			_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
			_, _ = p.Wait(10 * time.Second)
		} else {
			// Killed during a refresh a client asked for. The daemon's start-up refresh first
			// stores what the source says now (the key the last kill may have cut short), so
			// that is the old key here.
			p := startDaemon(t, env)
			waitFor(t, 20*time.Second, "the start-up refresh", func() bool { return stored(t, env) == keys[i-1] })
			cur = keys[i-1]
			v.put(t, "key", next)
			go func() {
				c := control.NewClient(socketPath(env))
				defer c.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_, _ = c.Refresh(ctx)
			}()
			time.Sleep(time.Duration(rand.Int64N(int64(60 * time.Millisecond))))
			_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
			_, _ = p.Wait(10 * time.Second)
		}
		check(i, next)
	}
	t.Logf("%d daemon kills (start-up took %v): old key kept %d times, new key stored %d times", len(keys)-2, full.Round(time.Millisecond), kept, replaced)

	// The socket and lock of the last killed daemon are stale; a new daemon takes over and
	// serves whatever the source says now.
	if _, err := os.Lstat(socketPath(env)); err != nil {
		t.Logf("no stale socket left (%v)", err)
	}
	p = startDaemon(t, env)
	last := keys[len(keys)-1]
	waitFor(t, 20*time.Second, "the daemon to serve the source's key", func() bool {
		st, err := daemonStatus(t, env)
		return err == nil && st.Key.Fingerprint == fp(last)
	})
	r := env.Run(t, "key")
	if r.ExitCode != 0 || r.Stdout != last+"\n" || stored(t, env) != last {
		t.Fatalf("after the kills: key exits %d with %s, keychain %s; want %s", r.ExitCode, fp(strings.TrimSpace(r.Stdout)), fp(stored(t, env)), fp(last))
	}
	p.Stop(5 * time.Second)
}

// TestCrashInstall kills install and uninstall at random points: settings.json is always the
// old bytes or the complete new ones (valid JSON either way), the helper is absent or complete,
// and a finished install then uninstall still gives back the original file byte for byte.
func TestCrashInstall(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	// No keychain is needed; a bus address that fails at once keeps install's key check fast.
	env.Set("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(env.Dir, "no-bus"))
	settings := filepath.Join(env.ClaudeDir(), "settings.json")
	helper := filepath.Join(env.ClaudeDir(), claude.HelperFileName)
	orig := []byte("{\n  \"model\": \"opus\",\n  \"apiKeyHelper\": \"~/bin/old-helper.sh\",\n  \"env\": {\"FOO\": \"bar\"},\n  \"permissions\": {\"allow\": [\"Bash(ls:*)\"]}\n}\n")
	env.WriteFile(t, settings, string(orig), 0o600)

	fullInstall := timeOf(t, env, "", "install", "--no-autostart", "--force")
	wired, _ := os.ReadFile(settings)
	helperBytes, _ := os.ReadFile(helper)
	if !json.Valid(wired) || bytes.Equal(wired, orig) || len(helperBytes) == 0 {
		t.Fatalf("install did not wire the settings:\n%s", wired)
	}
	fullUninstall := timeOf(t, env, "", "uninstall")
	if b, _ := os.ReadFile(settings); !bytes.Equal(b, orig) {
		t.Fatalf("a clean uninstall did not restore the settings:\n%s", b)
	}

	counts := map[string]int{}
	for i := 0; i < 30; i++ {
		args, full := []string{"install", "--no-autostart", "--force"}, fullInstall
		if rand.IntN(2) == 0 {
			args, full = []string{"uninstall"}, fullUninstall
		}
		killAfter(t, env, killDelay(full), "", args...)
		b, err := os.ReadFile(settings)
		switch {
		case err != nil:
			t.Fatalf("iteration %d (%s killed): settings.json: %v", i, args[0], err)
		case bytes.Equal(b, orig):
			counts["settings old"]++
		case bytes.Equal(b, wired):
			counts["settings wired"]++
		default:
			t.Fatalf("iteration %d (%s killed): settings.json is neither the old nor the new bytes (valid JSON: %v):\n%s", i, args[0], json.Valid(b), b)
		}
		h, err := os.ReadFile(helper)
		switch {
		case isNotExist(err):
			counts["helper absent"]++
		case err == nil && bytes.Equal(h, helperBytes):
			counts["helper whole"]++
		default:
			t.Fatalf("iteration %d (%s killed): the helper is half-written (%v):\n%s", i, args[0], err, h)
		}
		wantJSONOrAbsent(t, filepath.Join(env.Get("XDG_STATE_HOME"), auth.AppName, "install.json"))
	}
	// Whatever the kills left, install then uninstall, run to the end, restore the original.
	wantExit(t, env.Run(t, "install", "--no-autostart", "--force"), 0, "install after the kills")
	if b, _ := os.ReadFile(settings); !bytes.Equal(b, wired) {
		t.Fatalf("install after the kills wrote:\n%s", b)
	}
	wantExit(t, env.Run(t, "uninstall"), 0, "uninstall after the kills")
	if b, _ := os.ReadFile(settings); !bytes.Equal(b, orig) {
		t.Fatalf("after the kills, install and uninstall do not give back the original settings:\n%s\nwant\n%s", b, orig)
	}
	t.Logf("30 kills (install takes %v, uninstall %v): %v", fullInstall.Round(time.Millisecond), fullUninstall.Round(time.Millisecond), counts)
}

// wantJSONOrAbsent fails when path exists but is not whole JSON.
func wantJSONOrAbsent(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if isNotExist(err) {
		return
	}
	if err != nil || !json.Valid(b) {
		t.Fatalf("%s is damaged (%v):\n%s", path, err, b)
	}
}
