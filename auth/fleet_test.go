package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/authtest"
)

// testFleet is a Fleet over in-memory stores, one per profile, and one fake checker.
type testFleet struct {
	f      *auth.Fleet
	stores map[string]*authtest.MemStore
	note   *authtest.RecNotifier
	chk    *authtest.FakeChecker
	cfg    string
	paths  auth.Paths
}

func newTestFleet(t *testing.T, config string, environ ...string) *testFleet {
	t.Helper()
	home := t.TempDir()
	p := testPaths(home, filepath.Join(home, "state"))
	p.ConfigFile = filepath.Join(home, "config.json")
	if err := os.WriteFile(p.ConfigFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := auth.LoadConfig(p.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	tf := &testFleet{stores: map[string]*authtest.MemStore{auth.DefaultProfile: authtest.NewMemStore("")}, note: &authtest.RecNotifier{}, chk: &authtest.FakeChecker{}, cfg: p.ConfigFile}
	var mu sync.Mutex
	tf.f = auth.NewFleet(auth.FleetOptions{
		Base: auth.Options{Paths: p, Config: cfg, Store: tf.stores[auth.DefaultProfile], Checker: tf.chk, Notifier: tf.note, Environ: append([]string{}, environ...), Exe: "/bin/true", Cwd: home},
		ProfileStore: func(name string) auth.Store {
			mu.Lock()
			defer mu.Unlock()
			if tf.stores[name] == nil {
				tf.stores[name] = authtest.NewMemStore("")
			}
			return tf.stores[name]
		},
		ProfileChecker: func(string) auth.KeyChecker { return tf.chk },
		ReloadConfig:   func() (auth.Config, error) { return auth.LoadConfig(p.ConfigFile) },
	})
	tf.f.Load(context.Background())
	tf.paths = p
	return tf
}

func TestProfileConfigEdits(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	orig := "{\n  \"notifications\":   false,\n  \"key_pattern\": \"gw-[a-z]+\"\n}\n"
	if err := os.WriteFile(path, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(auth.AddProfile(path, "work", auth.ProfileConfig{SourceCommand: "pass show work", BaseURL: "http://127.0.0.1:1"}))
	must(auth.AddProfile(path, "a.b", auth.ProfileConfig{}))
	must(auth.BindFolder(path, "/src/my work", "work"))
	must(auth.BindFolder(path, "/src/ab", "a.b"))
	must(auth.UseProfile(path, "work"))
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "\"notifications\":   false") {
		t.Fatalf("the edit reformatted the rest of the file:\n%s", b)
	}
	c, err := auth.LoadConfig(path)
	must(err)
	if got := strings.Join(c.ProfileNames(), ","); got != "default,a.b,work" {
		t.Fatalf("profiles %s", got)
	}
	if c.CurrentProfile() != "work" || c.Profiles["work"].SourceCommand != "pass show work" || len(c.Bindings) != 2 {
		t.Fatalf("config %+v", c)
	}
	if err := auth.AddProfile(path, "work", auth.ProfileConfig{}); err == nil {
		t.Fatal("adding a profile twice worked")
	}
	for _, bad := range []string{"Work", "-x", "", strings.Repeat("a", 33), "a/b", "a b"} {
		if err := auth.AddProfile(path, bad, auth.ProfileConfig{}); err == nil {
			t.Errorf("profile name %q was accepted", bad)
		}
	}
	var unknown *auth.UnknownProfileError
	if err := auth.BindFolder(path, "/x", "nope"); !errors.As(err, &unknown) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("binding to an unknown profile: %v", err)
	}
	// Removing the default profile in use drops its bindings and makes default the default.
	must(auth.RemoveProfile(path, "work"))
	c, err = auth.LoadConfig(path)
	must(err)
	if c.CurrentProfile() != auth.DefaultProfile || len(c.Bindings) != 1 || c.Bindings[0].Profile != "a.b" {
		t.Fatalf("after remove: %+v", c)
	}
	must(auth.UnbindFolder(path, "/src/ab"))
	if err := auth.UnbindFolder(path, "/src/ab"); err == nil {
		t.Fatal("unbinding twice worked")
	}
	if err := auth.RemoveProfile(path, auth.DefaultProfile); err == nil {
		t.Fatal("removing default worked")
	}
}

func TestResolveProfile(t *testing.T) {
	root := t.TempDir()
	work := filepath.Join(root, "src", "work")
	spaced := filepath.Join(root, "my notes", "client a")
	real := filepath.Join(root, "data", "real")
	for _, d := range []string{work, spaced, real, filepath.Join(work, "app", "deep")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(root, "linked")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	cfg := auth.Config{
		Profiles:       map[string]auth.ProfileConfig{"work": {}, "inner": {}, "client": {}, "linked": {}, "personal": {}},
		DefaultProfile: "personal",
		Bindings: []auth.Binding{
			{Dir: work, Profile: "work"},
			{Dir: filepath.Join(work, "app", "deep"), Profile: "inner"},
			{Dir: spaced, Profile: "client"},
			{Dir: link, Profile: "linked"},
		},
	}
	for cwd, want := range map[string]string{
		work:                                    "work",
		filepath.Join(work, "app"):              "work",
		filepath.Join(work, "app", "deep"):      "inner",
		filepath.Join(work, "app", "deep", "x"): "inner",
		work + "2":                              "personal",
		spaced:                                  "client",
		filepath.Join(spaced, "sub dir"):        "client",
		real:                                    "linked",
		filepath.Join(real, "x"):                "linked",
		filepath.Join(link, "x"):                "linked",
		root:                                    "personal",
		"":                                      "personal",
	} {
		if got := auth.ResolveProfile(cfg, cwd); got != want {
			t.Errorf("folder %q: profile %q, want %q", cwd, got, want)
		}
	}
}

// Each profile has its own key, state and notifications; a key that moves leaves its old item.
func TestFleetProfiles(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, `{"profiles":{"work":{},"personal":{}},"default_profile":"personal"}`)
	k1, k2 := authtest.Key(1), authtest.Key(2)
	tf.chk.Accept(k1, k2)
	if _, err := tf.f.UpdateProfileKey(ctx, "work", k1, auth.UpdateOptions{Verify: true, Origin: "cli"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tf.f.UpdateProfileKey(ctx, "personal", k2, auth.UpdateOptions{Verify: true, Origin: "cli"}); err != nil {
		t.Fatal(err)
	}
	if tf.stores["work"].Secret() != k1 || tf.stores["personal"].Secret() != k2 || tf.stores[auth.DefaultProfile].Secret() != "" {
		t.Fatal("keys went to the wrong items")
	}
	st := tf.f.Status()
	if st.Profile != "personal" || st.Key.Fingerprint != auth.Fingerprint(k2) || len(st.Profiles) != 3 {
		t.Fatalf("top-level status %s %s, %d profiles", st.Profile, st.Key.Fingerprint, len(st.Profiles))
	}
	for _, p := range st.Profiles {
		if p.Default != (p.Profile == "personal") {
			t.Errorf("profile %s default=%v", p.Profile, p.Default)
		}
	}
	for _, n := range tf.note.All() {
		if !strings.Contains(n, "(work)") && !strings.Contains(n, "(personal)") {
			t.Errorf("notification does not name its profile: %q", n)
		}
	}
	// The work key moves to personal: the work item no longer holds it.
	if _, err := tf.f.UpdateProfileKey(ctx, "personal", k1, auth.UpdateOptions{Verify: true, Origin: "cli"}); err != nil {
		t.Fatal(err)
	}
	if tf.stores["work"].Secret() != "" || tf.stores["personal"].Secret() != k1 {
		t.Fatalf("after the move: work holds %q", auth.Fingerprint(tf.stores["work"].Secret()))
	}
	if ws, _ := tf.f.ProfileStatus("work"); ws.State != auth.StateNoKey {
		t.Fatalf("work after the move: %s", ws.State)
	}
	var unknown *auth.UnknownProfileError
	if _, err := tf.f.Engine("nope"); !errors.As(err, &unknown) {
		t.Fatalf("unknown profile: %v", err)
	}
}

// A source that hangs in one profile never holds up another profile's refreshes or keys.
func TestFleetSlowSourceIsolated(t *testing.T) {
	dir := t.TempDir()
	block := filepath.Join(dir, "block")
	tf := newTestFleet(t, `{"profiles":{"slow":{"source_command":"cat `+block+` 2>/dev/null || sleep 30"}}}`)
	tf.chk.Accept(authtest.Key(1))
	tf.stores[auth.DefaultProfile].Set(context.Background(), authtest.Key(1))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tf.f.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := tf.f.ProfileStatus(auth.DefaultProfile)
		if st.Refresh.Count > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the default profile never refreshed while another profile's source hung")
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if _, err := tf.f.RefreshProfile(context.Background(), auth.DefaultProfile, auth.RefreshRequest{User: true, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("refreshing default took %s while slow's source hung", took)
	}
	if st, _ := tf.f.ProfileStatus("slow"); st.Refresh.Count != 0 {
		t.Fatalf("slow's refresh finished: %+v", st.Refresh)
	}
}

// A running fleet picks up profiles added to and removed from config.json.
func TestFleetReloadsConfig(t *testing.T) {
	tf := newTestFleet(t, `{}`)
	if tf.f.Count() != 1 {
		t.Fatalf("%d profiles", tf.f.Count())
	}
	events, stop := tf.f.Subscribe()
	defer stop()
	if err := auth.AddProfile(tf.cfg, "work", auth.ProfileConfig{}); err != nil {
		t.Fatal(err)
	}
	if err := tf.f.UseProfile("work"); err != nil {
		t.Fatal(err)
	}
	if name, _ := tf.f.Current(); name != "work" || tf.f.Count() != 2 {
		t.Fatalf("current %s, %d profiles", name, tf.f.Count())
	}
	select {
	case ev := <-events:
		if ev.Status == nil || ev.Status.Profile != "work" {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event after the profile change")
	}
	if err := auth.RemoveProfile(tf.cfg, "work"); err != nil {
		t.Fatal(err)
	}
	// The next call sees the edit made by another process.
	if st := tf.f.Status(); st.Profile != auth.DefaultProfile || len(st.Profiles) != 1 {
		t.Fatalf("after remove: %s, %d profiles", st.Profile, len(st.Profiles))
	}
}

// A profile's engine applies an edited config.json as its own view: its source, not default's.
func TestConfigForProfile(t *testing.T) {
	c := auth.Config{SourceCommand: "pass show default", Profiles: map[string]auth.ProfileConfig{"work": {SourceCommand: "pass show work"}, "plain": {}}}
	for name, want := range map[string]string{"": "pass show default", auth.DefaultProfile: "pass show default", "work": "pass show work", "plain": ""} {
		got, err := c.ForProfile(name)
		if err != nil || got.SourceCommand != want {
			t.Errorf("ForProfile(%q): source %q (%v), want %q", name, got.SourceCommand, err, want)
		}
	}
	if _, err := c.ForProfile("gone"); !errors.Is(err, auth.ErrUnknownProfile) {
		t.Errorf("ForProfile of a removed profile: %v", err)
	}
}

// A credential that wins over the helper concerns every profile alike: it is announced once,
// by the default profile's engine, not once per profile.
func TestFleetSharedProblemOnce(t *testing.T) {
	tf := newTestFleet(t, `{"profiles":{"work":{},"personal":{}}}`, "ANTHROPIC_API_KEY=sk-ant-api03-"+strings.Repeat("z", 90))
	wireClaude(t, tf.paths)
	ctx := context.Background()
	tf.chk.Accept(authtest.Key(1), authtest.Key(2))
	for name, k := range map[string]string{auth.DefaultProfile: authtest.Key(1), "work": authtest.Key(2)} {
		if _, err := tf.f.UpdateProfileKey(ctx, name, k, auth.UpdateOptions{Verify: true, Origin: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{auth.DefaultProfile, "work", "personal"} {
		if _, err := tf.f.RefreshProfile(ctx, name, auth.RefreshRequest{User: true, Reason: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := tf.f.ProfileStatus("work")
	found := false
	for _, p := range st.Problems {
		found = found || p.Code == auth.ProblemCredentialOverrides
	}
	if !found {
		t.Fatalf("work's status lacks %s: %+v", auth.ProblemCredentialOverrides, st.Problems)
	}
	n := 0
	for _, note := range tf.note.All() {
		if strings.Contains(note, "ANTHROPIC_API_KEY") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d notifications about ANTHROPIC_API_KEY, want 1: %q", n, tf.note.All())
	}
}

// Statuses are numbered as they are computed, and published in that order: a status computed
// before a profile change never reaches a subscriber after the one computed after it, however
// the calls interleave.
func TestFleetStatusOrder(t *testing.T) {
	tf := newTestFleet(t, `{"profiles": {"work": {}, "spare": {}}}`)
	events, unsubscribe := tf.f.Subscribe()
	defer unsubscribe()
	names := []string{"work", "spare", auth.DefaultProfile}
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 20 {
				if err := tf.f.UseProfile(names[(g+i)%len(names)]); err != nil {
					t.Error(err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			last := uint64(0)
			for range 50 {
				st := tf.f.Status()
				if st.Seq <= last {
					t.Errorf("Status numbered %d after %d from the same caller", st.Seq, last)
				}
				last = st.Seq
			}
		}()
	}
	wg.Wait()
	if err := tf.f.UseProfile("spare"); err != nil {
		t.Fatal(err)
	}
	// The last change published the status just before this one (no loop runs to publish more).
	lastSeq := tf.f.Status().Seq - 1
	var got []auth.Status
	for len(got) == 0 || got[len(got)-1].Seq < lastSeq {
		select {
		case ev := <-events:
			if ev.Status == nil || ev.Status.Seq == 0 {
				t.Fatalf("event %+v carries no numbered status", ev)
			}
			got = append(got, *ev.Status)
		case <-time.After(5 * time.Second):
			t.Fatalf("no status %d within 5 s; got %d events, the last %d", lastSeq, len(got), got[len(got)-1].Seq)
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq <= got[i-1].Seq {
			t.Fatalf("event %d has status %d after %d", i, got[i].Seq, got[i-1].Seq)
		}
	}
	if last := got[len(got)-1]; last.Seq != lastSeq || last.Profile != "spare" {
		t.Fatalf("the last status is %d naming %q, want %d naming spare", last.Seq, last.Profile, lastSeq)
	}
}
