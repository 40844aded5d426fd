package auth

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

func TestSourceKey(t *testing.T) {
	k := key(7)
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

// While the API cannot be asked (529), only key-shaped output replaces the stored key; a
// gateway token needs key_pattern then. When the API answers, it decides.
func TestSourceGarbageDuringOutageKeepsKey(t *testing.T) {
	ctx := context.Background()
	store := &memStore{secret: key(1)}
	chk := &fakeChecker{}
	chk.accept(key(1))
	var cur atomic.Value
	cur.Store(key(1))
	e, _ := newTestEngine(t, store, chk, funcSource{func() (string, error) { return cur.Load().(string), nil }})
	e.Refresh(ctx, RefreshRequest{Reason: "first", User: true})
	chk.setStatus(529)
	for _, out := range []string{"null", "None", "<html><body>Bad</body></html>", "gw-token-0123456789abcdef"} {
		cur.Store(out + "\n")
		st := e.Refresh(ctx, RefreshRequest{Reason: "timer"})
		if store.get() != key(1) || st.Key.Fingerprint != Fingerprint(key(1)) || st.Refresh.LastError == "" {
			t.Fatalf("%q: stored %s, serving %s, last_error %q", out, Fingerprint(store.get()), st.Key.Fingerprint, st.Refresh.LastError)
		}
	}
	if st := e.Status(); !strings.Contains(st.Refresh.LastError, "key_pattern") {
		t.Fatalf("the gateway token's refusal does not name key_pattern: %q", st.Refresh.LastError)
	}
	// A whole Console key, bare or in a JSON document, is stored as unverified.
	cur.Store(`{"api_key":"` + key(2) + `"}`)
	if st := e.Refresh(ctx, RefreshRequest{Reason: "timer"}); store.get() != key(2) || st.State != StateUnverified {
		t.Fatalf("JSON key: stored %s, state %s, last_error %q", Fingerprint(store.get()), st.State, st.Refresh.LastError)
	}
	// key_pattern lets a gateway token through during the outage.
	e.opts.Config.KeyPattern = `gw-token-[0-9a-f]{16}`
	cur.Store("gw-token-0123456789abcdef")
	if e.Refresh(ctx, RefreshRequest{Reason: "timer"}); store.get() != "gw-token-0123456789abcdef" {
		t.Fatalf("a token matching key_pattern was not stored: %s", Fingerprint(store.get()))
	}
	// With the API up, an accepted gateway token needs no pattern.
	e.opts.Config.KeyPattern = ""
	chk.setStatus(0)
	chk.accept("gw-other-token-42")
	cur.Store("gw-other-token-42")
	if st := e.Refresh(ctx, RefreshRequest{Reason: "timer"}); store.get() != "gw-other-token-42" || st.State != StateOK {
		t.Fatalf("an accepted gateway token: stored %s, state %s", Fingerprint(store.get()), st.State)
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
