package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/authtest"
	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
	"github.com/claude-keytray/claude-keytray/auth/logging"
)

// fuzzMarker is planted inside fuzzed keys. It appears in no message the program writes, so
// finding it in an error, a fingerprint, a status, a log line or a notification means the
// secret (or enough of it) was echoed.
const fuzzMarker = "Zq9XvT3kLp0WmB7r"

// FuzzParseKey: ParseKey never panics; what it accepts is the input less one trailing newline and
// surrounding blanks, printable ASCII without inner whitespace, at most MaxKeyLen; and nothing it
// returns (the error, the fingerprint, String, GoString, LogValue, MarshalJSON) holds the key.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"", "sk-ant-api03-", "sk-ant-admin01-x", "sk-ant-oat01-", "gateway-token", " \t", "\n", "\r\n",
		"a b", "é", "\x00", "\x7f", strings.Repeat("k", auth.MaxKeyLen), "sk-ant-api03-" + strings.Repeat("A", 95)} {
		f.Add(s, "")
		f.Add(s, "\n")
		f.Add("", s)
	}
	f.Fuzz(func(t *testing.T, pre, post string) {
		// The plain input: invariants of what is accepted.
		if k, err := auth.ParseKey(pre + post); err == nil {
			s := k.Secret()
			want := strings.Trim(strings.TrimSuffix(strings.TrimSuffix(pre+post, "\n"), "\r"), " \t")
			if s != want || s == "" || len(s) > auth.MaxKeyLen {
				t.Fatalf("ParseKey(%q) accepted %q, want %q within 1..%d bytes", pre+post, s, want, auth.MaxKeyLen)
			}
			for i := 0; i < len(s); i++ {
				if c := s[i]; c <= ' ' || c >= 0x7f {
					t.Fatalf("ParseKey accepted a key with byte %#x at %d", c, i)
				}
			}
			if (k.Kind == auth.KindAPI) != strings.HasPrefix(s, keyshape.PrefixAPI) || strings.HasPrefix(s, keyshape.PrefixAdmin) || strings.HasPrefix(s, keyshape.PrefixOAuth) {
				t.Fatalf("ParseKey(%q) gave kind %q", s, k.Kind)
			}
		} else {
			var ke *auth.KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("ParseKey's error is %T, want *KeyError", err)
			}
		}

		// With the marker planted: no output may hold it.
		raw := pre + fuzzMarker + post
		k, err := auth.ParseKey(raw)
		if err != nil {
			if strings.Contains(err.Error(), fuzzMarker) {
				t.Fatalf("ParseKey's error quotes the key: %v", err)
			}
			return
		}
		js, jerr := k.MarshalJSON()
		if jerr != nil || !json.Valid(js) {
			t.Fatalf("MarshalJSON: %s (%v)", js, jerr)
		}
		for what, out := range map[string]string{
			"Fingerprint": k.Fingerprint(), "String": k.String(), "GoString": k.GoString(),
			"LogValue": k.LogValue().String(), "MarshalJSON": string(js),
		} {
			if strings.Contains(out, fuzzMarker) {
				t.Fatalf("%s shows the key: %q", what, out)
			}
		}
	})
}

// FuzzRedact: whatever the text around it, Redact and the log's Redactor leave no copy of a
// key in their output.
func FuzzRedact(f *testing.F) {
	f.Add("before ", " after", "sk-ant-api03-"+strings.Repeat("x", 90), 2)
	f.Add("", "", "gateway-token-1234567890", 1)
	f.Add("a", "a", "aaaaaaaaaaaaaaaaaaaa", 5)
	f.Add("sk-ant-api03-", "", "sk-ant-api03-abcdefghijklmnop", 3)
	f.Fuzz(func(t *testing.T, pre, post, secret string, copies int) {
		k, err := auth.ParseKey(secret)
		if err != nil || len(k.Secret()) < 8 {
			return // only what could be stored as a key
		}
		s := k.Secret()
		copies = 1 + (copies%4+4)%4
		text := pre + strings.Repeat(s+post, copies)
		if out := auth.Redact(text, s); strings.Contains(out, s) {
			t.Fatalf("Redact left the key in %q", out)
		}
		var r logging.Redactor
		r.Add(s)
		if out := r.Redact(text); strings.Contains(out, s) {
			t.Fatalf("Redactor.Redact left the key in %q", out)
		}
	})
}

// FuzzSourceOutput feeds arbitrary source output, with the marker planted in it, to a real
// engine refresh. A usable key is stored; anything else leaves the old key in the store; and
// in neither case does the output reach the status, the events, the notifications or the log.
func FuzzSourceOutput(f *testing.F) {
	for _, s := range []string{"", "\n", " key ", "sk-ant-api03-", "sk-ant-admin01-", "sk-ant-oat01-", "line1\nline2",
		"\x00\xff", "key: ", strings.Repeat("x", auth.MaxKeyLen), "{\"api_key\": \"", "é"} {
		f.Add(s, "")
		f.Add(s, "\n")
		f.Add("", s)
	}
	f.Fuzz(func(t *testing.T, pre, post string) {
		out := pre + fuzzMarker + post
		old := "sk-ant-api03-" + strings.Repeat("o", 90) + "old1"
		store := authtest.NewMemStore(old)
		chk := &authtest.FakeChecker{}
		chk.Accept() // none until the source's output proves a key
		var logBuf syncBuffer
		red := &logging.Redactor{}
		log := slog.New(logging.NewRedactingHandler(slog.NewTextHandler(&logBuf, nil), red))
		home := t.TempDir()
		notes := &authtest.RecNotifier{}
		e := auth.New(auth.Options{
			Paths: testPaths(home, home+"/state"),
			Store: store, Checker: chk, Notifier: notes, Logger: log, Redactor: red, Environ: []string{}, Cwd: home,
			Source: authtest.FuncSource(func() (string, error) { return out, nil }),
		})
		e.Load(context.Background())
		events, stop := e.Subscribe()
		// What the engine takes from a source's output: the key field of a JSON document, then
		// the key out of an unambiguous paste mistake, then a key ParseKey accepts.
		raw, perr := auth.SourceKey(out)
		var k auth.Key
		if perr == nil {
			k, _, perr = auth.ParsePasted(raw)
		}
		if perr == nil {
			chk.Accept(k.Secret())
		}
		st := e.Refresh(context.Background(), auth.RefreshRequest{User: true, Reason: "fuzz"})
		stop()

		switch got := store.Secret(); {
		case perr == nil && got != k.Secret():
			t.Fatalf("a usable source key was not stored (store has %s)", auth.Fingerprint(got))
		case perr != nil && got != old:
			t.Fatalf("unusable source output replaced the stored key with %s", auth.Fingerprint(got))
		case perr != nil && st.Refresh.LastError == "":
			t.Fatal("unusable source output gave no error in the status")
		}
		stJSON, _ := json.Marshal(st)
		places := map[string]string{"the status": string(stJSON), "the log": logBuf.String(), "the notifications": strings.Join(notes.All(), "\n")}
		for ev := range events {
			b, _ := json.Marshal(ev)
			places["an event"] += string(b)
		}
		for where, text := range places {
			if strings.Contains(text, fuzzMarker) {
				t.Fatalf("%s holds the source's output:\n%s", where, text)
			}
		}
	})
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
