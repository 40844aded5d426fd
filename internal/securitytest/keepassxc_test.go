//go:build linux

package securitytest

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

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
//   - A dialog that is dismissed ends CreateItem's prompt as "dismissed" with nothing stored.

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
