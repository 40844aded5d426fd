package auth

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

	"github.com/claude-keytray/claude-keytray/auth/claude"
)

// memStore stands in for the keychain in unit tests; the real Secret Service is exercised by
// the end-to-end tests in cmd/claude-keytray.
type memStore struct {
	mu     sync.Mutex
	secret string
	err    error
	sets   int
}

func (m *memStore) Get(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return "", m.err
	}
	if m.secret == "" {
		return "", ErrNoKey
	}
	return m.secret, nil
}
func (m *memStore) Set(ctx context.Context, s string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.secret = s
	m.sets++
	return nil
}
func (m *memStore) Delete(ctx context.Context) error { m.Set(ctx, ""); return nil }
func (m *memStore) Kind() string                     { return "keychain" }
func (m *memStore) Where() string                    { return "the test store" }
func (m *memStore) get() string                      { m.mu.Lock(); defer m.mu.Unlock(); return m.secret }

// fakeChecker answers like the API: accepted keys are valid, others invalid, or a forced status.
type fakeChecker struct {
	mu       sync.Mutex
	accepted map[string]bool
	status   int // when non-zero, every check answers this (e.g. 529)
	calls    atomic.Int32
}

func (f *fakeChecker) Check(ctx context.Context, k Key) Validation {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now().UTC()
	switch {
	case f.status != 0:
		return Validation{Result: ResultUnknown, HTTPStatus: f.status, CheckedAt: &now}
	case f.accepted[k.Secret()]:
		return Validation{Result: ResultValid, HTTPStatus: 200, CheckedAt: &now}
	}
	return Validation{Result: ResultInvalid, HTTPStatus: 401, CheckedAt: &now, Detail: "authentication_error: invalid x-api-key"}
}

func (f *fakeChecker) accept(keys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accepted = map[string]bool{}
	for _, k := range keys {
		f.accepted[k] = true
	}
}

func (f *fakeChecker) setStatus(code int) { f.mu.Lock(); f.status = code; f.mu.Unlock() }

type recNotifier struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recNotifier) Notify(title, body string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, title+": "+body)
	return nil
}
func (r *recNotifier) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// funcSource is a scripted source.
type funcSource struct{ fn func() (string, error) }

func (f funcSource) Fetch(ctx context.Context) (string, error) { return f.fn() }
func (f funcSource) Name() string                              { return "command" }

func key(n int) string { return fmt.Sprintf("sk-ant-api03-%s%04d", strings.Repeat("k", 90), n) }

func newTestEngine(t *testing.T, store *memStore, chk *fakeChecker, src Source) (*Engine, *recNotifier) {
	t.Helper()
	home := t.TempDir()
	n := &recNotifier{}
	p := testPaths(home, home+"/state")
	wireClaude(t, p)
	e := New(Options{Paths: p, Store: store, Checker: chk, Source: src, Notifier: n, Environ: []string{}, Cwd: home})
	e.Load(context.Background())
	return e, n
}

// wireClaude does what install does to Claude Code's side (a helper script, settings.json
// naming it), so that a valid key is "ok".
func wireClaude(t *testing.T, p Paths) {
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
	store := &memStore{secret: key(1)}
	chk := &fakeChecker{}
	chk.accept(key(1), key(2))
	e, _ := newTestEngine(t, store, chk, nil)

	st, err := e.UpdateKey(ctx, key(2)+"\n", UpdateOptions{Verify: true, Origin: "cli"})
	if err != nil || st.State != StateOK || store.get() != key(2) {
		t.Fatalf("valid key: err=%v state=%s", err, st.State)
	}
	_, err = e.UpdateKey(ctx, key(3), UpdateOptions{Verify: true, Origin: "cli"})
	if !errors.Is(err, ErrKeyRejected) || store.get() != key(2) {
		t.Fatalf("rejected key: err=%v, stored %s", err, Fingerprint(store.get()))
	}
	if strings.Contains(err.Error(), key(3)) {
		t.Fatal("the error holds the key")
	}
	_, err = e.UpdateKey(ctx, "sk-ant-oat01-"+strings.Repeat("x", 40), UpdateOptions{Verify: true})
	var ke *KeyError
	if !errors.As(err, &ke) || store.get() != key(2) {
		t.Fatalf("oauth token: %v", err)
	}
	chk.setStatus(529)
	st, err = e.UpdateKey(ctx, key(4), UpdateOptions{Verify: true})
	if err != nil || st.State != StateUnverified || store.get() != key(4) {
		t.Fatalf("unverifiable key: err=%v state=%s", err, st.State)
	}
	st, err = e.UpdateKey(ctx, key(5), UpdateOptions{Verify: false})
	if err != nil || st.Validation.Result != ResultSkipped || store.get() != key(5) {
		t.Fatalf("--no-verify: err=%v result=%s", err, st.Validation.Result)
	}
	// A new engine (the next CLI run) remembers the check in state.json.
	chk.setStatus(0)
	chk.accept(key(6))
	if _, err := e.UpdateKey(ctx, key(6), UpdateOptions{Verify: true}); err != nil {
		t.Fatal(err)
	}
	e2 := New(e.Options())
	e2.Load(ctx)
	if st := e2.Status(); st.State != StateOK || st.Key.Fingerprint != Fingerprint(key(6)) {
		t.Fatalf("reloaded: %s %s", st.State, st.Key.Fingerprint)
	}
}

func TestRefreshFromSourceRotates(t *testing.T) {
	ctx := context.Background()
	store := &memStore{secret: key(1)}
	chk := &fakeChecker{}
	chk.accept(key(1), key(2))
	var cur atomic.Value
	cur.Store(key(1) + "\n")
	e, n := newTestEngine(t, store, chk, funcSource{func() (string, error) { return cur.Load().(string), nil }})
	events, cancel := e.Subscribe()
	defer cancel()

	if st := e.Refresh(ctx, RefreshRequest{Reason: "test"}); st.State != StateOK || st.Refresh.Count != 1 {
		t.Fatalf("first refresh: %s count %d", st.State, st.Refresh.Count)
	}
	cur.Store(key(2))
	st := e.Refresh(ctx, RefreshRequest{Reason: "test"})
	if st.Key.Fingerprint != Fingerprint(key(2)) || store.get() != key(2) || st.Key.Source != "command" {
		t.Fatalf("rotation not stored: %+v", st.Key)
	}
	if got := n.all(); len(got) != 1 || !strings.Contains(got[0], "rotated") {
		t.Fatalf("notifications: %q", got)
	}
	if !sawEvent(events, EventRotated) {
		t.Fatal("no rotated event")
	}

	// A rejected key from the source is not stored and notifies once.
	cur.Store(key(3))
	for i := 0; i < 3; i++ {
		st = e.Refresh(ctx, RefreshRequest{Reason: "test"})
	}
	if store.get() != key(2) || st.Key.Fingerprint != Fingerprint(key(2)) {
		t.Fatal("a rejected key replaced the good one")
	}
	if !strings.Contains(st.Refresh.LastError, "rejected") {
		t.Fatalf("last_error = %q", st.Refresh.LastError)
	}
	if got := n.all(); len(got) != 2 {
		t.Fatalf("want one more notification, got %q", got)
	}
}

func TestRefreshFailuresKeepKey(t *testing.T) {
	ctx := context.Background()
	store := &memStore{secret: key(1)}
	chk := &fakeChecker{}
	chk.accept(key(1))
	var fail atomic.Value
	fail.Store("")
	e, n := newTestEngine(t, store, chk, funcSource{func() (string, error) {
		switch fail.Load().(string) {
		case "error":
			return "", errors.New("vault: permission denied")
		case "garbage":
			return "not a key\nat all", nil
		}
		return key(1), nil
	}})
	e.Refresh(ctx, RefreshRequest{Reason: "first", User: true})
	var nexts []time.Duration
	for _, mode := range []string{"error", "garbage", "error"} {
		fail.Store(mode)
		st := e.Refresh(ctx, RefreshRequest{Reason: mode})
		if st.State != StateOK || !st.Key.Present || st.Refresh.LastError == "" {
			t.Fatalf("%s: state %s, last_error %q", mode, st.State, st.Refresh.LastError)
		}
		nexts = append(nexts, time.Until(*st.Refresh.Next))
	}
	if !(nexts[1] > nexts[0] && nexts[2] > nexts[1]) {
		t.Fatalf("no backoff: %v", nexts)
	}
	if got := n.all(); len(got) != 1 || !strings.Contains(got[0], "failed") {
		t.Fatalf("the same failure should notify once: %q", got)
	}
	fail.Store("")
	st := e.Refresh(ctx, RefreshRequest{Reason: "ok"})
	if st.Refresh.LastError != "" || len(n.all()) != 2 {
		t.Fatalf("recovery: last_error %q, notifications %q", st.Refresh.LastError, n.all())
	}
}

func TestUnknownNeverMarksKeyDown(t *testing.T) {
	ctx := context.Background()
	store := &memStore{secret: key(1)}
	chk := &fakeChecker{}
	chk.accept(key(1))
	e, _ := newTestEngine(t, store, chk, nil)
	e.Refresh(ctx, RefreshRequest{User: true})
	for _, code := range []int{429, 500, 529} {
		chk.setStatus(code)
		if st := e.Refresh(ctx, RefreshRequest{User: true}); st.State != StateOK {
			t.Fatalf("HTTP %d marked the key %s", code, st.State)
		}
	}
}

func TestRejectedNotifiesOnce(t *testing.T) {
	ctx := context.Background()
	store := &memStore{secret: key(1)}
	chk := &fakeChecker{}
	e, n := newTestEngine(t, store, chk, nil)
	for i := 0; i < 4; i++ {
		if st := e.ReportAuthFailure(ctx, "test"); st.State != StateInvalid {
			t.Fatalf("state %s", st.State)
		}
	}
	if got := n.all(); len(got) != 1 || !strings.Contains(got[0], "rejects key") {
		t.Fatalf("notifications: %q", got)
	}
	// Four reports, each for a child the reporter ran: four episodes.
	if st := e.Status(); st.AuthFailures.Count != 4 {
		t.Fatalf("auth_failures.count = %d", st.AuthFailures.Count)
	}
	chk.accept(key(1))
	e.Refresh(ctx, RefreshRequest{User: true})
	if got := n.all(); len(got) != 2 || !strings.Contains(got[1], "works again") {
		t.Fatalf("recovery notification: %q", got)
	}
}

func TestKeychainDownServesMemory(t *testing.T) {
	ctx := context.Background()
	store := &memStore{secret: key(1)}
	chk := &fakeChecker{}
	chk.accept(key(1))
	e, _ := newTestEngine(t, store, chk, nil)
	e.Refresh(ctx, RefreshRequest{User: true})
	store.mu.Lock()
	store.err = fmt.Errorf("%w: no answer", ErrKeychainUnavailable)
	store.mu.Unlock()
	st := e.Refresh(ctx, RefreshRequest{})
	k, err := e.CurrentKey(ctx)
	if err != nil || k.Secret() != key(1) {
		t.Fatalf("CurrentKey with the keychain down: %v", err)
	}
	if st.Store.Reachable || st.Store.Error == "" || st.State != StateOK {
		t.Fatalf("status should report the keychain error and keep the key: %+v %s", st.Store, st.State)
	}
}

func TestConcurrentRefreshesShareOneRun(t *testing.T) {
	ctx := context.Background()
	store := &memStore{secret: key(1)}
	chk := &fakeChecker{}
	chk.accept(key(1))
	var runs atomic.Int32
	e, _ := newTestEngine(t, store, chk, funcSource{func() (string, error) {
		runs.Add(1)
		time.Sleep(200 * time.Millisecond)
		return key(1), nil
	}})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); e.Refresh(ctx, RefreshRequest{User: true}) }()
	}
	wg.Wait()
	if r := runs.Load(); r > 2 {
		t.Fatalf("20 overlapping refreshes ran the source %d times", r)
	}
}

func TestImportsEnvOnce(t *testing.T) {
	ctx := context.Background()
	store := &memStore{}
	chk := &fakeChecker{}
	chk.accept(key(7))
	home := t.TempDir()
	e := New(Options{Paths: testPaths(home, home), Store: store, Checker: chk, Environ: []string{"CLAUDE_API_KEY=" + key(7)}, Cwd: home})
	e.Load(ctx)
	if st := e.Refresh(ctx, RefreshRequest{}); st.Key.Source != "env" || store.get() != key(7) {
		t.Fatalf("not imported: %+v", st.Key)
	}
	store.Delete(ctx)
	if st := e.Refresh(ctx, RefreshRequest{}); st.Key.Present {
		t.Fatal("a deleted key came back from CLAUDE_API_KEY")
	}
}

func sawEvent(ch <-chan Event, kind EventKind) bool {
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
func testPaths(home, stateDir string) Paths {
	return PathsIn(home, claude.FilesIn(home, home+"/.claude", stateDir), home+"/config", stateDir, home+"/run")
}
