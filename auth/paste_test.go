package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestCleanPaste(t *testing.T) {
	k := testAPIKey
	const gw = "litellm-proxy-token-0123456789"
	for _, tc := range []struct {
		name, in string
		notes    []string
	}{
		{"plain", k, nil},
		{"newline and spaces", "  " + k + " \r\n", nil},
		{"nbsp and zero-width space from a web page", "\u00a0\u200b" + k + "\ufeff", nil},
		{"double quotes", `"` + k + `"`, []string{"the quotes"}},
		{"single quotes", `'` + k + `'`, []string{"the quotes"}},
		{"backticks", "`" + k + "`", []string{"the quotes"}},
		{"smart quotes", "“" + k + "”", []string{"the quotes"}},
		{"smart single quotes", "‘" + k + "’", []string{"the quotes"}},
		{"trailing quote", k + `"`, []string{"the quotes"}},
		{"leading quote", `'` + k, []string{"the quotes"}},
		{"ANTHROPIC_API_KEY=", "ANTHROPIC_API_KEY=" + k, []string{"the variable name ANTHROPIC_API_KEY"}},
		{"export with quotes", `export ANTHROPIC_API_KEY="` + k + `"`, []string{"the variable name ANTHROPIC_API_KEY", "the quotes"}},
		{"export with a semicolon", `export ANTHROPIC_API_KEY='` + k + `';`, []string{"the variable name ANTHROPIC_API_KEY", "the quotes"}},
		{"CLAUDE_API_KEY=", "CLAUDE_API_KEY=" + k + "\n", []string{"the variable name CLAUDE_API_KEY"}},
		{"spaces around =", "ANTHROPIC_API_KEY = " + k, []string{"the variable name ANTHROPIC_API_KEY"}},
		{"gateway token in a known variable", "ANTHROPIC_AUTH_TOKEN=" + gw, []string{"the variable name ANTHROPIC_AUTH_TOKEN"}},
		{"yaml", "ANTHROPIC_API_KEY: " + k, []string{"the variable name ANTHROPIC_API_KEY"}},
		{"json from settings", `"ANTHROPIC_API_KEY": "` + k + `",`, []string{"the variable name ANTHROPIC_API_KEY", "the quotes"}},
		{"fish set -gx", "set -gx ANTHROPIC_API_KEY " + k, []string{"the variable name ANTHROPIC_API_KEY"}},
		{"cmd set", "set ANTHROPIC_API_KEY=" + k, []string{"the variable name ANTHROPIC_API_KEY"}},
		{"powershell", `$env:ANTHROPIC_API_KEY = "` + k + `"`, []string{"the variable name ANTHROPIC_API_KEY", "the quotes"}},
		{"other variable holding an Anthropic key", "MY_CLAUDE_KEY=" + k, []string{"the variable name MY_CLAUDE_KEY"}},
		{"whole assignment quoted", `"ANTHROPIC_API_KEY=` + k + `"`, []string{"the variable name ANTHROPIC_API_KEY", "the quotes"}},
		{"pasted twice", k + k, []string{"the second copy of the key"}},
		{"pasted twice with a newline", k + "\n" + k + "\n", []string{"the second copy of the key"}},
		{"pasted twice with a space", k + " " + k, []string{"the second copy of the key"}},
		{"two assignment lines of one key", "ANTHROPIC_API_KEY=" + k + "\r\nANTHROPIC_API_KEY=" + k, []string{"the variable name ANTHROPIC_API_KEY", "the second copy of the key"}},
		{"gateway token", gw, nil},
		{"gateway token with = padding", "dGVzdHRva2VuMTIzNDU2Nzg5MA==", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, notes, err := CleanPaste(tc.in)
			if err != nil {
				t.Fatalf("CleanPaste: %v", err)
			}
			want := k
			if strings.Contains(tc.in, gw) {
				want = gw
			} else if !strings.Contains(tc.in, "sk-ant-") {
				want = tc.in
			}
			if got != want {
				t.Fatalf("CleanPaste gave %q, want %q", Fingerprint(got), Fingerprint(want))
			}
			if strings.Join(notes, "|") != strings.Join(tc.notes, "|") {
				t.Fatalf("notes %q, want %q", notes, tc.notes)
			}
			if _, err := ParseKey(got); err != nil {
				t.Fatalf("the cleaned key does not parse: %v", err)
			}
			s := PasteSummary("as pasted", notes)
			if (s == "") != (len(notes) == 0) || strings.Contains(s, k) || strings.Count(s, ". ") > 0 {
				t.Fatalf("summary %q", s)
			}
		})
	}
}

func TestCleanPasteRefuses(t *testing.T) {
	k := testAPIKey
	other := "sk-ant-api03-" + strings.Repeat("Z", 91) + "c3d4"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", " \n ", "the key is empty"},
		{"only quotes", `""`, "the key is empty"},
		{"only a variable", "ANTHROPIC_API_KEY=", "only the variable name ANTHROPIC_API_KEY was pasted"},
		{"two different keys on two lines", k + "\n" + other, "two different keys were pasted (sk-ant-api03-…a1b2 and sk-ant-api03-…c3d4)"},
		{"two different keys glued", k + other, "two different keys were pasted (sk-ant-api03-…a1b2 and sk-ant-api03-…c3d4)"},
		{"two assignments of different keys", "ANTHROPIC_API_KEY=" + k + "\nCLAUDE_API_KEY=" + other, "two different keys were pasted"},
		{"a label before the key", "my key is " + k, "whitespace or other text beside the key"},
		{"text glued in front", "key" + k + k, "other text glued to the front"},
		{"a key and a half", k + k[:40], "two different keys were pasted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := CleanPaste(tc.in)
			var ke *KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("CleanPaste gave %q, %v; want a *KeyError", Fingerprint(got), err)
			}
			if !strings.Contains(ke.Reason, tc.want) {
				t.Fatalf("reason %q, want it to say %q", ke.Reason, tc.want)
			}
			if strings.Contains(ke.Reason, k) || strings.Contains(ke.Reason, other) {
				t.Fatalf("the reason holds a key: %q", ke.Reason)
			}
		})
	}
}
