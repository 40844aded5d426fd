package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/authtest"
	"github.com/claude-keytray/claude-keytray/auth/control"
)

// newFleet serves two profiles, default (keyA) and work (keyB), from in-memory stores.
func newFleet(t *testing.T) *auth.Fleet {
	t.Helper()
	p, err := auth.DefaultPaths()
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(p.ConfigFile), 0o700)
	if err := os.WriteFile(p.ConfigFile, []byte(`{"profiles":{"work":{"base_url":"http://127.0.0.1:9"}},"bindings":[{"dir":"/nowhere/work","profile":"work"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := auth.LoadConfig(p.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	stores := map[string]*authtest.MemStore{"work": authtest.NewMemStore(keyB)}
	chk := &authtest.FakeChecker{}
	f := auth.NewFleet(auth.FleetOptions{
		Base:           auth.Options{Paths: p, Config: cfg, Store: authtest.NewMemStore(keyA), Checker: chk, Environ: []string{}, Cwd: p.Home},
		ProfileStore:   func(name string) auth.Store { return stores[name] },
		ProfileChecker: func(string) auth.KeyChecker { return chk },
		ReloadConfig:   func() (auth.Config, error) { return auth.LoadConfig(p.ConfigFile) },
	})
	f.Load(context.Background())
	return f
}

// Every endpoint takes a profile; none means the current one; an unknown one is 404.
func TestProfileEndpoints(t *testing.T) {
	testEnv(t)
	sock, c := startServer(t, newFleet(t), nil)
	ctx := context.Background()

	if k, err := c.Key(ctx); err != nil || k != keyA {
		t.Fatalf("key without a profile: %q %v", auth.Fingerprint(k), err)
	}
	if k, err := c.WithProfile("work").Key(ctx); err != nil || k != keyB {
		t.Fatalf("key of work: %q %v", auth.Fingerprint(k), err)
	}
	st, err := c.WithProfile("work").Status(ctx)
	if err != nil || st.Profile != "work" || st.Key.Fingerprint != auth.Fingerprint(keyB) || st.BaseURL != "http://127.0.0.1:9" {
		t.Fatalf("status of work: %+v %v", st, err)
	}
	st, err = c.Status(ctx)
	if err != nil || st.Profile != auth.DefaultProfile || len(st.Profiles) != 2 || st.Profiles[1].Profile != "work" {
		t.Fatalf("status: %+v %v", st, err)
	}
	if _, err := c.WithProfile("work").Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WithProfile("work").ReportAuthFailure(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.WithProfile("work").Status(ctx); st.AuthFailures.Count != 1 {
		t.Fatalf("work's auth failures: %d", st.AuthFailures.Count)
	}
	if st, _ := c.Status(ctx); st.AuthFailures.Count != 0 {
		t.Fatalf("a 401 of work counted in default: %d", st.AuthFailures.Count)
	}
	l, err := c.Profiles(ctx)
	if err != nil || l.DefaultProfile != auth.DefaultProfile || len(l.Profiles) != 2 || l.Profiles[1].Bindings[0] != "/nowhere/work" {
		t.Fatalf("profiles: %+v %v", l, err)
	}
	b, _ := json.Marshal(l)
	if strings.Contains(string(b), keyA) || strings.Contains(string(b), keyB) {
		t.Fatal("the profile list holds a key")
	}
	for _, call := range []func() error{
		func() error { _, err := c.WithProfile("nope").Key(ctx); return err },
		func() error { _, err := c.WithProfile("nope").Status(ctx); return err },
		func() error { _, err := c.WithProfile("nope").Refresh(ctx); return err },
		func() error { _, err := c.WithProfile("nope").UpdateKey(ctx, keyA, false); return err },
		func() error { _, err := c.WithProfile("nope").ReportAuthFailure(ctx, "x"); return err },
	} {
		err := call()
		if !errors.Is(err, auth.ErrUnknownProfile) || !isAPIError(err, 404, control.CodeUnknownProfile) || !strings.Contains(err.Error(), `"nope"`) {
			t.Errorf("unknown profile: %v", err)
		}
	}
	r := doString(t, sock, http.MethodPost, control.PathUpdateKey+"?profile=work", `{"key":"`+keyA+`","profile":"default"}`)
	if r.status != 400 {
		t.Fatalf("query and body disagree: %d %s", r.status, masked(r.body))
	}
	r = doString(t, sock, http.MethodGet, control.PathStatus+"?profile=Not%20A%20Name", "")
	if r.status != 400 || strings.Contains(r.body, "Not A Name") {
		t.Fatalf("bad name: %d %s", r.status, r.body)
	}
}

// An engine without profiles serves "default" by name and nothing else.
func TestProfileOnSingleEngine(t *testing.T) {
	testEnv(t)
	_, c := startServer(t, newEngine(t, authtest.NewMemStore(keyA), &authtest.FakeChecker{}), nil)
	ctx := context.Background()
	if k, err := c.WithProfile(auth.DefaultProfile).Key(ctx); err != nil || k != keyA {
		t.Fatalf("default by name: %v", err)
	}
	if _, err := c.WithProfile("work").Key(ctx); !errors.Is(err, auth.ErrUnknownProfile) {
		t.Fatalf("work on a single engine: %v", err)
	}
	l, err := c.Profiles(ctx)
	if err != nil || len(l.Profiles) != 1 || l.Profiles[0].Name != auth.DefaultProfile || !l.Profiles[0].Default {
		t.Fatalf("profiles: %+v %v", l, err)
	}
}
