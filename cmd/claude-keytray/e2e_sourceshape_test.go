//go:build linux

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
)

// During an API outage (529) the key check says nothing, so what a source prints must look
// like a key before it replaces the one in the keychain: the daemon, the Secret Service
// (read with secret-tool) and the real claude CLI all keep the good key through jq's null,
// Python's None, an ambiguous JSON document, a proxy's HTML page and an unknown token shape,
// and status says why. A JSON document with one key field is read as that key.
func TestE2ESourceGarbageDuringOutageKeepsKey(t *testing.T) {
	t.Parallel()
	w, source, good := new401World(t)
	w.startSettledDaemon()
	w.api.ForceStatus(529)
	other := w.newKey()
	for _, c := range []struct{ out, why string }{
		{"null", "what jq prints for a field that is not there"},
		{"None", "what aws --query and Python print"},
		{`{"api_key":"` + other + `","token":"` + other + `"}`, "several fields that could be the key (api_key, token)"},
		{"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", "an HTML or XML page"},
		{"gw-0123456789abcdef0123", "not shaped like an Anthropic key"},
	} {
		writeSource(t, source, c.out)
		st := w.refresh()
		if st.Key.Fingerprint != auth.Fingerprint(good) || !strings.Contains(st.Refresh.LastError, c.why) || !strings.Contains(st.Refresh.LastError, "kept the current key") {
			t.Fatalf("source printing %.20q during the outage: key %s, last_error %q", c.out, st.Key.Fingerprint, st.Refresh.LastError)
		}
		w.wantStored(good, "after the source printed "+c.out[:4])
		w.wantKey(good, "after the source printed "+c.out[:4])
	}
	if st := w.status(); !strings.Contains(st.Refresh.LastError, "set key_pattern in") {
		t.Fatalf("status does not say how to let a gateway token through: %q", st.Refresh.LastError)
	}

	// The outage ends: the real claude CLI sends the good key, and only that.
	w.api.ForceStatus(0)
	r := w.env.Claude(t, "-p", "say hi")
	wantExit(t, r, 0, "claude -p after the outage")
	msgs := messages(w.api)
	for _, m := range msgs {
		if m.Key != good {
			t.Fatalf("claude sent other keys: %s", keysSeen(msgs))
		}
	}
	if len(msgs) == 0 {
		t.Fatal("claude sent no message request")
	}

	// A JSON document with one key field is read as that key, stored unverified meanwhile.
	w.api.ForceStatus(529)
	writeSource(t, source, `{"api_key":"`+other+`","version":3}`)
	if st := w.refresh(); st.Key.Fingerprint != auth.Fingerprint(other) || st.State != auth.StateUnverified {
		t.Fatalf("a JSON secret during the outage: key %s, state %s, last_error %q", st.Key.Fingerprint, st.State, st.Refresh.LastError)
	}
	w.waitStored(other, "after the source printed a JSON secret", 15*time.Second)
}

// A gateway token matching key_pattern in config.json is trusted during an outage.
func TestE2ESourceKeyPatternLetsGatewayTokenThrough(t *testing.T) {
	t.Parallel()
	w, source, _ := new401World(t)
	w.env.WriteFile(t, w.env.Get("XDG_CONFIG_HOME")+"/claude-keytray/config.json", `{"key_pattern": "gw-[0-9a-f]{20}"}`, 0o600)
	w.startSettledDaemon()
	w.api.ForceStatus(529)
	token := "gw-0123456789abcdef0123"
	w.keys = append(w.keys, token)
	writeSource(t, source, token)
	if st := w.refresh(); st.Key.Fingerprint != auth.Fingerprint(token) || st.Refresh.LastError != "" {
		t.Fatalf("gateway token with key_pattern: key %s, last_error %q", st.Key.Fingerprint, st.Refresh.LastError)
	}
	w.wantStored(token, "after the source printed a token matching key_pattern")
}
