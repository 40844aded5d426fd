package run

import (
	"bytes"
	"crypto/rand"
	"io"
	"strings"
	"testing"
)

// feed writes s through a Detector in pieces of the given sizes (cycled) and returns what came
// out and the match.
func feed(t *testing.T, s string, sizes ...int) (string, string) {
	t.Helper()
	var d Detector
	var out bytes.Buffer
	w := d.Writer(&out)
	b := []byte(s)
	for i := 0; len(b) > 0; i++ {
		n := len(b)
		if len(sizes) > 0 {
			n = min(sizes[i%len(sizes)], len(b))
		}
		if m, err := w.Write(b[:n]); m != n || err != nil {
			t.Fatalf("Write = %d, %v", m, err)
		}
		b = b[n:]
	}
	return out.String(), d.Match()
}

func TestDetectorPatterns(t *testing.T) {
	cases := []struct {
		out, want string
	}{
		{"Invalid API key · Fix external API key\n", "Invalid API key"},
		{"Invalid API key · Please run /login\n", "Invalid API key"},
		{"Please run /login · API Error: 401\n", "Please run /login"},
		{"Failed to authenticate. API Error: 401 {\"type\":\"error\"}", "Failed to authenticate"},
		{"apiKeyHelper script is failing: exit 3\n", "apiKeyHelper script is failing"},
		{`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, "authentication_error"},
		{"API Error: 403 forbidden\n", "API Error: 403"},
		{`{"type":"result","is_error":true,"api_error_status":401,"result":"x"}`, `"api_error_status":401`},
		{"{\n  \"is_error\": true,\n  \"api_error_status\": 401\n}\n", `"api_error_status":401`},
		{`{"api_error_status" :	403}`, `"api_error_status":403`},
		{`{"is_error":false,"api_error_status":null,"result":"pong"}`, ""},
		{`{"api_error_status":429}`, ""},
		{`{"api_error_status":4010}`, ""},
		{"API Error: 500 overloaded\n", ""},
		{"all good, 401 lines of code written\n", ""},
		{"invalid api key (lower case is someone else's message)\n", ""},
		// Other programs' authentication failures are theirs: not retried with a new Claude key.
		{"remote: Failed to authenticate\nfatal: Authentication failed for 'https://git.example/x.git/'\n", ""},
		{"error: Invalid API key for this repository\n", ""},
		{"stripe: authentication_error: no such key\n", ""},
		{"anthropic.AuthenticationError: Error code: 401 - {'type': 'error', 'error': {'type': 'authentication_error', 'message': 'invalid x-api-key'}}", "authentication_error"},
		{`{"type":"assistant","error":"authentication_failed"}`, "authentication_failed"},
		{"", ""},
	}
	for _, c := range cases {
		for _, size := range []int{0, 1, 2, 3, 7, 64, 65} {
			var got, m string
			if size == 0 {
				got, m = feed(t, c.out) // one write
			} else {
				got, m = feed(t, c.out, size)
			}
			if got != c.out {
				t.Fatalf("pass-through changed the output (size %d): %q", size, got)
			}
			if m != c.want {
				t.Errorf("%q in pieces of %d: match %q, want %q", c.out, size, m, c.want)
			}
		}
	}
}

// Every split point of every pattern, with output around it, is found.
func TestDetectorSplitAtEveryByte(t *testing.T) {
	prefix := strings.Repeat("x", 100)
	texts := [][]byte{[]byte(`"api_error_status":  401`)}
	for _, p := range authPatterns {
		texts = append(texts, p.text)
	}
	for _, p := range texts {
		s := prefix + string(p) + "\n" + prefix
		at := len(prefix)
		for cut := at; cut <= at+len(p); cut++ {
			var d Detector
			var out bytes.Buffer
			w := d.Writer(&out)
			w.Write([]byte(s[:cut]))
			w.Write([]byte(s[cut:]))
			if d.Match() == "" || out.String() != s {
				t.Fatalf("%q split at %d: match %q", p, cut-at, d.Match())
			}
		}
	}
}

// A large output is passed through byte for byte and scanned with a fixed window: the pattern at
// the very end of 32 MiB is found, and nothing is kept but the window.
func TestDetectorLargeOutput(t *testing.T) {
	big := make([]byte, 32<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	// Random bytes can hold no pattern by chance at this length; make sure.
	if findAuthFailure(big) != "" {
		t.Skip("random data happened to hold a pattern")
	}
	tailMsg := []byte("\nAPI Error: 401 {\"type\":\"error\"}\n")
	var d Detector
	var sum countingWriter
	w := d.Writer(&sum)
	src := io.MultiReader(bytes.NewReader(big), bytes.NewReader(tailMsg))
	buf := make([]byte, 32<<10+5)
	if _, err := io.CopyBuffer(w, src, buf); err != nil {
		t.Fatal(err)
	}
	if sum.n != int64(len(big)+len(tailMsg)) {
		t.Fatalf("passed %d bytes, want %d", sum.n, len(big)+len(tailMsg))
	}
	if d.Match() != "API Error: 401" {
		t.Fatalf("match %q", d.Match())
	}
	sw := w.(*scanWriter)
	if len(sw.tail) > window || cap(sw.scratch) > 4*window {
		t.Fatalf("the scanner kept %d/%d bytes", len(sw.tail), cap(sw.scratch))
	}

	// Once found, the rest is not scanned but still passed.
	more := bytes.Repeat([]byte("y"), 1<<20)
	if n, err := w.Write(more); n != len(more) || err != nil {
		t.Fatal(n, err)
	}
}

// A long JSON stream (stream-json) with the status in its last line.
func TestDetectorStreamJSON(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 2000; i++ {
		b.WriteString(`{"type":"assistant","message":{"content":[{"type":"text","text":"line"}]},"api_error_status":null}` + "\n")
	}
	b.WriteString(`{"type":"result","subtype":"success","is_error":true,"api_error_status":401,"result":"Invalid API key"}` + "\n")
	for _, size := range []int{1, 13, 4096, 65536} {
		out, m := feed(t, b.String(), size)
		if out != b.String() || m == "" {
			t.Fatalf("size %d: match %q", size, m)
		}
	}
}

func TestDetectorReset(t *testing.T) {
	var d Detector
	w := d.Writer(io.Discard)
	w.Write([]byte("Invalid API key · Fix external API key"))
	if d.Match() == "" {
		t.Fatal("no match")
	}
	d.Reset()
	if d.Match() != "" {
		t.Fatal("Reset kept the match")
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
