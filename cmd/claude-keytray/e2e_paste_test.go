//go:build linux

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/internal/testenv"
)

// pasteMistakes are the ways a key comes wrapped when it is copied: each wraps key, and said is
// what the line about it names.
var pasteMistakes = []struct {
	name string
	wrap func(key string) string
	said string
}{
	{"double quotes", func(k string) string { return `"` + k + `"` + "\n" }, "left out the quotes."},
	{"trailing quote", func(k string) string { return k + "'\n" }, "left out the quotes."},
	{"smart quotes", func(k string) string { return "“" + k + "”" }, "left out the quotes."},
	{"backticks", func(k string) string { return "`" + k + "`" }, "left out the quotes."},
	{"assignment", func(k string) string { return "ANTHROPIC_API_KEY=" + k + "\n" }, "left out the variable name ANTHROPIC_API_KEY."},
	{"export", func(k string) string { return `export ANTHROPIC_API_KEY="` + k + `"` + "\n" }, "left out the variable name ANTHROPIC_API_KEY and the quotes."},
	{"CLAUDE_API_KEY", func(k string) string { return "CLAUDE_API_KEY='" + k + "'" }, "left out the variable name CLAUDE_API_KEY and the quotes."},
	{"pasted twice", func(k string) string { return k + k + "\n" }, "left out the second copy of the key."},
	{"two lines of one key", func(k string) string { return k + "\n" + k + "\n" }, "left out the second copy of the key."},
}

// TestUpdateKeyPasteMistakesStdin: update-key takes the key out of each common paste mistake,
// says in one line what it left out, and the keychain holds exactly the key; two different keys
// are refused, named as such, and the old key stays.
func TestUpdateKeyPasteMistakesStdin(t *testing.T) {
	t.Parallel()
	keys := make([]string, len(pasteMistakes))
	for i := range keys {
		keys[i] = newKey(t)
	}
	env, _ := keychainEnv(t, keys...)
	for i, pm := range pasteMistakes {
		r := env.RunInput(t, pm.wrap(keys[i]), "update-key")
		wantExit(t, r, 0, "update-key with "+pm.name)
		if !strings.Contains(r.Stdout, "Cleaned up the key as pasted: "+pm.said) || !strings.Contains(r.Stdout, "Stored key "+auth.Fingerprint(keys[i])) {
			t.Errorf("%s: update-key said %q", pm.name, r.Stdout)
		}
		if strings.Contains(r.Stdout+r.Stderr, keys[i]) {
			t.Fatalf("%s: the output holds the key", pm.name)
		}
		if got, _ := env.SecretToolLookup(t); got != keys[i] {
			t.Fatalf("%s: the keychain holds %q, want %s", pm.name, auth.Fingerprint(got), auth.Fingerprint(keys[i]))
		}
	}
	last, other := keys[len(keys)-1], newKey(t)
	r := env.RunInput(t, "ANTHROPIC_API_KEY="+last+"\nANTHROPIC_API_KEY="+other+"\n", "update-key")
	want := "two different keys were pasted (" + auth.Fingerprint(last) + " and " + auth.Fingerprint(other) + ")"
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, want) || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 {
		t.Fatalf("two different keys: exit %d, stderr %q; want exit 1 saying %q", r.ExitCode, r.Stderr, want)
	}
	if got, _ := env.SecretToolLookup(t); got != last {
		t.Fatalf("after two different keys the keychain holds %q, want the old %s", auth.Fingerprint(got), auth.Fingerprint(last))
	}
}

// TestUpdateKeyPasteMistakeThroughDaemon: with a daemon running, the cleaned key reaches it
// over the control API and the daemon serves it at once.
func TestUpdateKeyPasteMistakeThroughDaemon(t *testing.T) {
	t.Parallel()
	w := newDaemonWorld(t)
	old, k := w.newKey(), w.newKey()
	w.api.SetAccepted(old, k)
	if r := w.run(old+"\n", "update-key"); r.ExitCode != 0 {
		t.Fatalf("update-key: exit %d: %s", r.ExitCode, r.Stderr)
	}
	w.startDaemon()
	r := w.run("export CLAUDE_API_KEY=‘"+k+"’;\n", "update-key")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "left out the variable name CLAUDE_API_KEY and the quotes.") {
		t.Fatalf("update-key through the daemon: exit %d, stdout %q, stderr %q", r.ExitCode, r.Stdout, r.Stderr)
	}
	w.wantStored(k, "a paste mistake through the daemon")
	w.wantKey(k, "after a paste mistake through the daemon")
	if st := w.status(); !st.Daemon.Running || st.Key.Fingerprint != auth.Fingerprint(k) {
		t.Fatalf("status: daemon %+v key %q", st.Daemon, st.Key.Fingerprint)
	}
}

// TestImportPasteMistakes: import takes the key out of a quoted variable and out of a key file
// written as an assignment, and says so.
func TestImportPasteMistakes(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	env, _ := keychainEnv(t, k1, k2)
	env.Set("CLAUDE_API_KEY", `"`+k1+`"`)
	r := env.Run(t, "import")
	wantExit(t, r, 0, "import from a quoted CLAUDE_API_KEY")
	if !strings.Contains(r.Stdout, "Cleaned up the key in CLAUDE_API_KEY: left out the quotes.") {
		t.Errorf("import said %q", r.Stdout)
	}
	if got, _ := env.SecretToolLookup(t); got != k1 {
		t.Fatalf("the keychain holds %q, want %s", auth.Fingerprint(got), auth.Fingerprint(k1))
	}
	env.Set("CLAUDE_API_KEY", "")
	env.WriteFile(t, ".claude/api_key", "export ANTHROPIC_API_KEY='"+k2+"'\n", 0o600)
	r = env.Run(t, "import", "--from", "file", "--remove-file")
	wantExit(t, r, 0, "import from a key file holding an assignment")
	if !strings.Contains(r.Stdout, "left out the variable name ANTHROPIC_API_KEY and the quotes.") || !strings.Contains(r.Stdout, "Removed the plaintext file") {
		t.Errorf("import said %q", r.Stdout)
	}
	if got, _ := env.SecretToolLookup(t); got != k2 {
		t.Fatalf("the keychain holds %q, want %s", auth.Fingerprint(got), auth.Fingerprint(k2))
	}
}

// TestUpdateKeyPasteMistakeAtPrompt: at the hidden prompt of a real terminal, a key pasted with
// its variable name and quotes is stored as the key, and the terminal shows neither.
func TestUpdateKeyPasteMistakeAtPrompt(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "script")
	k := newKey(t)
	env, _ := keychainEnv(t, k)
	term := atTerminal(t, env, time.Minute, "update-key")
	term.answer("input is hidden): ", "ANTHROPIC_API_KEY=\""+k+"\"")
	text, err := term.finish()
	if err != nil {
		t.Fatalf("update-key at a terminal: %v\n%s", err, text)
	}
	if strings.Contains(text, k) {
		t.Fatal("the terminal showed the key")
	}
	if !strings.Contains(text, "Cleaned up the key as pasted: left out the variable name ANTHROPIC_API_KEY and the quotes.") || !strings.Contains(text, "Stored key "+auth.Fingerprint(k)) {
		t.Errorf("update-key at a terminal said:\n%s", text)
	}
	if got, _ := env.SecretToolLookup(t); got != k {
		t.Fatalf("the keychain holds %q, want %s", auth.Fingerprint(got), auth.Fingerprint(k))
	}
}
