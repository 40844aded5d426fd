package auth

import (
	"os"
	"strings"
	"testing"
)

func TestSourceKey(t *testing.T) {
	k := "sk-ant-api03-" + strings.Repeat("k", 90) + "0007"
	cases := []struct {
		out, want, err string
	}{
		{k + "\n", k + "\n", ""},
		{"gw-token-1234\n", "gw-token-1234\n", ""},
		{`"` + k + `"` + "\n", k, ""},
		{`{"api_key":"` + k + `"}`, k, ""},
		{`{"user":"me","ttl":3600,"ApiKey":"` + k + `"}`, k, ""},
		{`{"SecretString":"{\"api_key\":\"` + k + `\"}"}`, k, ""},
		{"null\n", "", "what jq prints"},
		{"None\n", "", "aws --query"},
		{`"null"`, "", "what jq prints"},
		{"<html><head><title>502</title></head></html>", "", "HTML"},
		{`{"api_key":"` + k + `","token":"x"}`, "", "several fields that could be the key (api_key, token)"},
		{`{"api_key":null,"n":1}`, "", "api_key field is null"},
		{`{"data":{"api_key":"x"},"lease_id":""}`, "", ""},
		{`{"data":{"api_key":"x"},"n":2}`, "", "no field that holds the key (fields: data, n)"},
		{`{"api_key":`, "", "not valid JSON"},
	}
	for _, c := range cases {
		got, err := sourceKey(c.out)
		switch {
		case c.err == "" && c.want == "" && err == nil:
			// A lone string field that is empty is taken as written; ParseKey refuses it next.
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("sourceKey(%q) = %q, %v; want %q", c.out, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("sourceKey(%q) = %q, %v; want an error containing %q", c.out, got, err, c.err)
		}
		if err != nil && strings.Contains(err.Error(), k) {
			t.Errorf("sourceKey(%q): the error holds the key: %v", c.out, err)
		}
	}
}

func TestConfigKeyPattern(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/config.json"
	for _, c := range []struct{ json, err string }{
		{`{"key_pattern": "litellm-[A-Za-z0-9]{20,}"}`, ""},
		{`{"key_pattern": "litellm-[A-Z"}`, "key_pattern in " + path + " is not a valid regular expression"},
	} {
		if err := os.WriteFile(path, []byte(c.json), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if c.err == "" {
			// Matched as a whole: a pattern never half-matches what a source printed.
			if err != nil || !cfg.KeyPatternMatches("litellm-abcdefghij0123456789") || cfg.KeyPatternMatches("xlitellm-abcdefghij0123456789") {
				t.Fatalf("%s: %v", c.json, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Fatalf("%s: err %v, want %q", c.json, err, c.err)
		}
	}
}
