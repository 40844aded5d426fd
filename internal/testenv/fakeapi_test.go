//go:build linux

package testenv

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	goodKey  = "sk-ant-api03-testenv-good-key-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	otherKey = "sk-ant-api03-testenv-other-key-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
	badKey   = "sk-ant-api03-testenv-rejected-key-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
)

func get(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	req.Header.Set("anthropic-version", "2023-06-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestFakeAPIModels(t *testing.T) {
	api := NewFakeAPI(t, goodKey)
	if !strings.HasPrefix(api.URL(), "http://127.0.0.1:") {
		t.Fatalf("not on loopback: %s", api.URL())
	}

	code, body := get(t, api.URL()+"/v1/models", goodKey)
	var list struct {
		Data []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"data"`
		HasMore bool `json:"has_more"`
	}
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Data) == 0 || list.Data[0].Type != "model" {
		t.Fatalf("models with an accepted key: %d %s (%v)", code, body, err)
	}

	code, body = get(t, api.URL()+"/v1/models", badKey)
	if code != 401 || body != `{"error":{"message":"invalid x-api-key","type":"authentication_error"},"type":"error"}` {
		t.Fatalf("models with a rejected key: %d %s", code, body)
	}
	var e struct {
		Type  string `json:"type"`
		Error struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e); e.Type != "error" || e.Error.Type != "authentication_error" {
		t.Fatalf("401 body shape: %s", body)
	}
	if code, _ = get(t, api.URL()+"/v1/models", ""); code != 401 {
		t.Fatalf("no key: %d", code)
	}

	// Rotation: the old key stops working, the new one starts.
	api.SetAccepted(otherKey)
	if code, _ = get(t, api.URL()+"/v1/models", goodKey); code != 401 {
		t.Fatalf("old key after rotation: %d", code)
	}
	if code, _ = get(t, api.URL()+"/v1/models", otherKey); code != 200 {
		t.Fatalf("new key after rotation: %d", code)
	}

	for _, c := range []struct {
		code int
		typ  string
	}{{429, "rate_limit_error"}, {500, "api_error"}, {529, "overloaded_error"}, {403, "permission_error"}} {
		api.ForceStatus(c.code)
		code, body = get(t, api.URL()+"/v1/models", otherKey)
		if code != c.code || !strings.Contains(body, `"type":"`+c.typ+`"`) {
			t.Errorf("ForceStatus(%d): %d %s", c.code, code, body)
		}
	}
	api.ForceStatus(0)
	if code, _ = get(t, api.URL()+"/v1/models", otherKey); code != 200 {
		t.Fatalf("after ForceStatus(0): %d", code)
	}

	want := []string{goodKey, badKey, goodKey, otherKey, otherKey, otherKey, otherKey, otherKey, otherKey}
	if got := api.Seen(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Seen:\n got %q\nwant %q", got, want)
	}
	reqs := api.Requests()
	if len(reqs) != 10 || reqs[2].Key != "" || reqs[2].Status != 401 || reqs[0].AnthropicVersion != "2023-06-01" {
		t.Fatalf("Requests: %+v", reqs)
	}
	api.Reset()
	if len(api.Requests()) != 0 {
		t.Fatal("Reset kept requests")
	}
}

func TestFakeAPIMessagesBearer(t *testing.T) {
	api := NewFakeAPI(t, goodKey)
	req, _ := http.NewRequest(http.MethodPost, api.URL()+"/v1/messages",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+goodKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var msg struct {
		Type    string `json:"type"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(b, &msg); resp.StatusCode != 200 || err != nil || msg.Type != "message" || msg.Content[0].Text != FakeReply {
		t.Fatalf("messages with a bearer key: %d %s", resp.StatusCode, b)
	}
	if r := api.Requests(); len(r) != 1 || r[0].Key != goodKey || r[0].Stream {
		t.Fatalf("Requests: %+v", r)
	}
}

// claudeEnv is an Env whose claude CLI talks to api with no other configuration.
func claudeEnv(t *testing.T, api *FakeAPI) *Env {
	t.Helper()
	Require(t, "claude")
	e := New(t)
	e.UseFakeAPI(api)
	return e
}

func messagesRequests(api *FakeAPI) []Request {
	var out []Request
	for _, r := range api.Requests() {
		if r.Path == "/v1/messages" {
			out = append(out, r)
		}
	}
	return out
}

func TestClaudeCLIAcceptedKey(t *testing.T) {
	api := NewFakeAPI(t, goodKey)
	e := claudeEnv(t, api)
	e.Set("ANTHROPIC_API_KEY", goodKey)
	r := e.Claude(t, "-p", "say hi")
	t.Logf("claude -p with an accepted key took %v", r.Duration)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, FakeReply) {
		t.Fatalf("claude -p: exit %d\nstdout: %s\nstderr: %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	msgs := messagesRequests(api)
	if len(msgs) != 1 || !msgs[0].Stream || msgs[0].Key != goodKey || msgs[0].Status != 200 {
		t.Fatalf("messages requests: %+v", msgs)
	}
	for _, req := range api.Requests() {
		t.Logf("claude requested: %s %s?%s key=%v stream=%v -> %d", req.Method, req.Path, req.Query, req.Key != "", req.Stream, req.Status)
	}
	// It ran with the Env's HOME, not the developer's.
	if _, err := os.Stat(filepath.Join(e.Home(), ".claude.json")); err != nil {
		t.Errorf("claude did not write its state into the Env's HOME: %v", err)
	}
}

func TestClaudeCLINonStreamingFallback(t *testing.T) {
	api := NewFakeAPI(t, goodKey)
	api.BreakStreaming(true)
	e := claudeEnv(t, api)
	e.Set("ANTHROPIC_API_KEY", goodKey)
	r := e.Claude(t, "-p", "say hi")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, FakeReply) {
		t.Fatalf("claude -p with a broken stream: exit %d\nstdout: %s\nstderr: %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	// The CLI retries the broken stream a few times, then asks without streaming.
	msgs := messagesRequests(api)
	if len(msgs) < 2 || !msgs[0].Stream || msgs[len(msgs)-1].Stream {
		t.Fatalf("want streaming requests, then a non-streaming one: %+v", msgs)
	}
	t.Logf("%d streaming tries before the non-streaming request", len(msgs)-1)
}

func TestClaudeCLIAuthToken(t *testing.T) {
	api := NewFakeAPI(t, goodKey)
	e := claudeEnv(t, api)
	e.Set("ANTHROPIC_AUTH_TOKEN", goodKey)
	r := e.Claude(t, "-p", "say hi")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, FakeReply) {
		t.Fatalf("claude -p with ANTHROPIC_AUTH_TOKEN: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if msgs := messagesRequests(api); len(msgs) != 1 || msgs[0].Key != goodKey || msgs[0].BothHeaders {
		t.Fatalf("want the token as a bearer only: %+v", msgs)
	}
}

func TestClaudeCLIRejectedKey(t *testing.T) {
	api := NewFakeAPI(t, goodKey)
	e := claudeEnv(t, api)
	e.Set("ANTHROPIC_API_KEY", badKey)

	// With x-should-retry: false the CLI gives up at once.
	api.SetShouldRetry("false")
	r := e.Claude(t, "-p", "say hi")
	t.Logf("claude -p with a rejected key (no retry) took %v", r.Duration)
	if r.ExitCode != 1 || !strings.Contains(r.Stdout+r.Stderr, "Invalid API key") {
		t.Fatalf("claude -p with a rejected key: exit %d\nstdout: %s\nstderr: %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if msgs := messagesRequests(api); len(msgs) != 1 || msgs[0].Status != 401 {
		t.Fatalf("want exactly one rejected request: %+v", msgs)
	}

	// Without the header it retries the 401, CLAUDE_CODE_MAX_RETRIES times, then fails the
	// same way; JSON output carries the status.
	api.SetShouldRetry("")
	api.Reset()
	e.Set("CLAUDE_CODE_MAX_RETRIES", "2")
	r = e.Claude(t, "-p", "say hi", "--output-format", "json")
	t.Logf("claude -p with a rejected key and 2 retries took %v", r.Duration)
	var res struct {
		IsError        bool   `json:"is_error"`
		APIErrorStatus int    `json:"api_error_status"`
		Result         string `json:"result"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &res); r.ExitCode != 1 || err != nil || !res.IsError ||
		res.APIErrorStatus != 401 || !strings.Contains(res.Result, "Invalid API key") {
		t.Fatalf("claude -p --output-format json: exit %d (%v)\nstdout: %s\nstderr: %s", r.ExitCode, err, r.Stdout, r.Stderr)
	}
	if msgs := messagesRequests(api); len(msgs) != 3 {
		t.Fatalf("want 1 try + 2 retries, got %d: %+v", len(msgs), msgs)
	}
}

// The mechanism claude-keytray rests on: Claude Code sends an apiKeyHelper's key in both
// headers and, after a 401, runs the helper again in the same process.
func TestClaudeCLIAPIKeyHelperRerunOn401(t *testing.T) {
	api := NewFakeAPI(t, goodKey)
	e := claudeEnv(t, api)
	calls := filepath.Join(e.Dir, "helper-calls")
	helper := e.WriteFile(t, "bin/helper.sh", `#!/bin/sh
echo call >> '`+calls+`'
if [ "$(wc -l < '`+calls+`')" -eq 1 ]; then echo `+badKey+`; else echo `+goodKey+`; fi
`, 0o700)
	settings, _ := json.Marshal(map[string]string{"apiKeyHelper": helper})
	e.WriteFile(t, filepath.Join(e.ClaudeDir(), "settings.json"), string(settings), 0o600)

	r := e.Claude(t, "-p", "say hi")
	t.Logf("claude -p with a helper whose first key is stale took %v", r.Duration)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, FakeReply) {
		t.Fatalf("claude -p with apiKeyHelper: exit %d\nstdout: %s\nstderr: %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	msgs := messagesRequests(api)
	if len(msgs) != 2 || msgs[0].Key != badKey || msgs[0].Status != 401 || msgs[1].Key != goodKey ||
		!msgs[0].BothHeaders || !msgs[1].BothHeaders {
		t.Fatalf("want the stale key rejected, then the helper's new key, both in both headers: %+v", msgs)
	}
	b, _ := os.ReadFile(calls)
	if n := strings.Count(string(b), "call"); n != 2 {
		t.Fatalf("helper ran %d times, want 2", n)
	}
}
