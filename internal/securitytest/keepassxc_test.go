//go:build linux

package securitytest

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// KeePassXC (the Debian package, 2.7) is the second Secret Service here, run as a person has it
// with "confirm access" on (its default): a throwaway database whose one group is exposed to
// the Secret Service, unlocked at start (--pw-stdin), under Xvfb on the test's private bus, with
// a throwaway keepassxc.ini (see testenv.StartKeePassXC). What it does, as these tests show:
//   - Every client connection must be allowed in an "Access Request" dialog before it may read
//     or replace an item it did not create; "Allow Selected" with "Remember" (the default)
//     holds for that connection while both run. Each `key` process is a new connection.
//   - An item not yet allowed is listed as locked by SearchItems, and reading it fails with
//     IsLocked until the client calls Unlock on it: Unlock, and CreateItem over an existing
//     item, are what open the dialog. Reading the collection's Locked property and searching
//     never do.
//   - A dialog that is dismissed ends CreateItem's prompt as "dismissed" with nothing stored
//     (go-keyring reports no error for that; the keychain store watches for it).
//   - A dialog nobody answers stays open after the client has given up and exited.
//
// The tests answer the dialog as a person would, with xdotool (focus it, Enter for its default
// "Allow Selected", Escape to dismiss): the Secret Service's Prompt interface can only dismiss.

// keepassxcWorld is a private HOME and bus with KeePassXC (confirm access on) as the Secret
// Service, a monitor for Unlock and Prompt traffic, and a loopback API accepting keys.
func keepassxcWorld(t *testing.T, accepted ...string) (*testenv.Env, *testenv.KeePassXC, *monitor) {
	t.Helper()
	testenv.Require(t, "dbus-daemon", "dbus-monitor", "keepassxc", "keepassxc-cli", "Xvfb", "xdotool", "secret-tool")
	env := newEnv(t)
	env.StartBus(t)
	mon := watchPrompts(t, env)
	kp := env.StartKeePassXC(t, testenv.KeePassXCOptions{ConfirmAccess: true})
	env.UseFakeAPI(testenv.NewFakeAPI(t, accepted...))
	return env, kp, mon
}

// bg is a claude-keytray command running in the background, its output collected as it comes.
type bg struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuf
	done           chan struct{}
	code           int
	took           time.Duration
}

func startBG(t *testing.T, env *testenv.Env, stdin string, args ...string) *bg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	b := &bg{cmd: env.Command(ctx, testenv.Binary(t), args...), stdout: &syncBuf{}, stderr: &syncBuf{}, done: make(chan struct{})}
	b.cmd.Stdin = strings.NewReader(stdin)
	b.cmd.Stdout, b.cmd.Stderr = b.stdout, b.stderr
	start := time.Now()
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start claude-keytray %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		err := b.cmd.Wait()
		b.took = time.Since(start)
		b.code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			b.code = ee.ExitCode()
		} else if err != nil {
			b.code = -1
		}
		close(b.done)
	}()
	t.Cleanup(func() {
		if b.cmd.Process != nil {
			b.cmd.Process.Kill()
		}
		<-b.done
	})
	return b
}

func (b *bg) exited() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestKeePassXCUpdateKeyConfirm: update-key, run by a person, over a key KeePassXC asks to
// confirm access to. It says "confirm in your keychain" while it waits; allowed in the one dialog
// KeePassXC shows, the new key is stored; dismissed, or never answered within the interactive
// limit, it fails with exit 3 saying to confirm in the keychain, and the stored key is unchanged.
func TestKeePassXCUpdateKeyConfirm(t *testing.T) {
	t.Parallel()
	k1, k2, k3 := newKey(t), newKey(t), newKey(t)
	env, kp, _ := keepassxcWorld(t, k1, k2, k3)
	// An earlier run stored k1; secret-tool created the item, so only it was ever allowed.
	env.SecretToolStore(t, k1)
	kp.WaitStored(t, k1, 10*time.Second)

	// Allowed: one dialog, the key stored.
	u := startBG(t, env, k2+"\n", "update-key")
	win := kp.WaitAccessDialog(t, 30*time.Second)
	waitFor(t, 10*time.Second, "update-key to say where to confirm", func() bool {
		return strings.Contains(u.stderr.String(), "confirm in your keychain")
	})
	kp.Allow(t, win)
	dialogs := 1
	for !u.exited() {
		if ws := kp.AccessDialogs(t); len(ws) > 0 {
			dialogs++
			t.Logf("another Access Request dialog after the first was allowed: %v", ws)
			kp.Allow(t, ws[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
	if u.code != 0 {
		t.Fatalf("update-key, confirmed in KeePassXC: exit %d after %v\nstdout: %s\nstderr: %s", u.code, u.took, u.stdout, u.stderr)
	}
	if dialogs != 1 {
		t.Fatalf("update-key made KeePassXC ask %d times, want once", dialogs)
	}
	kp.WaitStored(t, k2, 10*time.Second)
	t.Logf("update-key confirmed in KeePassXC: exit 0 after %v; stderr: %s", u.took.Round(time.Millisecond), strings.TrimSpace(u.stderr.String()))
}

// TestKeePassXCUpdateKeyRefused: the person dismisses KeePassXC's dialog, or never answers it:
// update-key must not claim the key was stored. Each run is a new client, so each asks again.
func TestKeePassXCUpdateKeyRefused(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	env, kp, _ := keepassxcWorld(t, k1, k2)
	env.SecretToolStore(t, k1)
	kp.WaitStored(t, k1, 10*time.Second)

	// Dismissed.
	u := startBG(t, env, k2+"\n", "update-key")
	kp.Deny(t, kp.WaitAccessDialog(t, 30*time.Second))
	waitFor(t, 30*time.Second, "update-key to end after the dialog was dismissed", u.exited)
	if u.code != 3 || !strings.Contains(u.stderr.String(), "confirm in your keychain") || strings.Contains(u.stderr.String(), "is a Secret Service") {
		t.Fatalf("update-key, dismissed in KeePassXC: exit %d (want 3, saying to confirm in the keychain)\nstdout: %s\nstderr: %s", u.code, u.stdout, u.stderr)
	}
	if got := kp.Stored(t); len(got) != 1 || got[0] != k1 {
		t.Fatalf("after a dismissed update-key the database holds %d items, not the old key alone", len(got))
	}
	t.Logf("update-key, dismissed: exit 3 after %v: %s", u.took.Round(time.Millisecond), strings.TrimSpace(u.stderr.String()))

	// Never answered: it waits the interactive limit (60 s), not the background one (3 s).
	u = startBG(t, env, k2+"\n", "update-key")
	win := kp.WaitAccessDialog(t, 30*time.Second)
	waitFor(t, 2*time.Minute, "update-key to give up on the unanswered dialog", u.exited)
	if u.code != 3 || u.took < 55*time.Second {
		t.Fatalf("update-key, never confirmed: exit %d after %v (want 3 after the 60 s limit)\nstdout: %s\nstderr: %s", u.code, u.took, u.stdout, u.stderr)
	}
	msg := u.stderr.String()
	if !strings.Contains(msg, "confirm in your keychain") || strings.Contains(msg, "is a Secret Service") || strings.Contains(u.stdout.String(), "Stored") {
		t.Fatalf("update-key, never confirmed: the message must say to confirm in the keychain:\nstdout: %s\nstderr: %s", u.stdout, msg)
	}
	kp.Deny(t, win)
	if got := kp.Stored(t); len(got) != 1 || got[0] != k1 {
		t.Fatalf("after an unconfirmed update-key the database holds %d items, not the old key alone", len(got))
	}
	t.Logf("update-key, never confirmed: exit 3 after %v: %s", u.took.Round(time.Millisecond), strings.TrimSpace(msg))
}

// TestKeePassXCBackgroundNeverAsks: with KeePassXC asking to confirm access, the helper (`key`)
// without a daemon and the daemon's start-up and timer refreshes report "keychain locked" and
// never make KeePassXC ask: no dialog, no Unlock call, no Prompt on the bus. While a person's
// update-key waits in the daemon, timer refreshes and helper calls add no second dialog. Once the
// person has allowed the daemon, its timer refreshes read the key without asking again.
func TestKeePassXCBackgroundNeverAsks(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	env, kp, mon := keepassxcWorld(t, k1, k2)
	env.SecretToolStore(t, k1)
	kp.WaitStored(t, k1, 10*time.Second)
	env.Set("CLAUDE_AUTH_REFRESH_INTERVAL", "10")
	// Storing with secret-tool went through a Prompt (KeePassXC answers every CreateItem with
	// one); count from here.
	prompts, unlocks := promptCount(mon), mon.unlocks()
	quiet := func(what string) {
		t.Helper()
		if ws := kp.AccessDialogs(t); len(ws) > 0 {
			t.Fatalf("%s: KeePassXC shows %d Access Request dialogs", what, len(ws))
		}
		if p, u := promptCount(mon), mon.unlocks(); p != prompts || u != unlocks {
			t.Fatalf("%s made the keychain ask: %d Prompt messages and %d Unlock calls on the bus:\n%s", what, p-prompts, u-unlocks, mon.prompts())
		}
	}

	// Five helpers at once, no daemon: each fails fast with "keychain locked".
	helpers := func(what string, n int, want int) {
		t.Helper()
		var wg sync.WaitGroup
		res := make([]testenv.Result, n)
		bin := testenv.Binary(t)
		for i := range res {
			wg.Add(1)
			go func() { defer wg.Done(); res[i] = runKey(env, bin) }()
		}
		wg.Wait()
		for _, r := range res {
			if r.Duration > 5*time.Second {
				t.Fatalf("%s: key took %v\nstderr: %s", what, r.Duration, r.Stderr)
			}
			if r.ExitCode != want {
				t.Fatalf("%s: key exit %d, want %d\nstderr: %s", what, r.ExitCode, want, r.Stderr)
			}
			if want == 3 && (!strings.Contains(strings.ToLower(r.Stderr), "keychain is locked") && !strings.Contains(r.Stderr, "keychain locked") || r.Stdout != "") {
				t.Fatalf("%s: key should say the keychain is locked and print nothing:\nstdout: %q\nstderr: %s", what, r.Stdout, r.Stderr)
			}
		}
		t.Logf("%s: %d helpers, exit %d, slowest %v: %s", what, n, want, slowest(res), firstLine(res[0].Stderr))
	}
	helpers("helpers without a daemon", 5, 3)
	quiet("helpers without a daemon")

	// The daemon's start-up refresh and a timer refresh.
	d := startDaemon(t, env)
	var st0 = waitDaemon(t, env, d, 20*time.Second)
	waitFor(t, 30*time.Second, "the daemon's start-up refresh", func() bool {
		st0, _ = daemonStatus(t, env)
		return st0.Refresh.Count >= 1
	})
	st := waitRefresh(t, env, st0.Refresh.Count)
	if !strings.Contains(st.Refresh.LastError, "keychain locked") || st.Key.Present {
		t.Fatalf("the daemon's timer refresh on a key KeePassXC asks about: key present %v, last_error %q", st.Key.Present, st.Refresh.LastError)
	}
	quiet("the daemon's refreshes")
	helpers("helpers with a daemon that holds no key", 3, 3)
	quiet("helpers with a daemon that holds no key")

	// A person's update-key goes to the daemon: one dialog, however much background work runs
	// while it waits.
	u := startBG(t, env, k2+"\n", "update-key")
	win := kp.WaitAccessDialog(t, 30*time.Second)
	st, _ = daemonStatus(t, env)
	waitRefresh(t, env, st.Refresh.Count)
	helpers("helpers while update-key waits for the dialog", 3, 3)
	if ws := kp.AccessDialogs(t); len(ws) != 1 || ws[0] != win {
		t.Fatalf("background work while update-key waited changed the dialogs: %v, want only %s", ws, win)
	}
	waitFor(t, 10*time.Second, "update-key to say where to confirm", func() bool {
		return strings.Contains(u.stderr.String(), "confirm in your keychain")
	})
	kp.Allow(t, win)
	waitFor(t, 30*time.Second, "update-key to end after the dialog was allowed", u.exited)
	if u.code != 0 {
		t.Fatalf("update-key through the daemon, allowed: exit %d\nstdout: %s\nstderr: %s", u.code, u.stdout, u.stderr)
	}
	kp.WaitStored(t, k2, 10*time.Second)
	if ws := kp.AccessDialogs(t); len(ws) != 0 {
		t.Fatalf("update-key through the daemon left %d more dialogs", len(ws))
	}

	// Allowed once, the daemon reads its key on the timer without asking again.
	prompts, unlocks = promptCount(mon), mon.unlocks()
	st, _ = daemonStatus(t, env)
	st = waitRefresh(t, env, st.Refresh.Count)
	if st.Refresh.LastError != "" || st.Key.Fingerprint != fp(k2) {
		t.Fatalf("the daemon's timer refresh after the person allowed it: key %s, last_error %q", st.Key.Fingerprint, st.Refresh.LastError)
	}
	if ws := kp.AccessDialogs(t); len(ws) > 0 {
		t.Fatalf("the daemon's timer refresh after the person allowed it opened %d dialogs", len(ws))
	}
	r := quick(t, env, 2*time.Second, "", "key")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != k2 {
		t.Fatalf("key with the daemon after the person allowed it: exit %d, key %s\nstderr: %s", r.ExitCode, fp(strings.TrimSpace(r.Stdout)), r.Stderr)
	}
	// go-keyring's read calls Unlock on the collection and the item, which KeePassXC answers at
	// once for an allowed connection; what must not happen is a Prompt.
	if p := promptCount(mon); p != prompts || len(kp.AccessDialogs(t)) > 0 {
		t.Fatalf("the daemon's timer refresh or the helper after the person allowed the daemon made the keychain ask (%d Prompt messages):\n%s", p-prompts, mon.prompts())
	}
	t.Logf("after the person allowed the daemon: its timer refresh read %s with %d Unlock calls and no prompt; key answered from the daemon in %v", st.Key.Fingerprint, mon.unlocks()-unlocks, r.Duration.Round(time.Millisecond))
}

// waitRefresh waits for the daemon's next refresh after the one numbered after, and returns
// the status it left.
func waitRefresh(t *testing.T, env *testenv.Env, after int) auth.Status {
	t.Helper()
	var st auth.Status
	waitFor(t, 40*time.Second, "a timer refresh", func() bool {
		var err error
		st, err = daemonStatus(t, env)
		return err == nil && st.Refresh.Count > after
	})
	return st
}

// runKey runs `key` as Claude Code would; safe to call from several goroutines.
func runKey(env *testenv.Env, bin string) testenv.Result {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := env.Command(ctx, bin, "key")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := testenv.Result{Stdout: out.String(), Stderr: errb.String(), Duration: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.ExitCode = ee.ExitCode()
	} else if err != nil {
		r.ExitCode, r.Stderr = -1, err.Error()
	}
	return r
}

func promptCount(m *monitor) int { return strings.Count(m.prompts(), "\n") }

func slowest(rs []testenv.Result) time.Duration {
	var d time.Duration
	for _, r := range rs {
		d = max(d, r.Duration)
	}
	return d.Round(time.Millisecond)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
