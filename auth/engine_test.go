package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/authtest"
	"github.com/claude-keytray/claude-keytray/auth/claude"
)

func newTestEngine(t *testing.T, store *authtest.MemStore, chk *authtest.FakeChecker, src auth.Source) (*auth.Engine, *authtest.RecNotifier) {
	t.Helper()
	home := t.TempDir()
	n := &authtest.RecNotifier{}
	p := testPaths(home, home+"/state")
	wireClaude(t, p)
	e := auth.New(auth.Options{Paths: p, Store: store, Checker: chk, Source: src, Notifier: n, Environ: []string{}, Cwd: home})
	e.Load(context.Background())
	return e, n
}

// wireClaude does what install does to Claude Code's side (a helper script, settings.json
// naming it), so that a valid key is "ok".
func wireClaude(t *testing.T, p auth.Paths) {
	t.Helper()
	if err := claude.WriteHelper(p.Claude.Helper, "/bin/true"); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{"apiKeyHelper": claude.HelperSettingValue(p.Claude.Helper)})
	if err := os.WriteFile(p.Claude.Settings, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateKey(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(1), authtest.Key(2))
	e, _ := newTestEngine(t, store, chk, nil)

	st, err := e.UpdateKey(ctx, authtest.Key(2)+"\n", auth.UpdateOptions{Verify: true, Origin: "cli"})
	if err != nil || st.State != auth.StateOK || store.Secret() != authtest.Key(2) {
		t.Fatalf("valid key: err=%v state=%s", err, st.State)
	}
	_, err = e.UpdateKey(ctx, authtest.Key(3), auth.UpdateOptions{Verify: true, Origin: "cli"})
	if !errors.Is(err, auth.ErrKeyRejected) || store.Secret() != authtest.Key(2) {
		t.Fatalf("rejected key: err=%v, stored %s", err, auth.Fingerprint(store.Secret()))
	}
	if strings.Contains(err.Error(), authtest.Key(3)) {
		t.Fatal("the error holds the key")
	}
	_, err = e.UpdateKey(ctx, "sk-ant-oat01-"+strings.Repeat("x", 40), auth.UpdateOptions{Verify: true})
	var ke *auth.KeyError
	if !errors.As(err, &ke) || store.Secret() != authtest.Key(2) {
		t.Fatalf("oauth token: %v", err)
	}
	chk.SetStatus(529)
	st, err = e.UpdateKey(ctx, authtest.Key(4), auth.UpdateOptions{Verify: true})
	if err != nil || st.State != auth.StateUnverified || store.Secret() != authtest.Key(4) {
		t.Fatalf("unverifiable key: err=%v state=%s", err, st.State)
	}
	st, err = e.UpdateKey(ctx, authtest.Key(5), auth.UpdateOptions{Verify: false})
	if err != nil || st.Validation.Result != auth.ResultSkipped || store.Secret() != authtest.Key(5) {
		t.Fatalf("--no-verify: err=%v result=%s", err, st.Validation.Result)
	}
	// A new engine (the next CLI run) remembers the check in state.json.
	chk.SetStatus(0)
	chk.Accept(authtest.Key(6))
	if _, err := e.UpdateKey(ctx, authtest.Key(6), auth.UpdateOptions{Verify: true}); err != nil {
		t.Fatal(err)
	}
	e2 := auth.New(e.Options())
	e2.Load(ctx)
	if st := e2.Status(); st.State != auth.StateOK || st.Key.Fingerprint != auth.Fingerprint(authtest.Key(6)) {
		t.Fatalf("reloaded: %s %s", st.State, st.Key.Fingerprint)
	}
}

func TestRefreshFromSourceRotates(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(1), authtest.Key(2))
	var cur atomic.Value
	cur.Store(authtest.Key(1) + "\n")
	e, n := newTestEngine(t, store, chk, authtest.FuncSource(func() (string, error) { return cur.Load().(string), nil }))
	events, cancel := e.Subscribe()
	defer cancel()

	if st := e.Refresh(ctx, auth.RefreshRequest{Reason: "test"}); st.State != auth.StateOK || st.Refresh.Count != 1 {
		t.Fatalf("first refresh: %s count %d", st.State, st.Refresh.Count)
	}
	cur.Store(authtest.Key(2))
	st := e.Refresh(ctx, auth.RefreshRequest{Reason: "test"})
	if st.Key.Fingerprint != auth.Fingerprint(authtest.Key(2)) || store.Secret() != authtest.Key(2) || st.Key.Source != "command" {
		t.Fatalf("rotation not stored: %+v", st.Key)
	}
	if got := n.All(); len(got) != 1 || !strings.Contains(got[0], "rotated") {
		t.Fatalf("notifications: %q", got)
	}
	if !sawEvent(events, auth.EventRotated) {
		t.Fatal("no rotated event")
	}

	// A rejected key from the source is not stored and notifies once.
	cur.Store(authtest.Key(3))
	for i := 0; i < 3; i++ {
		st = e.Refresh(ctx, auth.RefreshRequest{Reason: "test"})
	}
	if store.Secret() != authtest.Key(2) || st.Key.Fingerprint != auth.Fingerprint(authtest.Key(2)) {
		t.Fatal("a rejected key replaced the good one")
	}
	if !strings.Contains(st.Refresh.LastError, "rejected") {
		t.Fatalf("last_error = %q", st.Refresh.LastError)
	}
	if got := n.All(); len(got) != 2 {
		t.Fatalf("want one more notification, got %q", got)
	}
}

func TestRefreshFailuresKeepKey(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(1))
	var fail atomic.Value
	fail.Store("")
	e, n := newTestEngine(t, store, chk, authtest.FuncSource(func() (string, error) {
		switch fail.Load().(string) {
		case "error":
			return "", errors.New("vault: permission denied")
		case "garbage":
			return "not a key\nat all", nil
		}
		return authtest.Key(1), nil
	}))
	e.Refresh(ctx, auth.RefreshRequest{Reason: "first", User: true})
	var nexts []time.Duration
	for _, mode := range []string{"error", "garbage", "error"} {
		fail.Store(mode)
		st := e.Refresh(ctx, auth.RefreshRequest{Reason: mode})
		if st.State != auth.StateOK || !st.Key.Present || st.Refresh.LastError == "" {
			t.Fatalf("%s: state %s, last_error %q", mode, st.State, st.Refresh.LastError)
		}
		nexts = append(nexts, time.Until(*st.Refresh.Next))
	}
	if !(nexts[1] > nexts[0] && nexts[2] > nexts[1]) {
		t.Fatalf("no backoff: %v", nexts)
	}
	if got := n.All(); len(got) != 1 || !strings.Contains(got[0], "failed") {
		t.Fatalf("the same failure should notify once: %q", got)
	}
	fail.Store("")
	st := e.Refresh(ctx, auth.RefreshRequest{Reason: "ok"})
	if st.Refresh.LastError != "" || len(n.All()) != 2 {
		t.Fatalf("recovery: last_error %q, notifications %q", st.Refresh.LastError, n.All())
	}
}

func TestUnknownNeverMarksKeyDown(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(1))
	e, _ := newTestEngine(t, store, chk, nil)
	e.Refresh(ctx, auth.RefreshRequest{User: true})
	for _, code := range []int{429, 500, 529} {
		chk.SetStatus(code)
		if st := e.Refresh(ctx, auth.RefreshRequest{User: true}); st.State != auth.StateOK {
			t.Fatalf("HTTP %d marked the key %s", code, st.State)
		}
	}
}

func TestRejectedNotifiesOnce(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept() // none
	e, n := newTestEngine(t, store, chk, nil)
	for i := 0; i < 4; i++ {
		if st := e.ReportAuthFailure(ctx, "test"); st.State != auth.StateInvalid {
			t.Fatalf("state %s", st.State)
		}
	}
	if got := n.All(); len(got) != 1 || !strings.Contains(got[0], "rejects key") {
		t.Fatalf("notifications: %q", got)
	}
	// Four reports, each for a child the reporter ran: four episodes.
	if st := e.Status(); st.AuthFailures.Count != 4 {
		t.Fatalf("auth_failures.count = %d", st.AuthFailures.Count)
	}
	chk.Accept(authtest.Key(1))
	e.Refresh(ctx, auth.RefreshRequest{User: true})
	if got := n.All(); len(got) != 2 || !strings.Contains(got[1], "works again") {
		t.Fatalf("recovery notification: %q", got)
	}
}

func TestKeychainDownServesMemory(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(1))
	e, _ := newTestEngine(t, store, chk, nil)
	e.Refresh(ctx, auth.RefreshRequest{User: true})
	store.SetErr(fmt.Errorf("%w: no answer", auth.ErrKeychainUnavailable))
	st := e.Refresh(ctx, auth.RefreshRequest{})
	k, err := e.CurrentKey(ctx)
	if err != nil || k.Secret() != authtest.Key(1) {
		t.Fatalf("CurrentKey with the keychain down: %v", err)
	}
	if st.Store.Reachable || st.Store.Error == "" || st.State != auth.StateOK {
		t.Fatalf("status should report the keychain error and keep the key: %+v %s", st.Store, st.State)
	}
}

func TestConcurrentRefreshesShareOneRun(t *testing.T) {
	ctx := context.Background()
	store := authtest.NewMemStore(authtest.Key(1))
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(1))
	var runs atomic.Int32
	e, _ := newTestEngine(t, store, chk, authtest.FuncSource(func() (string, error) {
		runs.Add(1)
		time.Sleep(200 * time.Millisecond)
		return authtest.Key(1), nil
	}))
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); e.Refresh(ctx, auth.RefreshRequest{User: true}) }()
	}
	wg.Wait()
	if r := runs.Load(); r > 2 {
		t.Fatalf("20 overlapping refreshes ran the source %d times", r)
	}
}

func TestImportsEnvOnce(t *testing.T) {
	ctx := context.Background()
	store := &authtest.MemStore{}
	chk := &authtest.FakeChecker{}
	chk.Accept(authtest.Key(7))
	home := t.TempDir()
	e := auth.New(auth.Options{Paths: testPaths(home, home), Store: store, Checker: chk, Environ: []string{"CLAUDE_API_KEY=" + authtest.Key(7)}, Cwd: home})
	e.Load(ctx)
	if st := e.Refresh(ctx, auth.RefreshRequest{}); st.Key.Source != "env" || store.Secret() != authtest.Key(7) {
		t.Fatalf("not imported: %+v", st.Key)
	}
	store.Delete(ctx)
	if st := e.Refresh(ctx, auth.RefreshRequest{}); st.Key.Present {
		t.Fatal("a deleted key came back from CLAUDE_API_KEY")
	}
}

func sawEvent(ch <-chan auth.Event, kind auth.EventKind) bool {
	for {
		select {
		case ev := <-ch:
			if ev.Kind == kind {
				return true
			}
		default:
			return false
		}
	}
}

// testPaths puts every file under home, with Claude's folder at home/.claude whatever the
// environment says.
func testPaths(home, stateDir string) auth.Paths {
	return auth.PathsIn(home, claude.FilesIn(home, home+"/.claude", stateDir), home+"/config", stateDir, home+"/run")
}
