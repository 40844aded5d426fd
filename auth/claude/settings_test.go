package claude

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestSetAPIKeyHelperKeepsOtherBytes(t *testing.T) {
	const v = "/h/auth_helper.sh"
	tests := []struct {
		name, in, want string
	}{
		{
			name: "replace in the middle, pretty",
			in:   "{\n  \"model\": \"opus\",\n  \"apiKeyHelper\": \"/old/helper\",\n  \"zeta\": {\"x\": [1, 2]}\n}\n",
			want: "{\n  \"model\": \"opus\",\n  \"apiKeyHelper\": \"/h/auth_helper.sh\",\n  \"zeta\": {\"x\": [1, 2]}\n}\n",
		},
		{
			name: "replace a non-string value",
			in:   "{\"apiKeyHelper\": null, \"b\": 1}",
			want: "{\"apiKeyHelper\": \"/h/auth_helper.sh\", \"b\": 1}",
		},
		{
			name: "add after the last key, two spaces",
			in:   "{\n  \"model\": \"opus\",\n  \"permissions\": {\n    \"allow\": [\"Bash(ls)\"]\n  }\n}\n",
			want: "{\n  \"model\": \"opus\",\n  \"permissions\": {\n    \"allow\": [\"Bash(ls)\"]\n  },\n  \"apiKeyHelper\": \"/h/auth_helper.sh\"\n}\n",
		},
		{
			name: "add with tabs and no final newline",
			in:   "{\n\t\"a\": true\n}",
			want: "{\n\t\"a\": true,\n\t\"apiKeyHelper\": \"/h/auth_helper.sh\"\n}",
		},
		{
			name: "add, four spaces and a blank line before the first key",
			in:   "{\n\n    \"a\": 1\n}\n",
			want: "{\n\n    \"a\": 1,\n    \"apiKeyHelper\": \"/h/auth_helper.sh\"\n}\n",
		},
		{
			name: "add, compact one line",
			in:   `{"a":1,"b":"x"}`,
			want: `{"a":1,"b":"x","apiKeyHelper":"/h/auth_helper.sh"}`,
		},
		{
			name: "add, odd spacing copied from the first key",
			in:   "  { \"a\" :   1 ,\"b\":[ 1,2 ]  }  \n\n",
			want: "  { \"a\" :   1 ,\"b\":[ 1,2 ],\"apiKeyHelper\" :   \"/h/auth_helper.sh\"  }  \n\n",
		},
		{
			name: "replace, odd spacing kept",
			in:   "{\"apiKeyHelper\"   :\n\t\"x\"  ,  \"b\":2}",
			want: "{\"apiKeyHelper\"   :\n\t\"/h/auth_helper.sh\"  ,  \"b\":2}",
		},
		{
			name: "CRLF line ends",
			in:   "{\r\n  \"a\": 1\r\n}\r\n",
			want: "{\r\n  \"a\": 1,\r\n  \"apiKeyHelper\": \"/h/auth_helper.sh\"\r\n}\r\n",
		},
		{
			name: "empty object",
			in:   "{}\n",
			want: "{\n  \"apiKeyHelper\": \"/h/auth_helper.sh\"\n}\n",
		},
		{
			name: "empty object with spaces",
			in:   "{ \n }",
			want: "{\n  \"apiKeyHelper\": \"/h/auth_helper.sh\"\n}",
		},
		{
			name: "empty file",
			in:   "",
			want: "{\n  \"apiKeyHelper\": \"/h/auth_helper.sh\"\n}\n",
		},
		{
			name: "nested apiKeyHelper is not the top-level one",
			in:   "{\n  \"env\": {\"apiKeyHelper\": \"nested\"}\n}\n",
			want: "{\n  \"env\": {\"apiKeyHelper\": \"nested\"},\n  \"apiKeyHelper\": \"/h/auth_helper.sh\"\n}\n",
		},
		{
			name: "escapes, unicode and unknown keys untouched",
			in:   "{\"name\": \"caf\u00e9 \\u00e9 \\\"q\\\" <&>\", \"x\\u0041\": 1.50e+3}\n",
			want: "{\"name\": \"caf\u00e9 \\u00e9 \\\"q\\\" <&>\", \"x\\u0041\": 1.50e+3, \"apiKeyHelper\": \"/h/auth_helper.sh\"}\n",
		},
		{
			name: "byte order mark kept",
			in:   "\xEF\xBB\xBF{\"a\": 1}",
			want: "\xEF\xBB\xBF{\"a\": 1, \"apiKeyHelper\": \"/h/auth_helper.sh\"}",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "settings.json")
			if err := os.WriteFile(path, []byte(tc.in), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := setAPIKeyHelper(path, v); err != nil {
				t.Fatalf("setAPIKeyHelper: %v", err)
			}
			got := readFileT(t, path)
			if got != tc.want {
				t.Errorf("file after the edit:\n got %q\nwant %q", got, tc.want)
			}
			val, present, err := readAPIKeyHelper(path)
			if err != nil || !present || val != v {
				t.Errorf("readAPIKeyHelper = %q, %v, %v; want %q, true, nil", val, present, err, v)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
				t.Errorf("mode changed to %04o; an existing file keeps its mode", fi.Mode().Perm())
			}
		})
	}
}

func TestSetAPIKeyHelperValueNotHTMLEscaped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.json")
	val := `'/a b/<x>&"y"/auth_helper.sh'`
	if err := setAPIKeyHelper(path, val); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"apiKeyHelper\": \"'/a b/<x>&\\\"y\\\"/auth_helper.sh'\"\n}\n"
	if got := readFileT(t, path); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSetAPIKeyHelperCreatesFileAndFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", ".claude")
	path := filepath.Join(dir, "settings.json")
	if err := setAPIKeyHelper(path, "/x/auth_helper.sh"); err != nil {
		t.Fatal(err)
	}
	if got, want := readFileT(t, path), "{\n  \"apiKeyHelper\": \"/x/auth_helper.sh\"\n}\n"; got != want {
		t.Errorf("new file = %q, want %q", got, want)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, path, 0o600)
		assertMode(t, dir, 0o700)
	}
}

func TestSetAPIKeyHelperFollowsSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "dotfiles-settings.json")
	link := filepath.Join(dir, "settings.json")
	writeFileT(t, target, "{\"a\": 1}\n", 0o644)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := setAPIKeyHelper(link, "/h"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symbolic link was replaced by a file (err %v)", err)
	}
	if got := readFileT(t, target); got != "{\"a\": 1, \"apiKeyHelper\": \"/h\"}\n" {
		t.Errorf("link target = %q", got)
	}
}

func TestMalformedSettingsRefused(t *testing.T) {
	tests := []struct {
		name, in  string
		line, col int
	}{
		{"trailing comma", "{\n  \"a\": 1,\n}\n", 3, 1},
		{"comment", "{\n  // my settings\n  \"a\": 1\n}", 2, 3},
		{"missing comma", "{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3},
		{"cut short", "{\"a\": 1", 1, 8},
		{"bad literal after unicode", "{\"caf\u00e9\": tru}", 1, 13},
		{"array at the top", "\n  [1, 2]", 2, 3},
		{"string at the top", "\"apiKeyHelper\"", 1, 1},
		{"two values", "{\"a\":1}}", 1, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "settings.json")
			writeFileT(t, path, tc.in, 0o600)
			for _, op := range []struct {
				name string
				fn   func() error
			}{
				{"set", func() error { return setAPIKeyHelper(path, "/h") }},
				{"remove", func() error { return removeAPIKeyHelper(path) }},
				{"read", func() error { _, _, err := readAPIKeyHelper(path); return err }},
				{"wired", func() error { _, err := SettingsWired(path, "/h"); return err }},
			} {
				err := op.fn()
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("%s: err = %v, want a *SyntaxError", op.name, err)
				}
				if se.Path != path || se.Line != tc.line || se.Column != tc.col {
					t.Errorf("%s: error at %s %d:%d, want %s %d:%d (%v)", op.name, se.Path, se.Line, se.Column, path, tc.line, tc.col, err)
				}
				for _, want := range []string{path, "line ", "column "} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s: message %q does not mention %q", op.name, err, want)
					}
				}
				if got := readFileT(t, path); got != tc.in {
					t.Errorf("%s: the file changed to %q", op.name, got)
				}
			}
		})
	}
}

func TestRemoveAPIKeyHelper(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"first", "{\n  \"apiKeyHelper\": \"x\",\n  \"a\": 1\n}\n", "{\n  \"a\": 1\n}\n"},
		{"middle", "{\n  \"a\": 1,\n  \"apiKeyHelper\": \"x\",\n  \"b\": 2\n}\n", "{\n  \"a\": 1,\n  \"b\": 2\n}\n"},
		{"last", "{\n  \"a\": 1,\n  \"apiKeyHelper\": \"x\"\n}\n", "{\n  \"a\": 1\n}\n"},
		{"only", "{\n  \"apiKeyHelper\": \"x\"\n}\n", "{\n}\n"},
		{"compact", `{"a":1,"apiKeyHelper":"x","b":2}`, `{"a":1,"b":2}`},
		{"nested one stays", "{\"env\": {\"apiKeyHelper\": \"n\"}, \"apiKeyHelper\": \"x\"}", "{\"env\": {\"apiKeyHelper\": \"n\"}}"},
		{"absent", "{\n  \"a\":   1\n}", "{\n  \"a\":   1\n}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "settings.json")
			writeFileT(t, path, tc.in, 0o600)
			if err := removeAPIKeyHelper(path); err != nil {
				t.Fatal(err)
			}
			if got := readFileT(t, path); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if _, present, _ := readAPIKeyHelper(path); present {
				t.Error("apiKeyHelper still present")
			}
		})
	}
	t.Run("missing file is not created", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "settings.json")
		if err := removeAPIKeyHelper(path); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Stat after removing from a missing file: %v, want not exist", err)
		}
	})
}

func TestReadAPIKeyHelper(t *testing.T) {
	tests := []struct {
		name, in  string
		value     string
		present   bool
		wantError bool
	}{
		{"string", `{"apiKeyHelper": "/a b/h.sh"}`, "/a b/h.sh", true, false},
		{"escaped string", `{"apiKeyHelper": "\u002Fh"}`, "/h", true, false},
		{"null", `{"apiKeyHelper": null}`, "null", true, false},
		{"number", `{"apiKeyHelper": 12}`, "12", true, false},
		{"absent", `{"x": {"apiKeyHelper": "n"}}`, "", false, false},
		{"empty file", ``, "", false, false},
		{"twice", `{"apiKeyHelper": "a", "apiKeyHelper": "b"}`, "", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "settings.json")
			writeFileT(t, path, tc.in, 0o600)
			v, present, err := readAPIKeyHelper(path)
			if (err != nil) != tc.wantError || v != tc.value || present != tc.present {
				t.Errorf("= %q, %v, %v; want %q, %v, error %v", v, present, err, tc.value, tc.present, tc.wantError)
			}
		})
	}
	v, present, err := readAPIKeyHelper(filepath.Join(t.TempDir(), "missing.json"))
	if v != "" || present || err != nil {
		t.Errorf("missing file: %q, %v, %v; want empty, false, nil", v, present, err)
	}
}

func TestSettingsWired(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the values below are sh syntax")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	plain := "/opt/claude/auth_helper.sh"
	spaced := "/home/a b/it's/auth_helper.sh"
	underHome := filepath.Join(home, ".claude", "auth_helper.sh")
	tests := []struct {
		name, value, helper string
		want                bool
	}{
		{"plain path", plain, plain, true},
		{"plain path, spaces around", "  " + plain + " ", plain, true},
		{"single-quoted plain path", "'" + plain + "'", plain, true},
		{"unclean path", "/opt//claude/./auth_helper.sh", plain, true},
		{"single-quoted with spaces and a quote", `'/home/a b/it'\''s/auth_helper.sh'`, spaced, true},
		{"double-quoted", `"/home/a b/it's/auth_helper.sh"`, spaced, true},
		{"backslash escapes", `/home/a\ b/it\'s/auth_helper.sh`, spaced, true},
		{"our own quoting", HelperSettingValue(spaced), spaced, true},
		{"tilde", "~/.claude/auth_helper.sh", underHome, true},
		{"unquoted spaces split the word", "/home/a b/it's/auth_helper.sh", spaced, false},
		{"extra argument", plain + " --verbose", plain, false},
		{"another command", "/usr/bin/pass show claude", plain, false},
		{"variable", "$HOME/.claude/auth_helper.sh", underHome, false},
		{"pipeline", plain + " | cat", plain, false},
		{"other file", "/opt/claude/other.sh", plain, false},
		{"empty", "", plain, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "settings.json")
			if err := setAPIKeyHelper(path, tc.value); err != nil {
				t.Fatal(err)
			}
			got, err := SettingsWired(path, tc.helper)
			if err != nil || got != tc.want {
				t.Errorf("SettingsWired(%q) = %v, %v; want %v", tc.value, got, err, tc.want)
			}
		})
	}
	t.Run("non-string value", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "settings.json")
		writeFileT(t, path, `{"apiKeyHelper": ["/opt/claude/auth_helper.sh"]}`, 0o600)
		if got, err := SettingsWired(path, plain); got || err != nil {
			t.Errorf("= %v, %v; want false, nil", got, err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if got, err := SettingsWired(filepath.Join(t.TempDir(), "none.json"), plain); got || err != nil {
			t.Errorf("= %v, %v; want false, nil", got, err)
		}
	})
}

func TestHelperSettingValue(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("sh quoting")
	}
	tests := []struct{ path, want string }{
		{"/home/ann/.claude/auth_helper.sh", "/home/ann/.claude/auth_helper.sh"},
		{"/home/a b/.claude/auth_helper.sh", "'/home/a b/.claude/auth_helper.sh'"},
		{"/home/o'neil/.claude/auth_helper.sh", `'/home/o'\''neil/.claude/auth_helper.sh'`},
		{"/tmp/$x/`y`/auth_helper.sh", "'/tmp/$x/`y`/auth_helper.sh'"},
	}
	for _, tc := range tests {
		if got := HelperSettingValue(tc.path); got != tc.want {
			t.Errorf("HelperSettingValue(%q) = %q, want %q", tc.path, got, tc.want)
		}
		if w, ok := shWord(HelperSettingValue(tc.path)); !ok || w != tc.path {
			t.Errorf("shWord(HelperSettingValue(%q)) = %q, %v", tc.path, w, ok)
		}
	}
}

func readFileT(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFileT(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %04o, want %04o", path, got, want)
	}
}

// TestSetThenRemoveGivesBackTheBytes: removing the key that set added restores the document,
// so a one-key uninstall of an untouched file leaves no trace.
func TestSetThenRemoveGivesBackTheBytes(t *testing.T) {
	docs := []string{
		"{\n  \"model\": \"opus\",\n  \"permissions\": {\n    \"allow\": []\n  }\n}\n",
		"{\n\t\"a\": true\n}",
		`{"a":1,"b":"x"}`,
		"  { \"a\" :   1 ,\"b\":[ 1,2 ]  }  \n\n",
		"{\r\n  \"a\": 1\r\n}\r\n",
		"\xEF\xBB\xBF{\"a\": 1}",
		"{\"only\": {}}",
	}
	for _, doc := range docs {
		set, err := setHelperBytes("s.json", []byte(doc), `"/h"`)
		if err != nil {
			t.Fatalf("set on %q: %v", doc, err)
		}
		back, err := removeHelperBytes("s.json", set)
		if err != nil {
			t.Fatalf("remove on %q: %v", set, err)
		}
		if string(back) != doc {
			t.Errorf("set then remove: %q -> %q -> %q", doc, set, back)
		}
	}
}

// TestCmdQuote: the Windows apiKeyHelper value for awkward helper paths reads back as that path,
// and no % in it is one cmd would expand (cmd /s /c itself is run under wine by internal/wintest).
func TestCmdQuote(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{`C:\Users\me\.claude\auth_helper.cmd`, `C:\Users\me\.claude\auth_helper.cmd`},
		{`C:\Program Files (x86)\a & b\h.cmd`, `"C:\Program Files (x86)\a & b\h.cmd"`},
		{`C:\Users\José\%OS%\h.cmd`, `"C:\Users\José\"%"OS"%"\h.cmd"`},
		{`C:\x\100%\h.cmd`, `"C:\x\100"%"\h.cmd"`},
		{`C:\x\^!\h.cmd`, `"C:\x\^!\h.cmd"`},
	} {
		got := cmdQuote(tc.path)
		if got != tc.want {
			t.Errorf("cmdQuote(%q) = %q, want %q", tc.path, got, tc.want)
		}
		if w, ok := cmdWord(got); !ok || w != tc.path {
			t.Errorf("cmdWord(%q) = %q, %v; want %q", got, w, ok, tc.path)
		}
	}
	// A value cmd would expand or split is not taken for the helper.
	for _, v := range []string{`C:\%OS%\h.cmd`, `"C:\%OS%\h.cmd"`, `C:\a b\h.cmd`, `C:\a\h.cmd & calc`, `"C:\a\h.cmd`} {
		if w, ok := cmdWord(v); ok {
			t.Errorf("cmdWord(%q) = %q, true; want it refused", v, w)
		}
	}
}
