package run

import (
	"bytes"
	"io"
	"sync"
)

// authPatterns are what Claude Code and the Anthropic API and SDKs print when the key is
// refused, each with the name a match is reported by. They are matched as bytes, case and all,
// in the child's output as it passes through. Each is shaped like Anthropic's own words, so a
// git server's "Failed to authenticate" or another API's "invalid API key" is not taken for a
// Claude key problem.
var authPatterns = []struct {
	name string
	text []byte
}{
	// Claude Code: "Invalid API key · Fix external API key", "… · Please run /login".
	{"Invalid API key", []byte("Invalid API key \u00b7 ")},
	{"Please run /login", []byte("Please run /login")},
	// Claude Code: "Failed to authenticate. API Error: 401 {…}".
	{"Failed to authenticate", []byte("Failed to authenticate. API Error")},
	{"apiKeyHelper script is failing", []byte("apiKeyHelper script is failing")},
	// The API's error type, as JSON or as a Python SDK's repr of it.
	{"authentication_error", []byte(`"authentication_error"`)},
	{"authentication_error", []byte(`'authentication_error'`)},
	// Claude Code's stream-json error of an assistant message.
	{"authentication_failed", []byte(`"authentication_failed"`)},
	{"API Error: 401", []byte("API Error: 401")},
	{"API Error: 403", []byte("API Error: 403")},
}

// statusField is the JSON field `claude -p --output-format json` puts the HTTP status in.
var statusField = []byte(`"api_error_status"`)

// maxJSONSpace bounds the whitespace around the colon the status field may have and still be
// found; pretty-printers use one space.
const maxJSONSpace = 16

// window is how many bytes of one write are kept to find a pattern split across writes: more
// than the longest pattern, and the status field with its colon, spaces and number.
const window = 64

// Detector watches a child's output for signs of an auth failure while passing it through
// unchanged. It keeps only a small window of each stream, never the output itself.
type Detector struct {
	mu    sync.Mutex
	match string
}

// Match returns the first sign of an auth failure seen, or "".
func (d *Detector) Match() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.match
}

// Reset forgets what was seen, for the next attempt.
func (d *Detector) Reset() {
	d.mu.Lock()
	d.match = ""
	d.mu.Unlock()
}

func (d *Detector) found() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.match != ""
}

func (d *Detector) record(m string) {
	d.mu.Lock()
	if d.match == "" {
		d.match = m
	}
	d.mu.Unlock()
}

// Writer returns a writer that writes everything to w, byte for byte, and scans it. Each
// stream needs its own Writer: a pattern is looked for within one stream only.
func (d *Detector) Writer(w io.Writer) io.Writer {
	return &scanWriter{d: d, w: w}
}

type scanWriter struct {
	d *Detector
	w io.Writer
	// tail is the end of what came before, for a pattern that straddles two writes.
	tail    []byte
	scratch []byte
}

func (s *scanWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if n > 0 && !s.d.found() {
		s.scan(p[:n])
	}
	return n, err
}

// scan looks at the join of the kept tail and the new bytes, then at the new bytes, and keeps
// the last window bytes. A match wholly inside the tail was looked for with the previous write.
func (s *scanWriter) scan(p []byte) {
	if len(s.tail) > 0 {
		head := p
		if len(head) > window {
			head = head[:window]
		}
		s.scratch = append(append(s.scratch[:0], s.tail...), head...)
		if m := findAuthFailure(s.scratch); m != "" {
			s.d.record(m)
			return
		}
	}
	if m := findAuthFailure(p); m != "" {
		s.d.record(m)
		return
	}
	if len(p) >= window {
		s.tail = append(s.tail[:0], p[len(p)-window:]...)
		return
	}
	s.tail = append(s.tail, p...)
	if len(s.tail) > window {
		s.tail = append(s.tail[:0], s.tail[len(s.tail)-window:]...)
	}
}

// findAuthFailure returns the pattern b shows, or "".
func findAuthFailure(b []byte) string {
	for _, p := range authPatterns {
		if bytes.Contains(b, p.text) {
			return p.name
		}
	}
	for rest := b; ; {
		i := bytes.Index(rest, statusField)
		if i < 0 {
			return ""
		}
		rest = rest[i+len(statusField):]
		if code, ok := jsonStatus(rest); ok && (code == "401" || code == "403") {
			return `"api_error_status":` + code
		}
	}
}

// jsonStatus reads `: 401` (with a little whitespace) and the character after it at the start of b.
func jsonStatus(b []byte) (string, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != ':' {
		return "", false
	}
	i = skipSpace(b, i+1)
	if i+3 > len(b) {
		return "", false
	}
	code := b[i : i+3]
	for _, c := range code {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	// The number must be seen to end; if the write ends right after it, the next write's look
	// at the join decides.
	if i+3 >= len(b) || b[i+3] >= '0' && b[i+3] <= '9' {
		return "", false
	}
	return string(code), true
}

func skipSpace(b []byte, i int) int {
	for n := 0; i < len(b) && n < maxJSONSpace; i, n = i+1, n+1 {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return i
		}
	}
	return i
}
