package claude

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const plainSecret = "sk-ant-api03-PLAINPLAINPLAINPLAINPLAINPLAINPLAIN0042"

// assertNoSecret fails when any file under root holds secret.
func assertNoSecret(t *testing.T, root, secret, when string) {
	t.Helper()
	for path, desc := range snapshot(t, root) {
		if strings.Contains(desc, secret) {
			t.Errorf("%s: %s holds the key in plain text", when, path)
		}
	}
}

// A key in the settings' env: the backup install keeps has it replaced by its fingerprint, a
// key the caller moved into the keychain leaves the settings, and uninstall writes no key back.
func TestInstallKeepsNoPlaintextKey(t *testing.T) {
	e := newInstEnv(t, "")
	original := "{\n  \"env\": {\n    \"ANTHROPIC_API_KEY\": \"" + plainSecret + "\",\n    \"FOO\": \"bar\"\n  },\n  \"model\": \"opus\"\n}\n"
	writeFileT(t, e.p.Settings, original, 0o600)

	found, err := FindPlaintextKeys(e.p.Settings)
	if err != nil || len(found) != 1 || found[0].Where != "env.ANTHROPIC_API_KEY" || found[0].Secret != plainSecret {
		t.Fatalf("FindPlaintextKeys = %+v, %v", found, err)
	}
	if strings.Contains(found[0].String(), plainSecret) {
		t.Fatalf("the finding's text shows the key: %s", found[0])
	}

	// Not moved: the settings keep the user's key (doctor fails on it), our backup does not.
	if _, err := Install(e.p, InstallOptions{Exe: e.exe}); err != nil {
		t.Fatal(err)
	}
	backup := readFileT(t, e.p.Settings+BackupSuffix)
	if strings.Contains(backup, plainSecret) || !strings.Contains(backup, "sk-ant-api03-…0042") || !strings.Contains(backup, `"FOO": "bar"`) {
		t.Errorf("backup = %q, want the settings with the key as its fingerprint", backup)
	}
	if got := BackupsWithKeys(e.p.Settings); len(got) != 0 {
		t.Errorf("BackupsWithKeys = %v after install", got)
	}

	// Moved into the keychain by the caller: the env entry goes, nothing else changes.
	res, err := Install(e.p, InstallOptions{Exe: e.exe, Moved: []string{plainSecret}})
	if err != nil {
		t.Fatal(err)
	}
	settings := readFileT(t, e.p.Settings)
	if strings.Contains(settings, plainSecret) || !strings.Contains(settings, `"FOO": "bar"`) || !strings.Contains(settings, `"model": "opus"`) {
		t.Errorf("settings after the move = %q", settings)
	}
	if wired, _ := SettingsWired(e.p.Settings, e.p.Helper); !wired {
		t.Error("not wired after the move")
	}
	if len(res.Changes) == 0 || !strings.Contains(res.Changes[len(res.Changes)-1].String(), "env.ANTHROPIC_API_KEY") {
		t.Errorf("changes %v do not say the key left the settings", res.Changes)
	}
	assertNoSecret(t, e.root, plainSecret, "after the move")

	if _, err := Uninstall(e.p, UninstallOptions{}); err != nil {
		t.Fatal(err)
	}
	after := readFileT(t, e.p.Settings)
	if strings.Contains(after, "apiKeyHelper") || strings.Contains(after, "sk-ant-api03-…") || !strings.Contains(after, `"FOO": "bar"`) {
		t.Errorf("after uninstall settings = %q: want no helper, no fingerprint written back, the rest kept", after)
	}
	assertNoSecret(t, e.root, plainSecret, "after uninstall")
}

// A backup an older version kept with the key in it is rewritten without it by the next install.
func TestInstallScrubsAnOldBackup(t *testing.T) {
	e := newInstEnv(t, "")
	original := "{\"apiKeyHelper\": \"echo " + plainSecret + "\"}\n"
	writeFileT(t, e.p.Settings, original, 0o600)
	if _, err := Install(e.p, InstallOptions{Exe: e.exe, Force: true}); err != nil {
		t.Fatal(err)
	}
	// What an older version left: the backup with the key, the record pointing at it.
	writeFileT(t, e.p.Settings+BackupSuffix, original, 0o600)
	if got := BackupsWithKeys(e.p.Settings); len(got) != 1 {
		t.Fatalf("BackupsWithKeys = %v, want the planted backup", got)
	}
	if _, err := Install(e.p, InstallOptions{Exe: e.exe}); err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, e.root, plainSecret, "after the second install")
	if _, err := Uninstall(e.p, UninstallOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := readFileT(t, e.p.Settings); strings.Contains(got, "echo") {
		t.Errorf("uninstall wrote the key-printing helper back: %q", got)
	}
}

// Two Claude folders: each install keeps its own record, so uninstalling one puts back the
// apiKeyHelper it replaced there, whatever was installed into the other since.
func TestInstallRecordPerClaudeFolder(t *testing.T) {
	e := newInstEnv(t, "corp-claude")
	stateDir := filepath.Dir(e.p.InstallRecord)
	corp := e.p
	home := FilesIn(e.home, filepath.Join(e.home, ".claude"), stateDir)
	const corporate = "/opt/corp/bin/key-helper"
	writeFileT(t, corp.Settings, "{\"apiKeyHelper\": \""+corporate+"\"}\n", 0o600)
	if corp.InstallRecord == home.InstallRecord {
		t.Fatalf("both folders share the record %s", corp.InstallRecord)
	}
	if _, err := Install(corp, InstallOptions{Exe: e.exe, Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(home, InstallOptions{Exe: e.exe}); err != nil {
		t.Fatal(err)
	}
	if !fileExists(corp.InstallRecord) || !fileExists(home.InstallRecord) {
		t.Fatal("a record is missing")
	}
	if _, err := Uninstall(corp, UninstallOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := readAPIKeyHelper(corp.Settings); got != corporate {
		t.Errorf("the corporate helper came back as %q", got)
	}
	if wired, _ := SettingsWired(home.Settings, home.Helper); !wired || !fileExists(home.InstallRecord) {
		t.Error("uninstalling one folder touched the other")
	}
}

// An install.json of an older version that belongs to another folder is neither used nor
// removed by this folder's uninstall.
func TestLegacyRecordOfAnotherFolderIsLeftAlone(t *testing.T) {
	e := newInstEnv(t, "")
	other := FilesIn(e.home, filepath.Join(e.root, "other"), filepath.Dir(e.p.InstallRecord))
	if _, err := Install(other, InstallOptions{Exe: e.exe}); err != nil {
		t.Fatal(err)
	}
	legacy := filepath.Join(filepath.Dir(e.p.InstallRecord), legacyRecordName)
	if err := os.Rename(other.InstallRecord, legacy); err != nil {
		t.Fatal(err)
	}
	if got := recordFor(other, other.Settings); got != legacy {
		t.Fatalf("the other folder's legacy record is not found: %s", got)
	}
	if _, err := Install(e.p, InstallOptions{Exe: e.exe}); err == nil {
		// The default folder's record is install.json too: it must not be taken as its own.
		if wired, _ := SettingsWired(e.p.Settings, e.p.Helper); !wired {
			t.Error("the default folder was not wired")
		}
	}
	if _, err := Uninstall(other, UninstallOptions{}); err != nil {
		t.Fatal(err)
	}
	if wired, _ := SettingsWired(other.Settings, other.Helper); wired {
		t.Error("the other folder is still wired after its uninstall")
	}
}

// A dangling link (dotfiles not checked out yet) gets its target created through it, and
// uninstall removes that target and keeps the link.
func TestInstallThroughDanglingLink(t *testing.T) {
	e := newInstEnv(t, "")
	dotfiles := filepath.Join(e.root, "dotfiles")
	if err := os.MkdirAll(dotfiles, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dotfiles, "claude.json")
	installThroughLink(t, e, target)
	uninstallKeepsLink(t, e)
	if fileExists(target) {
		t.Error("uninstall left the target it created")
	}

	// A link whose target's folder does not exist yet: refused before anything is written.
	e2 := newInstEnv(t, "")
	if err := os.MkdirAll(e2.p.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(e2.root, "not-checked-out", "claude.json"), e2.p.Settings); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e2.root)
	_, err := Install(e2.p, InstallOptions{Exe: e2.exe})
	if err == nil || !strings.Contains(err.Error(), "dotfiles") {
		t.Fatalf("install through a link into a missing folder: %v", err)
	}
	assertSameTree(t, "after the refusal", snapshot(t, e2.root), before)
}

// A settings file the user made read-only is left alone, with what to do.
func TestInstallRespectsReadOnlySettings(t *testing.T) {
	e := newInstEnv(t, "")
	writeFileT(t, e.p.Settings, "{\"model\": \"opus\"}\n", 0o444)
	before := snapshot(t, e.root)
	_, err := Install(e.p, InstallOptions{Exe: e.exe})
	if err == nil || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), "chmod u+w") {
		t.Fatalf("install over a 0444 settings file: %v", err)
	}
	assertSameTree(t, "after the refusal", snapshot(t, e.root), before)
}
