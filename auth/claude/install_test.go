package claude

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// instEnv is a private HOME, XDG folders and Claude folder for one install test, with a fake
// claude-keytray program (an sh script printing a marker) in a folder with awkward characters.
type instEnv struct {
	root string
	home string
	p    Files
	exe  string
}

// newInstEnv isolates the test from the real user's files. claudeDir, when set, becomes
// CLAUDE_CONFIG_DIR (relative to the test root).
func newInstEnv(t *testing.T, claudeDir string) instEnv {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("install tests use sh and Unix modes")
	}
	root := t.TempDir()
	e := instEnv{root: root, home: filepath.Join(root, "home")}
	if err := os.MkdirAll(e.home, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", e.home)
	for _, v := range []string{"XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CACHE_HOME"} {
		d := filepath.Join(root, strings.ToLower(v))
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv(v, d)
	}
	if claudeDir != "" {
		claudeDir = filepath.Join(root, claudeDir)
	}
	t.Setenv("CLAUDE_CONFIG_DIR", claudeDir)
	e.p = Locate(e.home, filepath.Join(root, "xdg_state_home", "claude-keytray"))
	e.exe = filepath.Join(root, "bin dir", "claude-keytray")
	writeFakeExe(t, e.exe, "FAKE-KEYTRAY", 0)
	return e
}

// snapshot describes every file and folder under dir: type, mode and content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == dir {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			out[rel] = "link -> " + target
		case fi.IsDir():
			out[rel] = fmt.Sprintf("dir %04o", fi.Mode().Perm())
		default:
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out[rel] = fmt.Sprintf("file %04o %q", fi.Mode().Perm(), b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertSameTree(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s is %q, want %q", what, k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s (%s)", what, k, v)
		}
	}
}

func changeList(r InstallResult) []string {
	var out []string
	for _, c := range r.Changes {
		out = append(out, c.Action+" "+c.Path)
	}
	return out
}

// settingsStart is a state of the Claude folder before install.
type settingsStart struct {
	name string
	// claudeDir is CLAUDE_CONFIG_DIR under the test root; "" means ~/.claude.
	claudeDir string
	// mkdir creates the Claude folder (mode dirMode) before install.
	mkdir   bool
	dirMode os.FileMode
	// settings, when not nil, is written to settings.json with mode fileMode.
	settings *string
	fileMode os.FileMode
	force    bool
}

func strp(s string) *string { return &s }

var settingsStarts = []settingsStart{
	{name: "no Claude folder"},
	{name: "nested CLAUDE_CONFIG_DIR, nothing exists", claudeDir: "cfg/a/b"},
	{name: "folder without settings", mkdir: true, dirMode: 0o755},
	{name: "pretty settings, unknown keys, mode 0644", mkdir: true, dirMode: 0o755, fileMode: 0o644,
		settings: strp("{\n  \"model\": \"opus\",\n  \"permissions\": {\n    \"allow\": [\"Bash(git status)\"],\n    \"deny\": []\n  },\n  \"x-unknown\": {\"nested\": [1, 2.50, null]}\n}\n")},
	{name: "compact settings, odd spacing, CRLF", mkdir: true, dirMode: 0o700, fileMode: 0o600,
		settings: strp("{ \"theme\" : \"dark\" ,\r\n\t\"env\":{\"FOO\":\"bar\"}}\r\n")},
	{name: "empty settings file", mkdir: true, dirMode: 0o700, fileMode: 0o600, settings: strp("")},
	{name: "empty object", mkdir: true, dirMode: 0o700, fileMode: 0o600, settings: strp("{}")},
	{name: "apiKeyHelper null", mkdir: true, dirMode: 0o700, fileMode: 0o600, settings: strp("{\n  \"apiKeyHelper\": null,\n  \"a\": 1\n}\n")},
	{name: "apiKeyHelper empty", mkdir: true, dirMode: 0o700, fileMode: 0o600, settings: strp("{\"apiKeyHelper\": \"\"}")},
	{name: "foreign apiKeyHelper, forced", mkdir: true, dirMode: 0o755, fileMode: 0o644, force: true,
		settings: strp("{\n  \"apiKeyHelper\": \"/usr/local/bin/vault-key --field api\",\n  \"model\": \"sonnet\"\n}\n")},
	{name: "spaces and quotes in CLAUDE_CONFIG_DIR", claudeDir: `Claude's "cfg" dir $x`, mkdir: true, dirMode: 0o700, fileMode: 0o600,
		settings: strp("{\n  \"model\": \"opus\"\n}\n")},
}

func (s settingsStart) setup(t *testing.T) instEnv {
	t.Helper()
	e := newInstEnv(t, s.claudeDir)
	if s.mkdir {
		if err := os.MkdirAll(e.p.Dir, s.dirMode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(e.p.Dir, s.dirMode); err != nil {
			t.Fatal(err)
		}
		writeFileT(t, filepath.Join(e.p.Dir, "projects", "keep.jsonl"), "{}\n", 0o600)
	}
	if s.settings != nil {
		writeFileT(t, e.p.Settings, *s.settings, s.fileMode)
	}
	return e
}

// TestInstallUninstallRoundTrip installs from each start, checks the result, installs again
// (nothing changes), uninstalls (the folder is as before, byte for byte) and uninstalls again.
func TestInstallUninstallRoundTrip(t *testing.T) {
	for _, s := range settingsStarts {
		t.Run(s.name, func(t *testing.T) {
			e := s.setup(t)
			before := snapshot(t, e.root)
			var original []byte
			if s.settings != nil {
				original = []byte(*s.settings)
			}

			res, err := Install(e.p, InstallOptions{Exe: e.exe, Force: s.force})
			if err != nil {
				t.Fatalf("Install: %v", err)
			}
			if len(res.Changes) == 0 {
				t.Fatal("Install reported no changes on a fresh start")
			}
			if st := CheckHelper(e.p.Helper, e.exe); !st.OK {
				t.Errorf("helper after install: %s", st.Problem)
			}
			if wired, err := SettingsWired(e.p.Settings, e.p.Helper); !wired || err != nil {
				t.Errorf("SettingsWired after install = %v, %v", wired, err)
			}
			assertMode(t, e.p.Helper, 0o700)
			assertMode(t, e.p.InstallRecord, 0o600)
			if s.settings == nil {
				assertMode(t, e.p.Settings, 0o600)
				want := "{\n  \"apiKeyHelper\": " + jsonString(HelperSettingValue(e.p.Helper)) + "\n}\n"
				if got := readFileT(t, e.p.Settings); got != want {
					t.Errorf("new settings = %q, want %q", got, want)
				}
			} else {
				assertMode(t, e.p.Settings, s.fileMode)
				after := []byte(readFileT(t, e.p.Settings))
				assertOnlyHelperChanged(t, original, after)
				backup := e.p.Settings + BackupSuffix
				if got := readFileT(t, backup); got != *s.settings {
					t.Errorf("backup %s = %q, want the original %q", backup, got, *s.settings)
				}
				assertMode(t, backup, 0o600)
			}
			if !s.mkdir {
				assertMode(t, e.p.Dir, 0o700)
			}
			rec := readRecordT(t, e.p.InstallRecord)
			if rec.SettingsExisted != (s.settings != nil) || rec.HelperPath != e.p.Helper || rec.SettingsPath != e.p.Settings {
				t.Errorf("record = %+v", rec)
			}
			if rec.SettingsSHA256 != sha256Hex([]byte(readFileT(t, e.p.Settings))) {
				t.Error("record hash is not the hash of the settings as written")
			}
			if s.settings != nil {
				prevRaw, prevPresent, _ := parseSettings("x", original)
				if rec.PreviousHelperPresent != prevPresent || rec.PreviousHelperJSON != prevRaw {
					t.Errorf("record previous = %v %q, want %v %q", rec.PreviousHelperPresent, rec.PreviousHelperJSON, prevPresent, prevRaw)
				}
			}

			installed := snapshot(t, e.root)
			res2, err := Install(e.p, InstallOptions{Exe: e.exe, Force: s.force})
			if err != nil || len(res2.Changes) != 0 {
				t.Errorf("second Install = %v, %v; want no changes", changeList(res2), err)
			}
			assertSameTree(t, "after a second install", snapshot(t, e.root), installed)

			dry, err := Uninstall(e.p, UninstallOptions{DryRun: true})
			if err != nil || len(dry.Changes) == 0 {
				t.Errorf("dry-run Uninstall = %v, %v", changeList(dry), err)
			}
			assertSameTree(t, "after a dry-run uninstall", snapshot(t, e.root), installed)

			un, err := Uninstall(e.p, UninstallOptions{})
			if err != nil {
				t.Fatalf("Uninstall: %v", err)
			}
			if !reflect.DeepEqual(changeList(un), changeList(dry)) {
				t.Errorf("uninstall did %v, the dry run said %v", changeList(un), changeList(dry))
			}
			// Only the app's own state folder (where the record was) may remain.
			got := snapshot(t, e.root)
			stateDir, _ := filepath.Rel(e.root, filepath.Dir(e.p.InstallRecord))
			if got[stateDir] != "" {
				delete(got, stateDir)
			}
			assertSameTree(t, "after uninstall", got, before)

			un2, err := Uninstall(e.p, UninstallOptions{})
			if err != nil || len(un2.Changes) != 0 {
				t.Errorf("second Uninstall = %v, %v; want no changes", changeList(un2), err)
			}
		})
	}
}

// assertOnlyHelperChanged checks that after differs from before only where apiKeyHelper is:
// the bytes before and after the edit are the same, and after parses to before plus the key.
func assertOnlyHelperChanged(t *testing.T, before, after []byte) {
	t.Helper()
	p := 0
	for p < len(before) && p < len(after) && before[p] == after[p] {
		p++
	}
	s := 0
	for s < len(before)-p && s < len(after)-p && before[len(before)-1-s] == after[len(after)-1-s] {
		s++
	}
	gone := string(before[p : len(before)-s])
	oldRaw, oldPresent, err := parseSettings("before", before)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(gone) != "" && !(oldPresent && strings.Contains(oldRaw, gone)) && strings.TrimSpace(string(before)) != "" {
		t.Errorf("bytes outside apiKeyHelper changed: %q was replaced by %q", gone, after[p:len(after)-s])
	}
	var b, a map[string]any
	if len(bytes.TrimSpace(before)) > 0 {
		if err := json.Unmarshal(before, &b); err != nil {
			t.Fatal(err)
		}
	} else {
		b = map[string]any{}
	}
	if err := json.Unmarshal(after, &a); err != nil {
		t.Fatalf("settings after install are not JSON: %v", err)
	}
	delete(a, "apiKeyHelper")
	delete(b, "apiKeyHelper")
	if !reflect.DeepEqual(a, b) {
		t.Errorf("other settings changed:\n got %v\nwant %v", a, b)
	}
}

func readRecordT(t *testing.T, path string) installRecord {
	t.Helper()
	var rec installRecord
	if err := json.Unmarshal([]byte(readFileT(t, path)), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestInstallDryRunWritesNothing checks that a dry run touches no file and announces the
// same changes the real install then makes.
func TestInstallDryRunWritesNothing(t *testing.T) {
	for _, s := range settingsStarts {
		t.Run(s.name, func(t *testing.T) {
			e := s.setup(t)
			before := snapshot(t, e.root)
			dry, err := Install(e.p, InstallOptions{Exe: e.exe, Force: s.force, DryRun: true})
			if err != nil {
				t.Fatalf("dry-run Install: %v", err)
			}
			assertSameTree(t, "after a dry-run install", snapshot(t, e.root), before)
			real, err := Install(e.p, InstallOptions{Exe: e.exe, Force: s.force})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(changeList(dry), changeList(real)) {
				t.Errorf("the dry run said %v, install did %v", changeList(dry), changeList(real))
			}
		})
	}
}

func TestInstallRefusesMalformedSettings(t *testing.T) {
	e := newInstEnv(t, "")
	bad := "{\n  \"model\": \"opus\",\n  \"apiKeyHelper\": \"/x\"\n  \"theme\": \"dark\"\n}\n"
	writeFileT(t, e.p.Settings, bad, 0o644)
	before := snapshot(t, e.root)
	for _, dry := range []bool{true, false} {
		_, err := Install(e.p, InstallOptions{Exe: e.exe, Force: true, DryRun: dry})
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != 4 || se.Column != 3 || se.Path != e.p.Settings {
			t.Fatalf("Install(dry run %v) err = %v, want a syntax error at line 4, column 3 of %s", dry, err, e.p.Settings)
		}
		assertSameTree(t, "after a refused install", snapshot(t, e.root), before)
	}
}

func TestInstallForeignHelper(t *testing.T) {
	const secret = "sk-ant-api03-LEAKLEAKLEAKLEAKLEAKLEAKLEAKLEAKLEAK0001"
	tests := []struct {
		name, value, mention string
		// keyed: the old command holds a key, which no file of ours may keep and uninstall
		// must not write back.
		keyed bool
	}{
		{"another program", "/usr/local/bin/vault-key --field api", "/usr/local/bin/vault-key --field api", false},
		{"a key in the command", "echo " + secret, "echo sk-ant-api03-…0001", true},
		{"our helper elsewhere", "/somewhere/else/auth_helper.sh", "/somewhere/else/auth_helper.sh", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newInstEnv(t, "")
			original := "{\n  \"apiKeyHelper\": " + jsonString(tc.value) + ",\n  \"model\": \"opus\"\n}\n"
			writeFileT(t, e.p.Settings, original, 0o600)
			before := snapshot(t, e.root)

			_, err := Install(e.p, InstallOptions{Exe: e.exe})
			if err == nil {
				t.Fatal("Install replaced a foreign apiKeyHelper without --force")
			}
			for _, want := range []string{e.p.Settings, tc.mention, "--force"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows a key: %q", err)
			}
			assertSameTree(t, "after the refusal", snapshot(t, e.root), before)

			if _, err := Install(e.p, InstallOptions{Exe: e.exe, Force: true}); err != nil {
				t.Fatalf("Install --force: %v", err)
			}
			if wired, _ := SettingsWired(e.p.Settings, e.p.Helper); !wired {
				t.Error("not wired after --force")
			}
			wantBackup, wantBack := original, original
			if tc.keyed {
				wantBackup = strings.Replace(original, secret, "sk-ant-api03-…0001", 1)
				wantBack = "{\n  \"model\": \"opus\"\n}\n"
			}
			if got := readFileT(t, e.p.Settings+BackupSuffix); got != wantBackup {
				t.Errorf("backup = %q, want %q", got, wantBackup)
			}
			if strings.Contains(readFileT(t, e.p.InstallRecord), secret) {
				t.Error("the install record holds the key from the old command")
			}
			if _, err := Uninstall(e.p, UninstallOptions{}); err != nil {
				t.Fatal(err)
			}
			if got := readFileT(t, e.p.Settings); got != wantBack {
				t.Errorf("after uninstall settings = %q, want %q", got, wantBack)
			}

			// Again, with an edit in between: only the old command comes back.
			if _, err := Install(e.p, InstallOptions{Exe: e.exe, Force: true}); err != nil {
				t.Fatal(err)
			}
			edited := strings.Replace(readFileT(t, e.p.Settings), "\"opus\"", "\"haiku\"", 1)
			writeFileT(t, e.p.Settings, edited, 0o600)
			if _, err := Uninstall(e.p, UninstallOptions{}); err != nil {
				t.Fatal(err)
			}
			if got, want := readFileT(t, e.p.Settings), strings.Replace(wantBack, "\"opus\"", "\"haiku\"", 1); got != want {
				t.Errorf("after edit and uninstall settings = %q, want %q", got, want)
			}
		})
	}
}

// TestUninstallKeepsUserEdits edits the settings after install in different ways; uninstall must
// undo only its own key and keep the rest.
func TestUninstallKeepsUserEdits(t *testing.T) {
	const foreign = "/usr/local/bin/vault-key"
	tests := []struct {
		name     string
		original *string
		force    bool
		// edit changes the installed settings text.
		edit func(t *testing.T, e instEnv, installed string) string
		// want is the expected settings after uninstall; nil means "no file".
		want        func(e instEnv) *string
		wantActions []string
	}{
		{
			name:     "key added by the user, helper was absent",
			original: strp("{\n  \"model\": \"opus\"\n}\n"),
			edit: func(t *testing.T, e instEnv, s string) string {
				return strings.Replace(s, "\"model\": \"opus\"", "\"model\": \"opus\",\n  \"theme\": \"dark\"", 1)
			},
			want:        func(instEnv) *string { return strp("{\n  \"model\": \"opus\",\n  \"theme\": \"dark\"\n}\n") },
			wantActions: []string{"wrote", "kept", "removed", "removed"},
		},
		{
			name:     "key added by the user, foreign helper was there",
			original: strp("{\n  \"apiKeyHelper\": \"" + foreign + "\",\n  \"model\": \"opus\"\n}\n"),
			force:    true,
			edit: func(t *testing.T, e instEnv, s string) string {
				return strings.Replace(s, "\"opus\"", "\"sonnet\"", 1)
			},
			want: func(instEnv) *string {
				return strp("{\n  \"apiKeyHelper\": \"" + foreign + "\",\n  \"model\": \"sonnet\"\n}\n")
			},
			wantActions: []string{"wrote", "kept", "removed", "removed"},
		},
		{
			name:     "settings created by install, then edited",
			original: nil,
			edit: func(t *testing.T, e instEnv, s string) string {
				return strings.Replace(s, "{\n", "{\n  \"theme\": \"light\",\n", 1)
			},
			want:        func(instEnv) *string { return strp("{\n  \"theme\": \"light\"\n}\n") },
			wantActions: []string{"wrote", "removed", "removed"},
		},
		{
			name:     "user pointed apiKeyHelper elsewhere",
			original: strp("{\"model\": \"opus\"}\n"),
			edit: func(t *testing.T, e instEnv, s string) string {
				return "{\"model\": \"opus\", \"apiKeyHelper\": \"/my/own\"}\n"
			},
			want:        func(instEnv) *string { return strp("{\"model\": \"opus\", \"apiKeyHelper\": \"/my/own\"}\n") },
			wantActions: []string{"kept", "removed", "removed"},
		},
		{
			name:     "user deleted the settings",
			original: strp("{\"model\": \"opus\"}\n"),
			edit:     func(t *testing.T, e instEnv, s string) string { return "\x00delete" },
			want:     func(instEnv) *string { return nil },
			// The backup stays: it is the user's only copy now.
			wantActions: []string{"kept", "removed", "removed"},
		},
		{
			name:     "backup lost, settings unchanged",
			original: strp("{\n  \"model\": \"opus\"\n}\n"),
			edit: func(t *testing.T, e instEnv, s string) string {
				if err := os.Remove(e.p.Settings + BackupSuffix); err != nil {
					t.Fatal(err)
				}
				return s
			},
			want:        func(instEnv) *string { return strp("{\n  \"model\": \"opus\"\n}\n") },
			wantActions: []string{"wrote", "removed", "removed"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newInstEnv(t, "")
			if tc.original != nil {
				writeFileT(t, e.p.Settings, *tc.original, 0o600)
			}
			if _, err := Install(e.p, InstallOptions{Exe: e.exe, Force: tc.force}); err != nil {
				t.Fatal(err)
			}
			edited := tc.edit(t, e, readFileT(t, e.p.Settings))
			if edited == "\x00delete" {
				if err := os.Remove(e.p.Settings); err != nil {
					t.Fatal(err)
				}
			} else {
				writeFileT(t, e.p.Settings, edited, 0o600)
			}
			res, err := Uninstall(e.p, UninstallOptions{})
			if err != nil {
				t.Fatalf("Uninstall: %v", err)
			}
			var actions []string
			for _, c := range res.Changes {
				actions = append(actions, c.Action)
			}
			if !reflect.DeepEqual(actions, tc.wantActions) {
				t.Errorf("uninstall did %v, want actions %v", changeList(res), tc.wantActions)
			}
			want := tc.want(e)
			b, err := os.ReadFile(e.p.Settings)
			switch {
			case want == nil && err == nil:
				t.Errorf("settings exist after uninstall: %q", b)
			case want != nil && string(b) != *want:
				t.Errorf("settings after uninstall = %q (%v), want %q", b, err, *want)
			}
			if fileExists(e.p.Helper) || fileExists(e.p.InstallRecord) {
				t.Error("helper or record left behind")
			}
			if res, err := Uninstall(e.p, UninstallOptions{}); err != nil || len(res.Changes) != 0 {
				t.Errorf("second Uninstall = %v, %v", changeList(res), err)
			}
		})
	}
}

func TestUninstallWithoutRecord(t *testing.T) {
	tests := []struct {
		name         string
		settings     func(e instEnv) string
		helper       func(e instEnv) string
		wantSettings func(e instEnv) string
		helperGone   bool
	}{
		{
			name: "wired by hand with a plain path",
			settings: func(e instEnv) string {
				return "{\n  \"model\": \"opus\",\n  \"apiKeyHelper\": " + jsonString(e.p.Helper) + "\n}\n"
			},
			helper:       func(e instEnv) string { return "#!/bin/sh\nexec /usr/bin/claude-keytray key\n" },
			wantSettings: func(e instEnv) string { return "{\n  \"model\": \"opus\"\n}\n" },
			helperGone:   true,
		},
		{
			name:         "wired with ~/",
			settings:     func(e instEnv) string { return `{"apiKeyHelper": "~/.claude/auth_helper.sh", "a": 1}` },
			helper:       func(e instEnv) string { return "#!/bin/sh\nexec /old/claude-keytray key\n" },
			wantSettings: func(e instEnv) string { return `{"a": 1}` },
			helperGone:   true,
		},
		{
			name:         "our helper, settings not wired",
			settings:     func(e instEnv) string { return `{"apiKeyHelper": "/other/cmd"}` },
			helper:       func(e instEnv) string { return string(HelperScript("/old/claude-keytray")) },
			wantSettings: func(e instEnv) string { return `{"apiKeyHelper": "/other/cmd"}` },
			helperGone:   true,
		},
		{
			name:         "someone's own script, not wired",
			settings:     func(e instEnv) string { return `{"model": "opus"}` },
			helper:       func(e instEnv) string { return "#!/bin/sh\npass show claude\n" },
			wantSettings: func(e instEnv) string { return `{"model": "opus"}` },
			helperGone:   false,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newInstEnv(t, "")
			writeFileT(t, e.p.Settings, tc.settings(e), 0o644)
			writeFileT(t, e.p.Helper, tc.helper(e), 0o700)
			if _, err := Uninstall(e.p, UninstallOptions{}); err != nil {
				t.Fatal(err)
			}
			if got, want := readFileT(t, e.p.Settings), tc.wantSettings(e); got != want {
				t.Errorf("settings = %q, want %q", got, want)
			}
			if fileExists(e.p.Helper) == tc.helperGone {
				t.Errorf("helper present = %v, want %v", fileExists(e.p.Helper), !tc.helperGone)
			}
			if res, err := Uninstall(e.p, UninstallOptions{}); err != nil || len(res.Changes) != 0 {
				t.Errorf("second Uninstall = %v, %v", changeList(res), err)
			}
		})
	}
}

func TestInstallRewritesStaleHelperOnly(t *testing.T) {
	e := newInstEnv(t, "")
	if _, err := Install(e.p, InstallOptions{Exe: e.exe}); err != nil {
		t.Fatal(err)
	}
	settings := readFileT(t, e.p.Settings)
	record := readFileT(t, e.p.InstallRecord)
	moved := filepath.Join(e.root, "new place", "claude-keytray")
	writeFakeExe(t, moved, "MOVED", 0)
	res, err := Install(e.p, InstallOptions{Exe: moved})
	if err != nil {
		t.Fatal(err)
	}
	if got := changeList(res); !reflect.DeepEqual(got, []string{"wrote " + e.p.Helper}) {
		t.Errorf("changes = %v, want only the helper", got)
	}
	if readFileT(t, e.p.Settings) != settings || readFileT(t, e.p.InstallRecord) != record {
		t.Error("settings or record changed")
	}
	out, err := exec.Command("/bin/sh", "-c", HelperSettingValue(e.p.Helper)).Output()
	if err != nil || string(out) != "MOVED args:key\n" {
		t.Errorf("helper printed %q, %v", out, err)
	}
}

// TestInstalledHelperRunsThroughSh runs the apiKeyHelper value exactly as written into the
// settings through /bin/sh, with spaces, quotes and $ in the Claude folder and program paths.
func TestInstalledHelperRunsThroughSh(t *testing.T) {
	for _, dir := range []string{`it's "my" claude $HOME`, "plain-claude", "a b\tc"} {
		t.Run(dir, func(t *testing.T) {
			e := newInstEnv(t, dir)
			exe := filepath.Join(e.root, `prog's "bin" $PATH dir`, "claude-keytray")
			writeFakeExe(t, exe, "MARKER-7f3a", 0)
			if _, err := Install(e.p, InstallOptions{Exe: exe}); err != nil {
				t.Fatal(err)
			}
			value, present, err := readAPIKeyHelper(e.p.Settings)
			if err != nil || !present {
				t.Fatalf("apiKeyHelper: %q, %v, %v", value, present, err)
			}
			out, err := exec.Command("/bin/sh", "-c", value).Output()
			if err != nil {
				t.Fatalf("sh -c %q: %v", value, err)
			}
			if string(out) != "MARKER-7f3a args:key\n" {
				t.Errorf("sh -c %q printed %q", value, out)
			}
		})
	}
}

func TestInstallWritesNoKey(t *testing.T) {
	const secret = "sk-ant-api03-NOKEYNOKEYNOKEYNOKEYNOKEYNOKEYNOKEY9999"
	e := newInstEnv(t, "")
	t.Setenv("ANTHROPIC_API_KEY", secret)
	t.Setenv("CLAUDE_API_KEY", secret)
	if _, err := Install(e.p, InstallOptions{Exe: e.exe}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for path, desc := range snapshot(t, e.root) {
		n++
		if strings.Contains(desc, secret) || strings.Contains(desc, "NOKEYNOKEY") {
			t.Errorf("%s holds the key", path)
		}
	}
	if n < 4 {
		t.Errorf("only %d paths written", n)
	}
}

func TestInstallRefusesDamagedRecord(t *testing.T) {
	e := newInstEnv(t, "")
	writeFileT(t, e.p.InstallRecord, "{not json", 0o600)
	for _, run := range []func() error{
		func() error { _, err := Install(e.p, InstallOptions{Exe: e.exe}); return err },
		func() error { _, err := Uninstall(e.p, UninstallOptions{}); return err },
	} {
		err := run()
		if err == nil || !strings.Contains(err.Error(), e.p.InstallRecord) || !strings.Contains(err.Error(), "move it away") {
			t.Errorf("err = %v, want one naming the record and what to do", err)
		}
	}
	if fileExists(e.p.Helper) || fileExists(e.p.Settings) {
		t.Error("something was written despite the damaged record")
	}
}

func TestInstallKeepsOtherBackups(t *testing.T) {
	e := newInstEnv(t, "")
	writeFileT(t, e.p.Settings, "{\"a\": 1}\n", 0o600)
	writeFileT(t, e.p.Settings+BackupSuffix, "someone's older backup\n", 0o600)
	res, err := Install(e.p, InstallOptions{Exe: e.exe})
	if err != nil {
		t.Fatal(err)
	}
	second := e.p.Settings + BackupSuffix + ".2"
	if !reflect.DeepEqual(res.Changes[1], Change{Path: second, Action: "backed up to", Detail: "copy of settings.json before the edit"}) {
		t.Errorf("changes = %v", changeList(res))
	}
	if readFileT(t, e.p.Settings+BackupSuffix) != "someone's older backup\n" || readFileT(t, second) != "{\"a\": 1}\n" {
		t.Error("backups mixed up")
	}
	if _, err := Uninstall(e.p, UninstallOptions{}); err != nil {
		t.Fatal(err)
	}
	if readFileT(t, e.p.Settings) != "{\"a\": 1}\n" || fileExists(second) || !fileExists(e.p.Settings+BackupSuffix) {
		t.Error("uninstall did not restore and clean up only its own backup")
	}
}

func TestSettingsSymlinkKeptThroughInstall(t *testing.T) {
	e := newInstEnv(t, "")
	target := filepath.Join(e.root, "dotfiles", "claude-settings.json")
	writeFileT(t, target, "{\"model\": \"opus\"}\n", 0o644)
	installThroughLink(t, e, target)
	uninstallKeepsLink(t, e)
	if got := readFileT(t, target); got != "{\"model\": \"opus\"}\n" {
		t.Errorf("target after uninstall = %q", got)
	}
}

// installThroughLink makes settings.json a link to target (a dotfiles manager's) and installs:
// the link stays and its target gets apiKeyHelper.
func installThroughLink(t *testing.T, e instEnv, target string) {
	t.Helper()
	if err := os.MkdirAll(e.p.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, e.p.Settings); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(e.p, InstallOptions{Exe: e.exe}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(e.p.Settings); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatal("settings.json is no longer a symbolic link")
	}
	if wired, _ := SettingsWired(target, e.p.Helper); !wired {
		t.Error("the link target was not edited")
	}
}

// uninstallKeepsLink uninstalls and expects settings.json to be the link it was.
func uninstallKeepsLink(t *testing.T, e instEnv) {
	t.Helper()
	if _, err := Uninstall(e.p, UninstallOptions{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(e.p.Settings); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Error("uninstall replaced the symbolic link")
	}
}
