package claude

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// trickyDirNames are folder names that break naive shell quoting.
var trickyDirNames = []string{
	"plain",
	"with space",
	"it's quoted",
	`double "quotes"`,
	"$HOME and `cmd` and \\back",
	"semi;colon & amp | pipe * star",
	"-leading-dash",
}

func TestHelperScriptShape(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the sh script is for Unix")
	}
	for _, name := range trickyDirNames {
		t.Run(name, func(t *testing.T) {
			exe := "/opt/" + name + "/claude-keytray"
			s := string(HelperScript(exe))
			lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
			if len(lines) != 3 || lines[0] != "#!/bin/sh" || !strings.HasPrefix(lines[1], "# ") || !strings.HasPrefix(lines[2], "exec '") || !strings.HasSuffix(lines[2], "' key") {
				t.Fatalf("script is not shebang, comment, exec line:\n%s", s)
			}
			// The exec line must be one quoted word that sh reads back as exe.
			w, ok := shWord(strings.TrimSuffix(strings.TrimPrefix(lines[2], "exec "), " key"))
			if !ok || w != exe {
				t.Errorf("exec word reads back as %q (%v), want %q", w, ok, exe)
			}
		})
	}
}

func TestHelperScriptWindows(t *testing.T) {
	got := string(helperScriptCmd(`C:\Program Files\claude-keytray\100%\claude-keytray.exe`))
	want := "@rem " + helperMarker + ": prints the key from the OS keychain; holds no secret. Rewritten by \"claude-keytray install\".\r\n" +
		`@"C:\Program Files\claude-keytray\100%%\claude-keytray.exe" key` + "\r\n"
	if got != want {
		t.Errorf("cmd script:\n got %q\nwant %q", got, want)
	}
}

// TestHelperRunsExe writes the helper for a fake claude-keytray in awkward folders, runs it the
// way Claude Code does (the settings value through /bin/sh -c) and checks the fake's output,
// arguments and exit code come through.
func TestHelperRunsExe(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("runs /bin/sh")
	}
	for i, name := range trickyDirNames {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			exe := filepath.Join(root, "bin "+name, "claude-keytray")
			writeFakeExe(t, exe, "MARKER-"+string(rune('a'+i)), 0)
			helper := filepath.Join(root, "claude "+name, HelperFileName)
			if err := WriteHelper(helper, exe); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("/bin/sh", "-c", HelperSettingValue(helper)).Output()
			if err != nil {
				t.Fatalf("running the helper through sh: %v", err)
			}
			if want := "MARKER-" + string(rune('a'+i)) + " args:key\n"; string(out) != want {
				t.Errorf("helper printed %q, want %q", out, want)
			}
		})
	}
	t.Run("exit code passes through", func(t *testing.T) {
		root := t.TempDir()
		exe := filepath.Join(root, "it's here", "claude-keytray")
		writeFakeExe(t, exe, "NOKEY", 2)
		helper := filepath.Join(root, HelperFileName)
		if err := WriteHelper(helper, exe); err != nil {
			t.Fatal(err)
		}
		err := exec.Command(helper).Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("helper exit = %v, want exit status 2 from the program", err)
		}
	})
}

func TestWriteHelper(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	t.Run("creates folder 0700 and file 0700", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new", ".claude")
		path := filepath.Join(dir, HelperFileName)
		if err := WriteHelper(path, "/usr/bin/claude-keytray"); err != nil {
			t.Fatal(err)
		}
		assertMode(t, path, 0o700)
		assertMode(t, dir, 0o700)
		if st := CheckHelper(path, "/usr/bin/claude-keytray"); !st.OK {
			t.Errorf("CheckHelper after WriteHelper: %s", st.Problem)
		}
	})
	t.Run("replaces a loose file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), HelperFileName)
		writeFileT(t, path, "#!/bin/sh\necho sk-ant-api03-old\n", 0o666)
		if err := WriteHelper(path, "/usr/bin/claude-keytray"); err != nil {
			t.Fatal(err)
		}
		assertMode(t, path, 0o700)
		if got := readFileT(t, path); got != string(HelperScript("/usr/bin/claude-keytray")) {
			t.Errorf("content = %q", got)
		}
	})
	t.Run("refuses a relative program path", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), HelperFileName)
		err := WriteHelper(path, "claude-keytray")
		if err == nil || !strings.Contains(err.Error(), "not absolute") {
			t.Errorf("err = %v, want a not-absolute error", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a helper was written anyway")
		}
	})
}

func TestHelperHoldsNoKey(t *testing.T) {
	const secret = "sk-ant-api03-SECRETSECRETSECRETSECRETSECRETSECRET0000"
	t.Setenv("ANTHROPIC_API_KEY", secret)
	t.Setenv("CLAUDE_API_KEY", secret)
	path := filepath.Join(t.TempDir(), HelperFileName)
	if err := WriteHelper(path, "/usr/local/bin/claude-keytray"); err != nil {
		t.Fatal(err)
	}
	b := []byte(readFileT(t, path))
	if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte("sk-ant")) {
		t.Errorf("the helper holds a key:\n%s", b)
	}
	if !bytes.Contains(b, []byte("/usr/local/bin/claude-keytray")) {
		t.Errorf("the helper does not run the program:\n%s", b)
	}
}

func TestCheckHelper(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	const exe = "/usr/bin/claude-keytray"
	good := string(HelperScript(exe))
	tests := []struct {
		name    string
		setup   func(t *testing.T, path string)
		checkOn string // exe given to CheckHelper; default exe
		ok      bool
		problem []string
	}{
		{"good", func(t *testing.T, p string) { writeFileT(t, p, good, 0o700) }, "", true, nil},
		{"good, owner only read and run", func(t *testing.T, p string) { writeFileT(t, p, good, 0o500) }, "", true, nil},
		{"missing", func(t *testing.T, p string) {}, "", false, []string{"missing", "claude-keytray install"}},
		{"group-writable", func(t *testing.T, p string) { writeFileT(t, p, good, 0o770) }, "", false, []string{"writable by group or others", "0770", "chmod 700"}},
		{"world-writable", func(t *testing.T, p string) { writeFileT(t, p, good, 0o702) }, "", false, []string{"writable by group or others", "0702"}},
		{"not executable", func(t *testing.T, p string) { writeFileT(t, p, good, 0o600) }, "", false, []string{"not executable", "0600", "chmod 700"}},
		{"runs another copy", func(t *testing.T, p string) { writeFileT(t, p, string(HelperScript("/old/claude-keytray")), 0o700) }, "", false, []string{"another copy", exe, "claude-keytray install"}},
		{"someone else's script", func(t *testing.T, p string) { writeFileT(t, p, "#!/bin/sh\ncat ~/.claude/api_key\n", 0o700) }, "", false, []string{"not written by claude-keytray"}},
		{"content not checked without exe", func(t *testing.T, p string) { writeFileT(t, p, "#!/bin/sh\n", 0o700) }, "-", true, nil},
		{"symbolic link", func(t *testing.T, p string) {
			target := p + ".real"
			writeFileT(t, target, good, 0o700)
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
		}, "", false, []string{"symbolic link"}},
		{"a folder", func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "", false, []string{"not a regular file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), HelperFileName)
			tc.setup(t, path)
			e := exe
			if tc.checkOn == "-" {
				e = ""
			}
			st := CheckHelper(path, e)
			if st.OK != tc.ok || st.Path != path {
				t.Fatalf("CheckHelper = %+v, want OK=%v", st, tc.ok)
			}
			if tc.ok && st.Problem != "" {
				t.Errorf("OK with a problem: %q", st.Problem)
			}
			for _, want := range tc.problem {
				if !strings.Contains(st.Problem, want) {
					t.Errorf("problem %q does not mention %q", st.Problem, want)
				}
			}
			if !tc.ok && !strings.Contains(st.Problem, path) {
				t.Errorf("problem %q does not name the path", st.Problem)
			}
		})
	}
}

// writeFakeExe writes an sh script standing in for claude-keytray: it prints marker and its
// arguments, then exits with code.
func writeFakeExe(t *testing.T, path, marker string, code int) {
	t.Helper()
	script := "#!/bin/sh\necho \"" + marker + " args:$*\"\nexit " + string(rune('0'+code)) + "\n"
	writeFileT(t, path, script, 0o755)
}
