package control_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/authtest"
	"github.com/claude-keytray/claude-keytray/auth/control"
)

// fuzzMarker is planted in every key the fuzzer sends; no message of the server contains it,
// so finding it in a response means the key was echoed.
const fuzzMarker = "Zq9XvT3kLp0WmB7r"

// echoChecker plays an API that quotes the key in its error body (a careless proxy might) and
// rejects every key of odd length: the server must still never send the key back.
type echoChecker struct{}

func (echoChecker) Check(ctx context.Context, k auth.Key) auth.Validation {
	now := time.Now().UTC()
	if len(k.Secret())%2 == 1 {
		return auth.Validation{Result: auth.ResultInvalid, HTTPStatus: 401, CheckedAt: &now, Detail: "invalid x-api-key " + k.Secret()}
	}
	return auth.Validation{Result: auth.ResultValid, HTTPStatus: 200, CheckedAt: &now}
}

// FuzzUpdateKeyBody sends arbitrary bodies to update-key and auth-failure on a real server over
// a real engine (in-memory store), through the unix socket. Bad input is never a 5xx; every
// answer is one JSON document; and a key sent in the body, raw or \u-escaped, with anything
// around it, never comes back in the answer.
func FuzzUpdateKeyBody(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `1`, `{"key":null}`, `{"key":1}`, `{"key":""}`, `{"key":"   "}`,
		`{"key":"sk-ant-api03-abc"}`, `{"key":"a b"}`, `{"key":"x","verify":"yes"}`, `{"key":"x","extra":1}`,
		`{"key":"x"} {"key":"y"}`, `{"key":"x"}garbage`, `{"key":"\u0000"}`, `{"key":"` + strings.Repeat("k", 70000) + `"}`,
		`{"origin":"claude"}`, `{"origin":"` + strings.Repeat("o", 300) + `"}`, `{"origin":"a\nb"}`, "\xff\xfe", `{"key":"\ud800"}`,
	} {
		f.Add([]byte(s), "", "", uint8(0))
	}
	f.Add([]byte(`{"key":"$K","verify":false}`), "sk-ant-api03-", strings.Repeat("x", 80), uint8(1))
	f.Add([]byte(`{"verify":true,"key":"$K"}`), "gw-", "token", uint8(2))
	f.Add([]byte(`{"key":"$K"} trailing`), "sk-ant-admin01-", "", uint8(1))
	f.Add([]byte(`{"key":"$K","bogus":1}`), " ", "\n", uint8(2))

	testEnv(f)
	p, err := auth.DefaultPaths()
	if err != nil {
		f.Fatal(err)
	}
	eng := auth.New(auth.Options{Paths: p, Store: &authtest.MemStore{}, Checker: echoChecker{}, Environ: []string{}, Cwd: p.Home})
	sock, _ := startServer(f, eng, nil)
	hc := httpOver(sock)

	f.Fuzz(func(t *testing.T, body []byte, pre, post string, mode uint8) {
		key := pre + fuzzMarker + post
		switch mode % 3 {
		case 1: // the key as a JSON string
			b, _ := json.Marshal(key)
			body = bytes.ReplaceAll(body, []byte(`"$K"`), b)
		case 2: // every character \u-escaped, so only a decoder sees the key
			var esc strings.Builder
			esc.WriteByte('"')
			for _, r := range key {
				if r > 0xffff {
					esc.WriteRune(r)
					continue
				}
				fmt.Fprintf(&esc, `\u%04x`, r)
			}
			esc.WriteByte('"')
			body = bytes.ReplaceAll(body, []byte(`"$K"`), []byte(esc.String()))
		}
		for _, path := range []string{control.PathUpdateKey, control.PathAuthFailure} {
			req, err := http.NewRequest(http.MethodPost, "http://claude-keytray"+path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("POST %s: %v", path, err)
			}
			out, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode >= 500 {
				t.Fatalf("POST %s with %q: %d %s", path, body, resp.StatusCode, out)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" || !json.Valid(out) {
				t.Fatalf("POST %s: answer is not one JSON document (%s): %q", path, ct, out)
			}
			if bytes.Contains(out, []byte(fuzzMarker)) {
				t.Fatalf("POST %s echoed the key: %s", path, out)
			}
		}
	})
}
