package auth_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/authtest"
	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/internal/procchain"
)

// These tests run real process chains and read them back through /proc.

// procChain starts, under a program called caller (a copy of /bin/sh, so it is not taken for a
// shell), the shell command inner, which runs the helper script. The helper script writes the
// pid of its last process (it execs sleep, standing in for `claude-keytray key`) and sleeps.
// It returns that pid and the caller's pid.
func procChain(t testing.TB, caller, inner string) (keyPID, callerPID int) {
	t.Helper()
	dir := t.TempDir()
	sh, err := os.ReadFile("/bin/sh")
	if err != nil {
		t.Skipf("no /bin/sh to copy: %v", err)
	}
	callerExe := filepath.Join(dir, caller)
	if err := os.WriteFile(callerExe, sh, 0o755); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "pid")
	helper := filepath.Join(dir, claude.HelperFileName)
	writeFile(t, helper, "#!/bin/sh\necho $$ > "+pidFile+".tmp && mv "+pidFile+".tmp "+pidFile+"\nexec sleep 30\n")
	if err := os.Chmod(helper, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(callerExe, "-c", strings.ReplaceAll(inner, "HELPER", helper)+"; true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				if p, err := os.FindProcess(pid); err == nil {
					p.Kill()
				}
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			// Wait for the exec, so the pid's parent chain is the final one.
			for time.Now().Before(deadline) {
				if exe, _ := procchain.ExeArgs(pid); filepath.Base(exe) == "sleep" {
					return pid, cmd.Process.Pid
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the helper script did not start")
		}
		time.Sleep(5 * time.Millisecond)
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

func TestHelperCallerWalk(t *testing.T) {
	// claude → sh -c HELPER → (script execs) key: the chain Claude Code makes.
	keyPID, callerPID := procChain(t, "claude", "/bin/sh -c HELPER")
	id, ok := procchain.Caller(keyPID, claude.IsHelperShell)
	if !ok || id.PID != callerPID {
		t.Fatalf("Caller = %+v %v, want pid %d", id, ok, callerPID)
	}
	if start, ok := procchain.StartTime(callerPID); !ok || start != id.Start || !procchain.Alive(id) {
		t.Fatalf("start time %d (%v), id %+v", start, ok, id)
	}
	info := auth.InspectCaller(id.PID, auth.Paths{})
	if !info.Claude || info.TTL != claude.DefaultHelperTTL {
		t.Fatalf("inspectCaller = %+v", info)
	}
	if procchain.Alive(procchain.ID{PID: id.PID, Start: id.Start + 1}) {
		t.Fatal("a different start time must name another process")
	}

	// The same helper run from a loop in a shell under Claude Code (its Bash tool): not the
	// helper's own caller.
	keyPID, _ = procChain(t, "claude", "/bin/bash -c 'for i in 1; do HELPER; done'")
	if id, ok := procchain.Caller(keyPID, claude.IsHelperShell); ok {
		t.Fatalf("a loop's helper call was attributed to %+v", id)
	}

	// Another program running the helper: found, but not Claude Code.
	keyPID, callerPID = procChain(t, "bench", "/bin/sh -c HELPER")
	id, ok = procchain.Caller(keyPID, claude.IsHelperShell)
	if !ok || id.PID != callerPID || auth.InspectCaller(id.PID, auth.Paths{}).Claude {
		t.Fatalf("bench: %+v %v", id, ok)
	}
}

func TestKeyForCallerDetectsRetry(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(2))
	var cur atomic.Value
	cur.Store(authtest.Key(1))
	e, n := newTestEngine(t, store, chk, authtest.FuncSource(func() (string, error) { return cur.Load().(string), nil }))
	keyPID, claudePID := procChain(t, "claude", "/bin/sh -c HELPER")

	// A new Claude Code process: not a 401.
	k, err := e.KeyForCaller(ctx, keyPID)
	if err != nil || k.Secret() != authtest.Key(1) {
		t.Fatalf("first call: %v %s", err, k.Fingerprint())
	}
	if st := e.Status(); st.AuthFailures.Count != 0 {
		t.Fatalf("first call counted: %d", st.AuthFailures.Count)
	}
	// The source rotated and the old key was revoked; Claude Code got a 401 and asks again.
	cur.Store(authtest.Key(2))
	k, err = e.KeyForCaller(ctx, keyPID)
	if err != nil || k.Secret() != authtest.Key(2) {
		t.Fatalf("retry: %v, got %s, want the rotated %s", err, k.Fingerprint(), auth.Fingerprint(authtest.Key(2)))
	}
	e.WaitNotifications(ctx)
	st := e.Status()
	if st.AuthFailures.Count != 1 || st.State != auth.StateOK {
		t.Fatalf("after the retry: count %d state %s", st.AuthFailures.Count, st.State)
	}
	got := n.All()
	want := "Claude key rotated: Now using key " + auth.Fingerprint(authtest.Key(2)) + "."
	if len(got) != 1 || !strings.HasPrefix(got[0], want) || strings.Contains(got[0], strconv.Itoa(claudePID)) {
		t.Fatalf("notifications %q, want one starting %q and no pid", got, want)
	}
	if st.AuthFailures.LastFingerprint != auth.Fingerprint(authtest.Key(1)) {
		t.Fatalf("the episode names %s as rejected, want the old key %s", st.AuthFailures.LastFingerprint, auth.Fingerprint(authtest.Key(1)))
	}
	// Another early call within 10 s: the same process and the same key, so the same episode;
	// no second forced refresh or notification.
	calls := chk.Calls()
	if _, err := e.KeyForCaller(ctx, keyPID); err != nil {
		t.Fatal(err)
	}
	e.WaitNotifications(ctx)
	if st := e.Status(); st.AuthFailures.Count != 1 || chk.Calls() != calls || len(n.All()) != 1 {
		t.Fatalf("rate limit: count %d, checks %d→%d, notifications %q", st.AuthFailures.Count, calls, chk.Calls(), n.All())
	}
}

func TestKeyForCallerIgnoresOthers(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(1))
	e, n := newTestEngine(t, store, chk, nil)
	benchPID, _ := procChain(t, "bench", "/bin/sh -c HELPER")
	loopPID, _ := procChain(t, "claude", "/bin/bash -c 'for i in 1; do HELPER; done'")
	for i := 0; i < 20; i++ {
		for _, pid := range []int{benchPID, loopPID, os.Getpid(), 0} {
			if k, err := e.KeyForCaller(ctx, pid); err != nil || k.Secret() != authtest.Key(1) {
				t.Fatalf("call %d from %d: %v", i, pid, err)
			}
		}
	}
	e.WaitNotifications(ctx)
	if st := e.Status(); st.AuthFailures.Count != 0 || len(n.All()) != 0 || chk.Calls() != 0 {
		t.Fatalf("count %d, notifications %q, checks %d", st.AuthFailures.Count, n.All(), chk.Calls())
	}
}

func TestKeyForCallerRejectedOnce(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept() // none
	e, n := newTestEngine(t, store, chk, nil)
	keyPID, _ := procChain(t, "claude", "/bin/sh -c HELPER")
	base := time.Now()
	for i := 0; i < 6; i++ {
		// Claude Code's retries over about a minute: several forced refreshes.
		who, force, ok := e.ObserveCall(keyPID, base.Add(time.Duration(i)*11*time.Second))
		if !ok {
			t.Fatal("caller not recognised")
		}
		if i > 0 && force {
			e.AuthFailureEvent(ctx, auth.AuthFailureOrigin(who, "x"), true)
		}
	}
	e.WaitNotifications(ctx)
	got := n.All()
	if len(got) != 1 || !strings.HasPrefix(got[0], "Claude key rejected: The API rejects key "+auth.Fingerprint(authtest.Key(1))+".") {
		t.Fatalf("notifications %q, want one rejection", got)
	}
	// The event only refreshes; counting is the caller's (KeyForCaller), so none here.
	if st := e.Status(); st.State != auth.StateInvalid || st.AuthFailures.Count != 0 {
		t.Fatalf("state %s count %d", st.State, st.AuthFailures.Count)
	}
}

func TestKeyForCallerInFile(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(2))
	var cur atomic.Value
	cur.Store(authtest.Key(1))
	src := authtest.FuncSource(func() (string, error) { return cur.Load().(string), nil })
	keyPID, claudePID := procChain(t, "claude", "/bin/sh -c HELPER")

	// Each `key` run without a daemon is a fresh engine sharing the state file.
	e, _ := newTestEngine(t, store, chk, src)
	file := filepath.Join(e.Options().Paths.StateDir, "callers.json")
	e.TrackCallersInFile(file)
	if k, err := e.KeyForCaller(ctx, keyPID); err != nil || k.Secret() != authtest.Key(1) {
		t.Fatalf("first run: %v", err)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	cur.Store(authtest.Key(2))
	e2 := auth.New(e.Options())
	n2 := e.Options().Notifier.(*authtest.RecNotifier)
	e2.TrackCallersInFile(file)
	if k, err := e2.KeyForCaller(ctx, keyPID); err != nil || k.Secret() != authtest.Key(2) {
		t.Fatalf("second run: %v, got %s", err, k.Fingerprint())
	}
	e2.WaitNotifications(ctx)
	if got := n2.All(); len(got) != 1 || !strings.Contains(got[0], "Now using key "+auth.Fingerprint(authtest.Key(2))) {
		t.Fatalf("notifications %q", got)
	}
	b, _ := os.ReadFile(file)
	if strings.Contains(string(b), authtest.Key(1)) || strings.Contains(string(b), authtest.Key(2)) || !strings.Contains(string(b), `"pid":`+strconv.Itoa(claudePID)) {
		t.Fatalf("state file holds %s", b)
	}

	// Revoked everywhere: the first rejection notifies, the next runs do not.
	chk.Accept()
	for i := 0; i < 3; i++ {
		e3 := auth.New(e.Options())
		e3.TrackCallersInFile(file)
		// Past the per-caller rate limit, as Claude Code's backoff gets there.
		auth.WithCallerFile(file, func(f *auth.CallerFile) bool {
			for _, r := range f.Callers {
				r.Forced = r.Forced.Add(-time.Minute)
				r.Last = time.Now().Add(-time.Second)
			}
			return true
		})
		if _, err := e3.KeyForCaller(ctx, keyPID); err != nil {
			t.Fatal(err)
		}
		e3.WaitNotifications(ctx)
	}
	got := n2.All()
	if len(got) != 2 || !strings.Contains(got[1], "The API rejects key") {
		t.Fatalf("notifications %q, want the rotation and one rejection", got)
	}
	// One Claude Code process: one episode for the old key, one for the revoked new key,
	// however many runs saw them; state.json keeps them for the next engine.
	if st := auth.New(e.Options()); true {
		st.Load(ctx)
		if f := st.Status().AuthFailures; f.Count != 2 || f.LastFingerprint != auth.Fingerprint(authtest.Key(2)) {
			t.Fatalf("auth_failures %+v, want 2 episodes, the last for %s", f, auth.Fingerprint(authtest.Key(2)))
		}
	}
}

// The /proc walk on the helper's path: a few small reads.
func BenchmarkHelperCaller(b *testing.B) {
	keyPID, _ := procChain(b, "claude", "/bin/sh -c HELPER")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := procchain.Caller(keyPID, claude.IsHelperShell); !ok {
			b.Fatal("not found")
		}
	}
}

// A forced refresh slower than the answer's budget finishes in the background, and Claude Code's
// next retry waits for it and gets its key.
func TestKeyForCallerSlowRefresh(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(2))
	slow := auth.ForcedRefreshBudget + 500*time.Millisecond
	var calls atomic.Int32
	e, n := newTestEngine(t, store, chk, authtest.FuncSource(func() (string, error) {
		calls.Add(1)
		time.Sleep(slow)
		return authtest.Key(2), nil
	}))
	keyPID, _ := procChain(t, "claude", "/bin/sh -c HELPER")
	if _, err := e.KeyForCaller(ctx, keyPID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	k, err := e.KeyForCaller(ctx, keyPID)
	if err != nil || k.Secret() != authtest.Key(1) || time.Since(start) > auth.ForcedRefreshBudget+300*time.Millisecond {
		t.Fatalf("first retry: %v, key %s after %v; want the current key after the budget", err, k.Fingerprint(), time.Since(start))
	}
	k, err = e.KeyForCaller(ctx, keyPID)
	if err != nil || k.Secret() != authtest.Key(2) {
		t.Fatalf("second retry: %v, key %s; want the refreshed key", err, k.Fingerprint())
	}
	e.WaitNotifications(ctx)
	if st := e.Status(); st.AuthFailures.Count != 1 || calls.Load() != 1 || len(n.All()) != 1 {
		t.Fatalf("count %d, source reads %d, notifications %q", st.AuthFailures.Count, calls.Load(), n.All())
	}
}
