package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A gateway (LiteLLM and the like) that reads only Authorization: Bearer, on loopback: the key
// check must send it, as Claude Code does, or a key Claude can use is called rejected.
func TestCheckBearerOnlyGateway(t *testing.T) {
	const token = "gw-token-1234567890abcdef"
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" || r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"type":"error","error":{"type":"authentication_error","message":"invalid token"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"data":[]}`))
	}))
	defer gw.Close()
	k, err := ParseKey(token)
	if err != nil {
		t.Fatal(err)
	}
	c := &Checker{BaseURL: gw.URL, Client: gw.Client()}
	if v := c.Check(context.Background(), k); v.Result != ResultValid {
		t.Fatalf("the gateway accepts the token by Bearer, but the check says %s (HTTP %d: %s)", v.Result, v.HTTPStatus, v.Detail)
	}
	bad, _ := ParseKey("gw-token-0000000000000000")
	if v := c.Check(context.Background(), bad); v.Result != ResultInvalid {
		t.Fatalf("a token the gateway refuses: %s", v.Result)
	}
}
