//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// newKey is a fresh random Console-shaped key.
func newKey(t testing.TB) string { return testenv.NewKey(t) }

// keychainEnv is a test's private world with a real, unlocked Secret Service and a loopback
// fake of the API accepting the given keys.
func keychainEnv(t *testing.T, accepted ...string) (*testenv.Env, *testenv.FakeAPI) {
	t.Helper()
	testenv.Require(t, "dbus-daemon", "gnome-keyring-daemon", "secret-tool")
	env := testenv.New(t)
	env.StartBus(t)
	env.StartKeyring(t)
	api := testenv.NewFakeAPI(t, accepted...)
	env.UseFakeAPI(api)
	return env, api
}

func statusOf(t *testing.T, env *testenv.Env) auth.Status {
	t.Helper()
	r := env.Run(t, "status", "--json")
	var st auth.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("status --json: %v\nstdout: %s\nstderr: %s", err, r.Stdout, r.Stderr)
	}
	return st
}

func wantExit(t *testing.T, r testenv.Result, code int, what string) {
	t.Helper()
	if r.ExitCode != code {
		t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, r.ExitCode, code, r.Stdout, r.Stderr)
	}
}

func TestKeychainStoreAndRead(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, _ := keychainEnv(t, k)
	wantExit(t, env.Run(t, "install", "--no-autostart"), 0, "install --no-autostart")
	r := env.RunInput(t, k+"\n", "update-key")
	wantExit(t, r, 0, "update-key")
	if strings.Contains(r.Stdout+r.Stderr, k) {
		t.Fatal("update-key printed the key")
	}
	if !strings.Contains(r.Stdout, auth.Fingerprint(k)) || !strings.Contains(r.Stdout, "accepts") {
		t.Fatalf("update-key output: %s", r.Stdout)
	}
	if got, ok := env.SecretToolLookup(t); !ok || got != k {
		t.Fatalf("secret-tool lookup gives %q, want the stored key", auth.Fingerprint(got))
	}
	r = env.Run(t, "key")
	wantExit(t, r, 0, "key")
	if r.Stdout != k+"\n" || r.Stderr != "" {
		t.Fatalf("key printed %q (stderr %q)", auth.Fingerprint(r.Stdout), r.Stderr)
	}
	st := statusOf(t, env)
	if st.State != auth.StateOK || st.Key.Fingerprint != auth.Fingerprint(k) || st.Key.Source != "keychain" || st.Validation.HTTPStatus != 200 {
		t.Fatalf("status: %+v", st)
	}
}

func TestKeyExitCodes(t *testing.T) {
	t.Parallel()
	t.Run("no key stored", func(t *testing.T) {
		t.Parallel()
		env, _ := keychainEnv(t)
		r := env.Run(t, "key")
		wantExit(t, r, 2, "key with an empty keychain")
		if r.Stdout != "" || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || !strings.Contains(r.Stderr, "update-key") {
			t.Fatalf("want one line on stderr saying what to do, got stdout %q stderr %q", r.Stdout, r.Stderr)
		}
	})
	t.Run("no Secret Service on the bus", func(t *testing.T) {
		t.Parallel()
		testenv.Require(t, "dbus-daemon")
		env := testenv.New(t)
		env.StartBus(t) // a bus, but no keyring daemon on it and none activatable
		r := env.Run(t, "key")
		wantExit(t, r, 3, "key without a Secret Service")
		if r.Duration > 5*time.Second {
			t.Fatalf("took %v; the keychain timeout is 3 s", r.Duration)
		}
		if r.Stdout != "" || !strings.Contains(r.Stderr, "keychain cannot be reached") {
			t.Fatalf("stdout %q stderr %q", r.Stdout, r.Stderr)
		}
	})
	t.Run("no session bus at all", func(t *testing.T) {
		t.Parallel()
		env := testenv.New(t)
		env.Set("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(env.Dir, "no-such-bus"))
		r := env.Run(t, "key")
		wantExit(t, r, 3, "key without a bus")
		if r.Duration > 5*time.Second {
			t.Fatalf("took %v", r.Duration)
		}
	})
}

func TestBadKeysRefusedOldKept(t *testing.T) {
	t.Parallel()
	old, rejected := newKey(t), newKey(t)
	env, _ := keychainEnv(t, old)
	wantExit(t, env.RunInput(t, old, "update-key"), 0, "storing the first key")
	for _, tc := range []struct {
		name, in, says string
		code           int
	}{
		{"empty", "", "empty", 1},
		{"inner whitespace", "sk-ant-api03-abc def", "whitespace", 1},
		{"two keys", old + "\n" + rejected + "\n", "two different keys were pasted", 1},
		{"control character", "sk-ant-api03-abc\x1bdef", "control character", 1},
		{"non-ASCII", "sk-ant-api03-abcdéf", "non-ASCII", 1},
		{"too long", strings.Repeat("x", 16385), "16384", 1},
		{"admin key", "sk-ant-admin01-" + strings.Repeat("a", 80), "Admin API key", 1},
		{"OAuth token", "sk-ant-oat01-" + strings.Repeat("a", 80), "CLAUDE_CODE_OAUTH_TOKEN", 1},
		{"rejected by the API", rejected, "rejected", 5},
	} {
		r := env.RunInput(t, tc.in, "update-key")
		if r.ExitCode != tc.code || !strings.Contains(r.Stderr, tc.says) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d saying %q", tc.name, r.ExitCode, r.Stderr, tc.code, tc.says)
		}
		if strings.Contains(r.Stdout+r.Stderr, rejected) {
			t.Errorf("%s: the output holds the key", tc.name)
		}
		if got, _ := env.SecretToolLookup(t); got != old {
			t.Fatalf("%s: the keychain now holds %q, want the old key", tc.name, auth.Fingerprint(got))
		}
	}
	// The key is never taken from argv.
	r := env.Run(t, "update-key", rejected)
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "never read from the command line") {
		t.Fatalf("update-key with an argument: exit %d, %q", r.ExitCode, r.Stderr)
	}
}

func TestUpdateKeyUnverifiable(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, api := keychainEnv(t, k)
	wantExit(t, env.Run(t, "install", "--no-autostart"), 0, "install --no-autostart")
	api.ForceStatus(529)
	r := env.RunInput(t, k, "update-key")
	wantExit(t, r, 0, "update-key while the API is overloaded")
	if !strings.Contains(r.Stdout, "unverified") {
		t.Fatalf("no warning: %s", r.Stdout)
	}
	if st := statusOf(t, env); st.State != auth.StateUnverified || st.Validation.Result != auth.ResultUnknown {
		t.Fatalf("state %s, validation %s", st.State, st.Validation.Result)
	}
	r = env.RunInput(t, newKey(t), "update-key", "--no-verify")
	wantExit(t, r, 0, "update-key --no-verify")
	if st := statusOf(t, env); st.Validation.Result != auth.ResultSkipped {
		t.Fatalf("validation %s after --no-verify", st.Validation.Result)
	}
}

func TestImport(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, _ := keychainEnv(t, k)
	file := env.WriteFile(t, ".claude/api_key", k+"\n", 0o600)
	r := env.Run(t, "import", "--remove-file")
	wantExit(t, r, 0, "import --remove-file")
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("the plaintext file is still there: %v", err)
	}
	if got, _ := env.SecretToolLookup(t); got != k {
		t.Fatal("the keychain does not hold the imported key")
	}

	// A key the API rejects is not imported and the file stays.
	bad := newKey(t)
	env.WriteFile(t, ".claude/api_key", bad, 0o600)
	r = env.Run(t, "import", "--from", "file", "--remove-file")
	wantExit(t, r, 5, "importing a rejected key")
	if _, err := os.Stat(file); err != nil {
		t.Fatal("the file of a refused import was removed")
	}
	os.Remove(file)

	k2 := newKey(t)
	env.Set("ANTHROPIC_API_KEY", k2)
	r = env.Run(t, "import", "--no-verify")
	wantExit(t, r, 0, "import from ANTHROPIC_API_KEY")
	if got, _ := env.SecretToolLookup(t); got != k2 || !strings.Contains(r.Stdout, "overrides apiKeyHelper") {
		t.Fatalf("import from the environment: %s", r.Stdout)
	}
}

// The settings cases run the real binary against files in a private HOME.
func TestInstallSettings(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, _ := keychainEnv(t, k)
	bin := testenv.Binary(t)
	settings := filepath.Join(env.ClaudeDir(), "settings.json")
	helper := filepath.Join(env.ClaudeDir(), "auth_helper.sh")

	// Missing folder and file: both created.
	r := env.Run(t, "install", "--no-autostart")
	wantExit(t, r, 0, "install into an empty HOME")
	var doc map[string]any
	b, _ := os.ReadFile(settings)
	if err := json.Unmarshal(b, &doc); err != nil || doc["apiKeyHelper"] != helper {
		t.Fatalf("settings.json: %s (%v)", b, err)
	}
	wantExit(t, env.Run(t, "uninstall"), 0, "uninstall")
	if _, err := os.Stat(settings); !os.IsNotExist(err) {
		t.Fatal("uninstall left the settings.json it created")
	}

	// Formatting, key order and unknown keys are kept; uninstall restores every byte.
	orig := "{\n    \"model\":   \"opus\",\n\t\"zzz_unknown\": {\"nested\": [1, 2,3]},\n  \"env\": {\"FOO\": \"bar\"}\n}\n"
	env.WriteFile(t, settings, orig, 0o644)
	wantExit(t, env.Run(t, "install", "--no-autostart"), 0, "install over a formatted file")
	b, _ = os.ReadFile(settings)
	for _, kept := range []string{"\"model\":   \"opus\"", "\t\"zzz_unknown\": {\"nested\": [1, 2,3]}", "\"env\": {\"FOO\": \"bar\"}"} {
		if !strings.Contains(string(b), kept) {
			t.Fatalf("install changed %q:\n%s", kept, b)
		}
	}
	r = env.Run(t, "install", "--no-autostart")
	wantExit(t, r, 0, "second install")
	if !strings.Contains(r.Stdout, "Nothing to change") {
		t.Fatalf("second install changed something: %s", r.Stdout)
	}
	wantExit(t, env.Run(t, "uninstall"), 0, "uninstall")
	if b, _ := os.ReadFile(settings); string(b) != orig {
		t.Fatalf("uninstall did not restore the file byte for byte:\n%q\nwant\n%q", b, orig)
	}
	if _, err := os.Stat(helper); !os.IsNotExist(err) {
		t.Fatal("uninstall left the helper")
	}

	// Malformed JSON: refused with line and column, file untouched.
	bad := "{\n  \"model\": \"opus\",\n  \"apiKeyHelper\" \"x\"\n}\n"
	env.WriteFile(t, settings, bad, 0o644)
	r = env.Run(t, "install", "--no-autostart")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "line 3") {
		t.Fatalf("malformed settings: exit %d, %q", r.ExitCode, r.Stderr)
	}
	if b, _ := os.ReadFile(settings); string(b) != bad {
		t.Fatal("a malformed settings.json was changed")
	}

	// A foreign helper is refused unless --force, and uninstall brings it back.
	foreign := "{\"apiKeyHelper\": \"~/bin/get-key.sh\"}\n"
	env.WriteFile(t, settings, foreign, 0o644)
	r = env.Run(t, "install", "--no-autostart")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "~/bin/get-key.sh") || !strings.Contains(r.Stderr, "--force") {
		t.Fatalf("foreign helper: exit %d, %q", r.ExitCode, r.Stderr)
	}
	wantExit(t, env.Run(t, "install", "--no-autostart", "--force"), 0, "install --force")
	wantExit(t, env.Run(t, "uninstall"), 0, "uninstall after --force")
	if b, _ := os.ReadFile(settings); string(b) != foreign {
		t.Fatalf("uninstall did not bring the foreign helper back: %s", b)
	}

	// The helper holds no key and runs this binary's `key`.
	wantExit(t, env.RunInput(t, k, "update-key"), 0, "update-key")
	wantExit(t, env.Run(t, "install", "--no-autostart", "--force"), 0, "install")
	hb, _ := os.ReadFile(helper)
	fi, _ := os.Stat(helper)
	if strings.Contains(string(hb), k) || !strings.Contains(string(hb), bin) || fi.Mode().Perm() != 0o700 {
		t.Fatalf("helper (mode %v):\n%s", fi.Mode(), hb)
	}
	r = env.Exec(t, "", "sh", "-c", helper)
	if r.ExitCode != 0 || r.Stdout != k+"\n" {
		t.Fatalf("running the helper as Claude Code does: exit %d, stderr %q", r.ExitCode, r.Stderr)
	}
}

func TestConflictsAndDoctor(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env, _ := keychainEnv(t, k)
	wantExit(t, env.RunInput(t, k, "update-key"), 0, "update-key")
	wantExit(t, env.Run(t, "install", "--no-autostart"), 0, "install")
	r := env.Run(t, "doctor", "--json")
	var rep auth.DoctorReport
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("doctor --json: %v: %s", err, r.Stdout)
	}
	for _, c := range rep.Checks {
		if c.Status == auth.CheckFail {
			t.Errorf("doctor fails %s: %s", c.Name, c.Detail)
		}
	}
	wantExit(t, r, 0, "doctor on a good install")

	env.Set("ANTHROPIC_API_KEY", newKey(t))
	env.WriteFile(t, ".claude/api_key", k, 0o600)
	st := statusOf(t, env)
	if len(st.ClaudeSettings.Conflicts) != 1 || !strings.Contains(st.ClaudeSettings.Conflicts[0], "ANTHROPIC_API_KEY") {
		t.Fatalf("conflicts: %q", st.ClaudeSettings.Conflicts)
	}
	r = env.Run(t, "doctor")
	if r.ExitCode != 1 || !strings.Contains(r.Stdout, "ANTHROPIC_API_KEY") || !strings.Contains(r.Stdout, "plaintext key file") || strings.Contains(r.Stdout, k) {
		t.Fatalf("doctor with a conflict and a plaintext file: exit %d\n%s", r.ExitCode, r.Stdout)
	}
}

func TestFileStoreWhenAsked(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	env := testenv.New(t)
	api := testenv.NewFakeAPI(t, k)
	env.UseFakeAPI(api)
	wantExit(t, env.RunInput(t, k, "--store", "file", "update-key"), 0, "update-key --store file")
	fi, err := os.Stat(filepath.Join(env.Home(), ".claude", "api_key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file store: %v %v", fi, err)
	}
	r := env.Run(t, "--store", "file", "status")
	if !strings.Contains(r.Stdout, "plaintext file") {
		t.Fatalf("status does not say the key is in a plaintext file:\n%s", r.Stdout)
	}
}

// The whole flow with the real Claude Code CLI: the key it sends is the one in the keychain.
func TestClaudeCodeUsesTheKeychainKey(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "claude")
	k := newKey(t)
	env, api := keychainEnv(t, k)
	wantExit(t, env.RunInput(t, k, "update-key"), 0, "update-key")
	wantExit(t, env.Run(t, "install", "--no-autostart"), 0, "install --no-autostart")
	r := env.Claude(t, "-p", "say hi")
	wantExit(t, r, 0, "claude -p")
	if !strings.Contains(r.Stdout, testenv.FakeReply) {
		t.Fatalf("claude -p printed %q", r.Stdout)
	}
	var sawMessages bool
	for _, req := range api.Requests() {
		if req.Path == "/v1/messages" {
			sawMessages = true
			if req.Key != k {
				t.Fatalf("the API saw %q, want the stored key", auth.Fingerprint(req.Key))
			}
		}
	}
	if !sawMessages {
		t.Fatal("claude never called /v1/messages")
	}
	assertNoKeyUnder(t, env.Home(), k)
	assertNoKeyUnder(t, env.Get("XDG_STATE_HOME"), k)
	assertNoKeyUnder(t, env.Get("XDG_CONFIG_HOME"), k)
}

// assertNoKeyUnder fails when any file below dir holds the key.
func assertNoKeyUnder(t *testing.T, dir, key string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), key) {
			return fmt.Errorf("%s holds the key", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
