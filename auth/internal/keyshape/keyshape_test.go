package keyshape

import (
	"strings"
	"testing"
)

func TestMaskFindsKeysInText(t *testing.T) {
	key := PrefixAPI + strings.Repeat("x", 91) + "a1b2"
	cases := map[string]string{
		"unknown command \"" + key + "\"":   "unknown command \"sk-ant-api03-…a1b2\"",
		"helper: echo " + key:               "helper: echo sk-ant-api03-…a1b2",
		"already masked sk-ant-api03-…a1b2": "already masked sk-ant-api03-…a1b2",
		"no key here":                       "no key here",
	}
	for in, want := range cases {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEnvVarsIncludeClaudeCodes(t *testing.T) {
	for _, v := range ClaudeEnvVars {
		found := false
		for _, w := range EnvVars {
			found = found || v == w
		}
		if !found {
			t.Errorf("%s is read by Claude Code but missing from EnvVars", v)
		}
	}
}
