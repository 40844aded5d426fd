//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// Profiles end to end: the real binary as `daemon` with the helper installed, a real Secret
// Service, `pass` as one profile's source, and the real claude CLI started in folders bound to
// different profiles. Each folder's claude talks to its own loopback API, so the API's log says
// which key each folder's Claude Code sent.

type profileWorld struct {
	*daemonWorld
	work, personal string
	// apiWork and apiNotes receive the messages of Claude Code in the work folders and in the
	// others; both accept both keys, so a key that crossed over would be seen, not refused.
	apiWork, apiNotes *testenv.FakeAPI
	workApp, notes    string
	notes2            *testenv.Notifications
}

func newProfileWorld(t *testing.T) *profileWorld {
	t.Helper()
	testenv.Require(t, "claude", "pass")
	w := &profileWorld{daemonWorld: newDaemonWorld(t)}
	w.env.Set("GORACE", "atexit_sleep_ms=0")
	w.env.StartPass(t)
	w.work, w.personal = w.newKey(), w.newKey()
	w.apiWork = testenv.NewFakeAPI(t, w.work, w.personal)
	w.apiNotes = testenv.NewFakeAPI(t, w.work, w.personal)
	w.api.SetAccepted(w.work, w.personal)
	w.env.PassInsert(t, "claude/work", w.work)

	home := w.env.Home()
	w.workApp = filepath.Join(home, "src", "work", "app")
	w.notes = filepath.Join(home, "notes")
	for _, d := range []string{w.workApp, w.notes} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	wantExit(t, w.run("", "profile", "add", "work", "--source", "pass show claude/work", "--base-url", w.apiWork.URL()), 0, "profile add work")
	wantExit(t, w.run("", "profile", "add", "personal"), 0, "profile add personal")
	wantExit(t, w.run(w.personal, "update-key", "--profile", "personal"), 0, "update-key --profile personal")
	wantExit(t, w.run("", "profile", "use", "personal"), 0, "profile use personal")
	wantExit(t, w.run("", "profile", "bind", filepath.Join(home, "src", "work"), "work"), 0, "profile bind")
	wantExit(t, w.run("", "install", "--no-autostart"), 0, "install --no-autostart")
	return w
}

// startProfileDaemon starts the daemon and waits until every profile has refreshed once and
// work holds its key from pass (which its first refresh announces as a rotation).
func (w *profileWorld) startProfileDaemon() {
	w.t.Helper()
	w.startDaemon()
	w.waitDaemon(nil, "every profile's first refresh", 20*time.Second, func(st auth.Status) bool {
		for _, p := range st.Profiles {
			if p.Refresh.Count == 0 || p.Profile == "work" && p.Key.Fingerprint != auth.Fingerprint(w.work) {
				return false
			}
		}
		return len(st.Profiles) > 1
	})
}

// claudeIn runs `claude -p` in dir against api.
func (w *profileWorld) claudeIn(dir string, api *testenv.FakeAPI, prompt string) testenv.Result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.ClaudeTimeout)
	defer cancel()
	cmd := w.env.Command(ctx, "claude", "-p", prompt)
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, "ANTHROPIC_BASE_URL="+api.URL())
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := testenv.Result{Stdout: out.String(), Stderr: errb.String()}
	if err != nil {
		r.ExitCode = cmd.ProcessState.ExitCode()
	}
	return r
}

// wantOnlyKey checks that every message api answered carried want, and that there were n at
// least.
func wantOnlyKey(t *testing.T, api *testenv.FakeAPI, want, what string, n int) {
	t.Helper()
	msgs := messages(api)
	if len(msgs) < n {
		t.Fatalf("%s: %d messages reached the API, want at least %d", what, len(msgs), n)
	}
	for _, r := range msgs {
		if r.Key != want {
			t.Fatalf("%s: the API saw %s, want only %s: %s", what, auth.Fingerprint(r.Key), auth.Fingerprint(want), keysSeen(msgs))
		}
	}
	t.Logf("%s: %d messages, all with %s", what, len(msgs), auth.Fingerprint(want))
}

// Two folders, two profiles, at the same time: claude -p in ~/src/work/app (bound to work, whose
// key comes from pass) and in ~/notes (no binding: the default profile, personal, from the
// keychain), started together twenty times. Keys never cross.
func TestE2EProfilesTwoFoldersAtOnce(t *testing.T) {
	t.Parallel()
	w := newProfileWorld(t)
	w.startProfileDaemon()
	const rounds = 20
	for i := range rounds {
		var wg sync.WaitGroup
		var rw, rn testenv.Result
		wg.Add(2)
		go func() { defer wg.Done(); rw = w.claudeIn(w.workApp, w.apiWork, fmt.Sprintf("work %d", i)) }()
		go func() { defer wg.Done(); rn = w.claudeIn(w.notes, w.apiNotes, fmt.Sprintf("notes %d", i)) }()
		wg.Wait()
		if rw.ExitCode != 0 || rn.ExitCode != 0 {
			t.Fatalf("round %d: claude in work exited %d (%s), in notes %d (%s)", i, rw.ExitCode, rw.Stdout+rw.Stderr, rn.ExitCode, rn.Stdout+rn.Stderr)
		}
	}
	wantOnlyKey(t, w.apiWork, w.work, "claude in ~/src/work/app", rounds)
	wantOnlyKey(t, w.apiNotes, w.personal, "claude in ~/notes", rounds)

	// The helper itself, asked from each folder as Claude Code asks it.
	for dir, want := range map[string]string{w.workApp: w.work, w.notes: w.personal} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := w.env.Command(ctx, "sh", "-c", filepath.Join(w.env.ClaudeDir(), "auth_helper.sh"))
		cmd.Dir = dir
		out, err := cmd.Output()
		cancel()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Fatalf("the helper in %s printed %s (%v), want %s", dir, auth.Fingerprint(strings.TrimSpace(string(out))), err, auth.Fingerprint(want))
		}
	}
	// --profile and CLAUDE_KEYTRAY_PROFILE win over the folder; an unknown one is exit 2 naming it.
	if r := w.run("", "key", "--profile", "work"); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != w.work {
		t.Fatalf("key --profile work: exit %d, %s", r.ExitCode, auth.Fingerprint(strings.TrimSpace(r.Stdout)))
	}
	w.env.Set(auth.ProfileEnv, "work")
	if r := w.run("", "key"); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != w.work {
		t.Fatalf("%s=work key: exit %d, %s %s", auth.ProfileEnv, r.ExitCode, auth.Fingerprint(strings.TrimSpace(r.Stdout)), r.Stderr)
	}
	w.env.Set(auth.ProfileEnv, "nope")
	r := w.run("", "key")
	if r.ExitCode != 2 || !strings.Contains(r.Stderr, `"nope"`) || !strings.Contains(r.Stderr, auth.ProfileEnv) {
		t.Fatalf("%s=nope key: exit %d, stderr %q", auth.ProfileEnv, r.ExitCode, r.Stderr)
	}
	w.env.Set(auth.ProfileEnv, "")
	for _, args := range [][]string{{"key", "--profile", "nope"}, {"status", "--profile", "nope"}, {"refresh", "--profile", "nope"}} {
		if r := w.run("", args...); r.ExitCode != 2 || !strings.Contains(r.Stderr, `"nope"`) {
			t.Fatalf("%v: exit %d, stderr %q", args, r.ExitCode, r.Stderr)
		}
	}

	// profile list --json and status --json as DESIGN has them.
	var l auth.ProfileList
	r = w.run("", "profile", "list", "--json")
	if err := json.Unmarshal([]byte(r.Stdout), &l); err != nil || r.ExitCode != 0 {
		t.Fatalf("profile list --json: exit %d, %v: %s", r.ExitCode, err, r.Stdout)
	}
	if l.DefaultProfile != "personal" || len(l.Profiles) != 3 {
		t.Fatalf("profile list: %+v", l)
	}
	byName := map[string]auth.ProfileSummary{}
	for _, p := range l.Profiles {
		byName[p.Name] = p
	}
	if p := byName["work"]; p.Source != "command" || p.BaseURL != w.apiWork.URL() || p.Fingerprint != auth.Fingerprint(w.work) || len(p.Bindings) != 1 || p.Default {
		t.Fatalf("work in profile list: %+v", p)
	}
	if p := byName["personal"]; p.Source != "keychain" || !p.Default || p.State != auth.StateOK || !strings.Contains(p.Store, `"personal"`) {
		t.Fatalf("personal in profile list: %+v", p)
	}
	if l.Profiles[0].Name != auth.DefaultProfile || l.Profiles[0].State != auth.StateNoKey {
		t.Fatalf("default in profile list: %+v", l.Profiles[0])
	}
	var raw map[string]json.RawMessage
	r = w.run("", "status", "--json")
	if err := json.Unmarshal([]byte(r.Stdout), &raw); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"state", "key", "validation", "helper", "claude_settings", "refresh", "auth_failures", "daemon", "profiles"} {
		if _, ok := raw[f]; !ok {
			t.Errorf("status --json lacks %q", f)
		}
	}
	st := w.status()
	if st.Profile != "personal" || st.Key.Fingerprint != auth.Fingerprint(w.personal) || len(st.Profiles) != 3 {
		t.Fatalf("status: profile %s, key %s, %d profiles", st.Profile, st.Key.Fingerprint, len(st.Profiles))
	}
	for _, p := range st.Profiles {
		if p.Profile == "" || p.Store.Where == "" || p.Refresh.IntervalSeconds == 0 {
			t.Fatalf("a profile in status is not shaped like the top level: %+v", p)
		}
	}
	if strings.Contains(r.Stdout, w.work) || strings.Contains(r.Stdout, w.personal) {
		t.Fatal("status --json holds a key")
	}

	// doctor checks every profile's key and says which profile each bound folder gets;
	// doctor --profile checks one.
	r = w.run("", "doctor", "--no-verify")
	for _, want := range []string{"personal: key present", "work: key present", "default: key present", "Claude Code in " + filepath.Join(w.env.Home(), "src", "work") + " gets profile work", "Any other folder gets profile personal"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("doctor lacks %q:\n%s", want, r.Stdout)
		}
	}
	r = w.run("", "doctor", "--no-verify", "--profile", "work")
	if strings.Contains(r.Stdout, "personal") || !strings.Contains(r.Stdout, auth.Fingerprint(w.work)) {
		t.Errorf("doctor --profile work:\n%s", r.Stdout)
	}
}

// Folders with spaces, links, a key that moves and a profile removed under its binding.
func TestE2EProfilesFoldersAndEdits(t *testing.T) {
	t.Parallel()
	w := newProfileWorld(t)
	home := w.env.Home()
	spaced := filepath.Join(home, "Client Projects", "acme corp")
	real := filepath.Join(w.env.Dir, "elsewhere", "real place")
	link := filepath.Join(home, "linked")
	for _, d := range []string{filepath.Join(spaced, "sub dir"), real} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	wantExit(t, w.run("", "profile", "bind", spaced, "work"), 0, "bind a folder with spaces")
	wantExit(t, w.run("", "profile", "bind", link, "work"), 0, "bind a link")
	w.startDaemon()

	// Claude Code started through the link runs in the real folder: the link's binding holds.
	for _, dir := range []string{filepath.Join(spaced, "sub dir"), link, real} {
		w.apiWork.Reset()
		if r := w.claudeIn(dir, w.apiWork, "hi"); r.ExitCode != 0 {
			t.Fatalf("claude in %s: exit %d %s", dir, r.ExitCode, r.Stdout+r.Stderr)
		}
		wantOnlyKey(t, w.apiWork, w.work, "claude in "+dir, 1)
	}

	// A key moved from one profile to another leaves the old keychain item.
	spare := w.newKey()
	for _, api := range []*testenv.FakeAPI{w.api, w.apiWork, w.apiNotes} {
		api.SetAccepted(w.work, w.personal, spare)
	}
	wantExit(t, w.run("", "profile", "add", "spare"), 0, "profile add spare")
	wantExit(t, w.run(spare, "update-key", "--profile", "spare"), 0, "update-key --profile spare")
	if got := secretToolAccount(t, w.env, "spare"); got != spare {
		t.Fatalf("spare's item holds %s", auth.Fingerprint(got))
	}
	wantExit(t, w.run(spare, "update-key", "--profile", "personal"), 0, "move the key to personal")
	if got := secretToolAccount(t, w.env, "spare"); got != "" {
		t.Fatalf("the moved key stayed in spare's item: %s", auth.Fingerprint(got))
	}
	if got := secretToolAccount(t, w.env, "personal"); got != spare {
		t.Fatalf("personal's item holds %s", auth.Fingerprint(got))
	}
	w.apiNotes.Reset()
	if r := w.claudeIn(w.notes, w.apiNotes, "hi"); r.ExitCode != 0 {
		t.Fatalf("claude in notes: exit %d %s", r.ExitCode, r.Stdout+r.Stderr)
	}
	wantOnlyKey(t, w.apiNotes, spare, "claude in ~/notes after the move", 1)

	// Removing a profile that bindings name removes them: the folders get the default profile.
	r := w.run("", "profile", "remove", "work")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "bindings") {
		t.Fatalf("profile remove work: exit %d %s %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	b, _ := os.ReadFile(filepath.Join(w.env.Get("XDG_CONFIG_HOME"), "claude-keytray", "config.json"))
	if strings.Contains(string(b), "work") {
		t.Fatalf("config.json still names work:\n%s", b)
	}
	w.apiWork.Reset()
	if r := w.claudeIn(w.workApp, w.apiWork, "hi"); r.ExitCode != 0 {
		t.Fatalf("claude in work after remove: exit %d %s", r.ExitCode, r.Stdout+r.Stderr)
	}
	wantOnlyKey(t, w.apiWork, spare, "claude in ~/src/work/app after profile remove work", 1)
	if r := w.run("", "key", "--profile", "work"); r.ExitCode != 2 || !strings.Contains(r.Stderr, `"work"`) {
		t.Fatalf("key --profile work after remove: exit %d %q", r.ExitCode, r.Stderr)
	}
}

// secretToolAccount reads the claude-keytray item of account with secret-tool ("" when none).
func secretToolAccount(t *testing.T, env *testenv.Env, account string) string {
	t.Helper()
	r := env.Exec(t, "", "secret-tool", "lookup", "service", auth.KeyringService, "username", account)
	if r.ExitCode != 0 {
		return ""
	}
	return strings.TrimSuffix(r.Stdout, "\n")
}

// tmuxSession is an interactive claude in a tmux window of the world's own tmux server.
type tmuxSession struct {
	w    *profileWorld
	sock string
	name string
	api  *testenv.FakeAPI
	dir  string
}

// startInteractive starts an interactive claude in dir, against api, in a detached tmux session,
// and waits until it takes input.
func (w *profileWorld) startInteractive(name, dir string, api *testenv.FakeAPI) *tmuxSession {
	w.t.Helper()
	s := &tmuxSession{w: w, sock: filepath.Join(w.env.RuntimeDir, "tmux.sock"), name: name, api: api, dir: dir}
	// A short helper TTL is still far longer than Claude Code's retry after a 401 (about 1 s).
	r := w.env.Exec(w.t, "", "tmux", "-S", s.sock, "new-session", "-d", "-s", name, "-x", "160", "-y", "48", "-c", dir,
		"env", "ANTHROPIC_BASE_URL="+api.URL(), "claude")
	if r.ExitCode != 0 {
		w.t.Fatalf("tmux new-session %s: exit %d %s", name, r.ExitCode, r.Stderr)
	}
	w.t.Cleanup(func() { w.env.Exec(w.t, "", "tmux", "-S", s.sock, "kill-session", "-t", name) })
	s.waitScreen("a prompt", 60*time.Second, func(screen string) bool {
		if strings.Contains(screen, "trust") && strings.Contains(screen, "Yes") {
			s.keys("Enter")
			return false
		}
		return strings.Contains(screen, "? for shortcuts") || strings.Contains(screen, "for shortcuts")
	})
	return s
}

func (s *tmuxSession) screen() string {
	r := s.w.env.Exec(s.w.t, "", "tmux", "-S", s.sock, "capture-pane", "-p", "-t", s.name)
	return r.Stdout
}

func (s *tmuxSession) keys(keys ...string) {
	s.w.t.Helper()
	args := append([]string{"-S", s.sock, "send-keys", "-t", s.name}, keys...)
	if r := s.w.env.Exec(s.w.t, "", "tmux", args...); r.ExitCode != 0 {
		s.w.t.Fatalf("tmux send-keys: %s", r.Stderr)
	}
}

func (s *tmuxSession) waitScreen(what string, timeout time.Duration, cond func(string) bool) {
	s.w.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		sc := s.screen()
		if cond(sc) {
			return
		}
		if time.Now().After(deadline) {
			s.w.t.Fatalf("%s: no %s within %s; the screen:\n%s", s.name, what, timeout, sc)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ask types prompt and waits until the API answered a message of this session with status 200.
func (s *tmuxSession) ask(prompt string) {
	s.w.t.Helper()
	before := okMessages(s.api)
	s.keys("-l", prompt)
	s.keys("Enter")
	deadline := time.Now().Add(2 * time.Minute)
	for okMessages(s.api) <= before {
		if time.Now().After(deadline) {
			s.w.t.Fatalf("%s: %q got no answer within 2 min: %s\nthe screen:\n%s", s.name, prompt, keysSeen(messages(s.api)), s.screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func okMessages(api *testenv.FakeAPI) int {
	n := 0
	for _, r := range messages(api) {
		if r.Status == 200 {
			n++
		}
	}
	return n
}

// Two interactive sessions at once, one per profile. The work key is rotated in pass and the old
// one revoked: the work session gets a 401, calls the helper again, gets the new work key and
// goes on; one notification names work; the personal session never sees a 401 or another key.
func TestE2EProfilesInteractiveRotation(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "tmux")
	w := newProfileWorld(t)
	w.notes2 = w.env.StartNotifications(t)
	// Claude Code's first-run questions are answered: onboarding done, both folders trusted.
	projects := map[string]any{}
	for _, d := range []string{w.workApp, w.notes} {
		projects[d] = map[string]any{"hasTrustDialogAccepted": true, "hasCompletedProjectOnboarding": true}
	}
	b, _ := json.Marshal(map[string]any{"hasCompletedOnboarding": true, "theme": "dark", "projects": projects})
	w.env.WriteFile(t, filepath.Join(w.env.Home(), ".claude.json"), string(b), 0o600)
	w.startProfileDaemon()

	ws := w.startInteractive("work", w.workApp, w.apiWork)
	ns := w.startInteractive("notes", w.notes, w.apiNotes)
	ws.ask("hello from work")
	ns.ask("hello from notes")
	wantOnlyKey(t, w.apiWork, w.work, "the work session", 1)
	wantOnlyKey(t, w.apiNotes, w.personal, "the notes session", 1)

	// Before the rotation: the start-up refresh announced work's first key from pass.
	startup := len(w.notes2.All())
	next := w.newKey()
	w.env.PassInsert(t, "claude/work", next)
	for _, api := range []*testenv.FakeAPI{w.api, w.apiWork, w.apiNotes} {
		api.SetAccepted(next, w.personal)
	}
	w.apiWork.Reset()
	ws.ask("again from work")
	msgs := messages(w.apiWork)
	last := msgs[len(msgs)-1]
	if last.Key != next || last.Status != 200 {
		t.Fatalf("the work session after the rotation: %s", keysSeen(msgs))
	}
	n := w.notes2.WaitFor(t, func(n testenv.Notification) bool {
		return strings.Contains(n.Summary, "(work)") && strings.Contains(n.Body, auth.Fingerprint(next))
	}, 30*time.Second)
	t.Logf("work session: %s; notification %q: %q", keysSeen(msgs), n.Summary, n.Body)

	w.apiNotes.Reset()
	ns.ask("again from notes")
	wantOnlyKey(t, w.apiNotes, w.personal, "the notes session after work's rotation", 1)
	for _, r := range messages(w.apiNotes) {
		if r.Status != 200 {
			t.Fatalf("the notes session got HTTP %d", r.Status)
		}
	}
	st := w.status()
	for _, p := range st.Profiles {
		switch p.Profile {
		case "work":
			if p.AuthFailures.Count != 1 || p.Key.Fingerprint != auth.Fingerprint(next) {
				t.Fatalf("work: %d auth failures, key %s", p.AuthFailures.Count, p.Key.Fingerprint)
			}
		case "personal":
			if p.AuthFailures.Count != 0 {
				t.Fatalf("personal counted %d auth failures", p.AuthFailures.Count)
			}
		}
	}
	var named []string
	for _, n := range w.notes2.All()[startup:] {
		named = append(named, n.Summary)
		if !strings.Contains(n.Summary, "(work)") {
			t.Fatalf("a notification not about work: %q %q", n.Summary, n.Body)
		}
	}
	if len(named) != 1 {
		t.Fatalf("%d notifications, want one: %v", len(named), named)
	}
}

// setup --profile at a terminal: no source (Enter), the key at the hidden prompt, a folder to
// bind; the profile then serves that folder.
func TestSetupProfileInteractive(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "script")
	k := testenv.NewKey(t)
	env, _ := keychainEnv(t, k)
	dir := filepath.Join(env.Home(), "client work")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	term := atTerminal(t, env, 2*time.Minute, "setup --profile acme")
	term.answer("or Enter to type the key: ", "")
	term.answer("input is hidden): ", k)
	term.answer("(Enter for none): ", dir)
	text, err := term.finish()
	t.Logf("setup --profile acme:\n%s", text)
	if err != nil {
		t.Fatalf("setup --profile: %v", err)
	}
	if strings.Contains(text, k) {
		t.Fatal("the terminal echoed the key")
	}
	if got := secretToolAccount(t, env, "acme"); got != k {
		t.Fatalf("the acme item holds %s", auth.Fingerprint(got))
	}
	if _, ok := env.SecretToolLookup(t); ok {
		t.Fatal("setup --profile stored the key in the default item too")
	}
	var l auth.ProfileList
	r := env.Run(t, "profile", "list", "--json")
	if err := json.Unmarshal([]byte(r.Stdout), &l); err != nil || len(l.Profiles) != 2 || l.Profiles[1].Name != "acme" || len(l.Profiles[1].Bindings) != 1 || l.Profiles[1].Bindings[0] != dir {
		t.Fatalf("profile list after setup --profile: %s (%v)", r.Stdout, err)
	}
	// Without a daemon, status reads every profile itself.
	if st := statusOf(t, env); len(st.Profiles) != 2 || st.Profiles[1].Profile != "acme" || st.Profiles[1].Key.Fingerprint != auth.Fingerprint(k) || st.Profile != auth.DefaultProfile {
		t.Fatalf("status without a daemon: profile %q, %d profiles", st.Profile, len(st.Profiles))
	}
	// Without a daemon, `key` in the bound folder (the helper's in-process path) gives acme's key.
	kctx, kcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer kcancel()
	kc := env.Command(kctx, testenv.Binary(t), "key")
	kc.Dir = dir
	got, err := kc.Output()
	if err != nil || strings.TrimSpace(string(got)) != k {
		t.Fatalf("key in %s without a daemon: %s (%v)", dir, auth.Fingerprint(strings.TrimSpace(string(got))), err)
	}
}
