//go:build linux

package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// FakeReply is the text FakeAPI answers every message with, unless SetReply changes it.
const FakeReply = "Hello from the fake API."

// FakeAPI is a loopback HTTP server that plays the parts of the Anthropic API claude-keytray
// and the claude CLI use: GET /v1/models (the key check), POST /v1/messages (streaming and
// not), POST /v1/messages/count_tokens, and the CLI's HEAD / connectivity probe. Keys it is
// shown are kept in memory only.
type FakeAPI struct {
	srv *httptest.Server

	mu          sync.Mutex
	accepted    map[string]bool
	forced      int
	shouldRetry string
	breakStream bool
	reply       string
	requests    []Request
}

// Request is one request FakeAPI answered.
type Request struct {
	Method string
	Path   string // without the query
	Query  string
	// Key is the credential presented: x-api-key, else the Authorization bearer token; "" if none.
	Key string
	// BothHeaders is true when the key came in x-api-key and Authorization: Bearer alike (as
	// Claude Code sends an apiKeyHelper's key).
	BothHeaders      bool
	AnthropicVersion string
	UserAgent        string
	// Stream is the "stream" field of a messages request.
	Stream bool
	Status int
	At     time.Time
}

// NewFakeAPI starts a FakeAPI on 127.0.0.1 that accepts the given keys; it is closed in cleanup.
func NewFakeAPI(t testing.TB, accepted ...string) *FakeAPI {
	t.Helper()
	f := &FakeAPI{accepted: map[string]bool{}, reply: FakeReply}
	f.SetAccepted(accepted...)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the base URL, for ANTHROPIC_BASE_URL (no trailing slash).
func (f *FakeAPI) URL() string { return f.srv.URL }

// SetAccepted replaces the set of keys the API accepts.
func (f *FakeAPI) SetAccepted(keys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accepted = map[string]bool{}
	for _, k := range keys {
		f.accepted[k] = true
	}
}

// ForceStatus makes every /v1/ request fail with code (e.g. 401, 429, 500, 529) and the API's
// error body for it, whatever the key, until ForceStatus(0).
func (f *FakeAPI) ForceStatus(code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forced = code
}

// SetShouldRetry sets the x-should-retry header sent with error responses ("true", "false",
// or "" for none, the default). Claude Code retries a 401 (re-running its apiKeyHelper) up to
// CLAUDE_CODE_MAX_RETRIES times (default 10, with backoff: minutes in all) unless the header
// says "false", in which case it gives up at once.
func (f *FakeAPI) SetShouldRetry(v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shouldRetry = v
}

// BreakStreaming makes streaming messages requests end mid-event, so a client must fall back
// to a non-streaming request (the claude CLI does).
func (f *FakeAPI) BreakStreaming(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.breakStream = on
}

// SetReply sets the assistant text of every message.
func (f *FakeAPI) SetReply(text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reply = text
}

// Seen returns the keys presented, in order, one per request that presented one.
func (f *FakeAPI) Seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var keys []string
	for _, r := range f.requests {
		if r.Key != "" {
			keys = append(keys, r.Key)
		}
	}
	return keys
}

// Requests returns every request answered so far, in order.
func (f *FakeAPI) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// Reset forgets the requests seen so far.
func (f *FakeAPI) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

func (f *FakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	req := Request{
		Method:           r.Method,
		Path:             r.URL.Path,
		Query:            r.URL.RawQuery,
		AnthropicVersion: r.Header.Get("anthropic-version"),
		UserAgent:        r.Header.Get("User-Agent"),
		At:               time.Now(),
	}
	xKey := r.Header.Get("x-api-key")
	bearer := ""
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		bearer = strings.TrimPrefix(a, "Bearer ")
	}
	req.Key = xKey
	if req.Key == "" {
		req.Key = bearer
	}
	req.BothHeaders = xKey != "" && xKey == bearer

	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 16<<20))
	}
	var msgReq struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	if r.URL.Path == "/v1/messages" && len(body) > 0 {
		_ = json.Unmarshal(body, &msgReq)
		req.Stream = msgReq.Stream
	}

	f.mu.Lock()
	forced, shouldRetry, broken, reply := f.forced, f.shouldRetry, f.breakStream, f.reply
	accepted := f.accepted[req.Key]
	f.mu.Unlock()

	status := f.answer(w, r, req, msgReq.Model, forced, shouldRetry, broken, reply, accepted)
	req.Status = status
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
}

// answer writes the response and returns its status.
func (f *FakeAPI) answer(w http.ResponseWriter, r *http.Request, req Request, model string,
	forced int, shouldRetry string, broken bool, reply string, accepted bool) int {
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		// The CLI probes HEAD / before its first request; anything answers.
		if r.URL.Path == "/" && (r.Method == http.MethodHead || r.Method == http.MethodGet) {
			w.WriteHeader(http.StatusOK)
			return http.StatusOK
		}
		return writeError(w, http.StatusNotFound, shouldRetry)
	}
	w.Header().Set("request-id", fmt.Sprintf("req_fake_%d", time.Now().UnixNano()))
	if forced != 0 {
		return writeError(w, forced, shouldRetry)
	}
	if req.Key == "" || !accepted {
		return writeError(w, http.StatusUnauthorized, shouldRetry)
	}
	switch {
	case r.URL.Path == "/v1/models" && r.Method == http.MethodGet:
		return writeJSON(w, http.StatusOK, map[string]any{
			"data":     fakeModels,
			"has_more": false,
			"first_id": fakeModels[0]["id"],
			"last_id":  fakeModels[len(fakeModels)-1]["id"],
		})
	case strings.HasPrefix(r.URL.Path, "/v1/models/") && r.Method == http.MethodGet:
		id := strings.TrimPrefix(r.URL.Path, "/v1/models/")
		for _, m := range fakeModels {
			if m["id"] == id {
				return writeJSON(w, http.StatusOK, m)
			}
		}
		return writeError(w, http.StatusNotFound, shouldRetry)
	case r.URL.Path == "/v1/messages/count_tokens" && r.Method == http.MethodPost:
		return writeJSON(w, http.StatusOK, map[string]any{"input_tokens": 42})
	case r.URL.Path == "/v1/messages" && r.Method == http.MethodPost:
		if model == "" {
			model = "claude-sonnet-4-5"
		}
		if req.Stream {
			return writeStream(w, model, reply, broken)
		}
		return writeJSON(w, http.StatusOK, message(model, []any{textBlock(reply)}, "end_turn"))
	}
	return writeError(w, http.StatusNotFound, shouldRetry)
}

var fakeModels = []map[string]any{
	{"type": "model", "id": "claude-sonnet-4-5", "display_name": "Claude Sonnet 4.5", "created_at": "2025-09-29T00:00:00Z"},
	{"type": "model", "id": "claude-opus-4-1", "display_name": "Claude Opus 4.1", "created_at": "2025-08-05T00:00:00Z"},
	{"type": "model", "id": "claude-haiku-4-5", "display_name": "Claude Haiku 4.5", "created_at": "2025-10-01T00:00:00Z"},
}

// errorTypes are the API's error.type values for each status.
var errorTypes = map[int][2]string{
	400: {"invalid_request_error", "invalid request"},
	401: {"authentication_error", "invalid x-api-key"},
	403: {"permission_error", "your API key does not have permission to use the specified resource"},
	404: {"not_found_error", "not found"},
	413: {"request_too_large", "request exceeds the maximum allowed number of bytes"},
	429: {"rate_limit_error", "rate limited"},
	500: {"api_error", "internal server error"},
	529: {"overloaded_error", "Overloaded"},
}

func writeError(w http.ResponseWriter, code int, shouldRetry string) int {
	et, ok := errorTypes[code]
	if !ok {
		et = [2]string{"api_error", http.StatusText(code)}
	}
	if shouldRetry != "" {
		w.Header().Set("x-should-retry", shouldRetry)
	}
	return writeJSON(w, code, map[string]any{
		"type":  "error",
		"error": map[string]any{"type": et[0], "message": et[1]},
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own literals are marshalled
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
	return code
}

func textBlock(s string) map[string]any { return map[string]any{"type": "text", "text": s} }

func message(model string, content []any, stop any) map[string]any {
	return map[string]any{
		"id":            fmt.Sprintf("msg_fake_%d", time.Now().UnixNano()),
		"type":          "message",
		"role":          "assistant",
		"model":         model,
		"content":       content,
		"stop_reason":   stop,
		"stop_sequence": nil,
		"usage":         map[string]any{"input_tokens": 12, "output_tokens": 6},
	}
}

// writeStream answers with the server-sent events of one text message.
func writeStream(w http.ResponseWriter, model, reply string, broken bool) int {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	send := func(event string, data any) {
		b, _ := json.Marshal(data)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
		if fl != nil {
			fl.Flush()
		}
	}
	if broken {
		// Half an event, then the connection ends.
		fmt.Fprint(w, "event: message_start\ndata: {\"type\":\"message_start\"")
		if fl != nil {
			fl.Flush()
		}
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
		return http.StatusOK
	}
	start := message(model, []any{}, nil)
	start["usage"] = map[string]any{"input_tokens": 12, "output_tokens": 1}
	send("message_start", map[string]any{"type": "message_start", "message": start})
	send("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": textBlock("")})
	send("ping", map[string]any{"type": "ping"})
	send("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
		"delta": map[string]any{"type": "text_delta", "text": reply}})
	send("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	send("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil},
		"usage": map[string]any{"output_tokens": 6}})
	send("message_stop", map[string]any{"type": "message_stop"})
	return http.StatusOK
}
