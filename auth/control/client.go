package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
)

// ErrNotRunning means nothing listens on the control socket: callers do the work themselves.
var ErrNotRunning = errors.New("no claude-keytray daemon is running")

// Client timeouts. Key is on the apiKeyHelper's path, so it fails fast and the caller falls back.
const (
	KeyTimeout     = 2 * time.Second
	dialTimeout    = 500 * time.Millisecond
	statusTimeout  = 10 * time.Second
	actionTimeout  = operationTimeout + 10*time.Second
	maxErrorBody   = 64 << 10
	maxStatusBody  = 1 << 20
	requestBaseURL = "http://claude-keytray"
)

// APIError is an error response from the control API.
type APIError struct {
	StatusCode int
	Code       string
	Message    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("claude-keytray daemon: %s (HTTP %d, %s)", e.Message, e.StatusCode, e.Code)
}

// Unwrap maps the codes that have an auth error to it, so callers test one set of errors
// whether they asked the daemon or worked alone: errors.Is(err, auth.ErrNoKey) and so on.
func (e *APIError) Unwrap() error {
	switch e.Code {
	case CodeNoKey:
		return auth.ErrNoKey
	case CodeKeychainUnavailable:
		return auth.ErrKeychainUnavailable
	case CodeKeyRejected:
		return auth.ErrKeyRejected
	case CodeSourceConfigured:
		return auth.ErrSourceIsAuthority
	case CodeUnknownProfile:
		return auth.ErrUnknownProfile
	case CodeInvalidKey:
		return &auth.KeyError{Reason: strings.TrimPrefix(e.Message, "invalid key: ")}
	}
	return nil
}

// Client talks to the daemon's control API.
type Client struct {
	socket string
	hc     *http.Client
	// refused is why ClientFor would not use the socket it found; every call returns it.
	refused error
	// profile is the profile every call names; "" lets the daemon choose.
	profile string
	// interactive asks the daemon to treat the call as a person's (see Refresh).
	interactive bool
}

// WithProfile is a client whose every call is about profile name ("" for the daemon's choice:
// the current profile, and for the key the caller's folder). It shares c's connections.
func (c *Client) WithProfile(name string) *Client {
	cp := *c
	cp.profile = name
	return &cp
}

// query is the query string of a call (its profile, and whether a person waits), with its '?'.
func (c *Client) query() string {
	q := url.Values{}
	if c.profile != "" {
		q.Set(ProfileParam, c.profile)
	}
	if c.interactive {
		q.Set(InteractiveParam, "1")
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// Profiles lists every profile the daemon serves.
func (c *Client) Profiles(ctx context.Context) (auth.ProfileList, error) {
	var l auth.ProfileList
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, requestBaseURL+PathProfiles, nil)
	if err != nil {
		return l, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return l, c.transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return l, readAPIError(resp)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxStatusBody)).Decode(&l); err != nil {
		return l, fmt.Errorf("reading the profiles from the claude-keytray daemon on %s: %w", c.socket, err)
	}
	return l, nil
}

// NewClient returns a client for the socket at socketPath; nothing is dialled until a call.
// Every call first checks that the socket and its folder are ours and that the server runs as
// us; ClientFor also finds the socket.
func NewClient(socketPath string) *Client {
	c := &Client{socket: socketPath}
	c.hc = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return c.dial(ctx, &net.Dialer{Timeout: dialTimeout})
		},
		MaxIdleConns:       2,
		IdleConnTimeout:    30 * time.Second,
		DisableCompression: true,
	}}
	return c
}

// Close drops the idle connection kept for the next call.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Socket is the socket path the client dials.
func (c *Client) Socket() string { return c.socket }

// Status returns the daemon's status.
func (c *Client) Status(ctx context.Context) (auth.Status, error) {
	return c.statusCall(ctx, http.MethodGet, PathStatus, nil, statusTimeout)
}

// Refresh asks for a user refresh (the key is checked) and returns the status after it.
//
// A ctx marked auth.Interactive (a person waits at the terminal) asks the daemon to let the
// keychain ask them to unlock or confirm, as update-key does.
func (c *Client) Refresh(ctx context.Context) (auth.Status, error) {
	cc := c
	if auth.IsInteractive(ctx) {
		cp := *c
		cp.interactive = true
		cc = &cp
	}
	return cc.statusCall(ctx, http.MethodPost, PathRefresh, nil, actionTimeout)
}

// UpdateKey hands a new key to the daemon. A rejected key gives an *APIError that
// errors.Is auth.ErrKeyRejected; a malformed one errors.As *auth.KeyError.
func (c *Client) UpdateKey(ctx context.Context, key string, verify bool) (auth.Status, error) {
	body := struct {
		Key    string `json:"key"`
		Verify bool   `json:"verify"`
	}{key, verify}
	return c.statusCall(ctx, http.MethodPost, PathUpdateKey, body, actionTimeout)
}

// ReportAuthFailure tells the daemon a 401 was seen; it returns after the forced refresh.
func (c *Client) ReportAuthFailure(ctx context.Context, origin string) (auth.Status, error) {
	body := struct {
		Origin string `json:"origin"`
	}{origin}
	return c.statusCall(ctx, http.MethodPost, PathAuthFailure, body, actionTimeout)
}

func (c *Client) statusCall(ctx context.Context, method, path string, body any, timeout time.Duration) (auth.Status, error) {
	var st auth.Status
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return st, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, requestBaseURL+path+c.query(), rd)
	if err != nil {
		return st, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return st, c.transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, readAPIError(resp)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxStatusBody)).Decode(&st); err != nil {
		return st, fmt.Errorf("reading the status from the claude-keytray daemon on %s: %w", c.socket, err)
	}
	return st, nil
}

// keyRequest is the whole request of the key fast path.
const keyRequest = "GET " + PathKey + " HTTP/1.1\r\nHost: claude-keytray\r\nUser-Agent: claude-keytray\r\nConnection: close\r\n\r\n"

// Key returns the daemon's current key. It is the apiKeyHelper's hot path: one connection, one
// request written by hand, no retries, and at most KeyTimeout (or ctx's deadline if sooner).
func (c *Client) Key(ctx context.Context) (string, error) {
	start := time.Now()
	deadline := start.Add(KeyTimeout)
	ctxBound := false
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, ctxBound = d, true
	}
	fail := func(err error) error { return c.keyError(ctx, err, ctxBound, deadline.Sub(start)) }
	conn, err := c.dial(ctx, &net.Dialer{Timeout: dialTimeout, Deadline: deadline})
	if err != nil {
		return "", c.transportError(err)
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	request := keyRequest
	if c.profile != "" {
		request = "GET " + PathKey + c.query() + keyRequest[len("GET "+PathKey):]
	}
	if _, err := io.WriteString(conn, request); err != nil {
		return "", fail(err)
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 2048), nil)
	if err != nil {
		return "", fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", readAPIError(resp)
	}
	var buf []byte
	if n := resp.ContentLength; n > 0 && n <= auth.MaxKeyLen {
		buf = make([]byte, n)
		_, err = io.ReadFull(resp.Body, buf)
	} else {
		buf, err = io.ReadAll(io.LimitReader(resp.Body, auth.MaxKeyLen+1))
	}
	if err != nil {
		return "", fail(err)
	}
	if len(buf) == 0 || len(buf) > auth.MaxKeyLen {
		return "", fmt.Errorf("the claude-keytray daemon on %s answered with a %d-byte key; restart it", c.socket, len(buf))
	}
	return string(buf), nil
}

func (c *Client) keyError(ctx context.Context, err error, ctxBound bool, limit time.Duration) error {
	switch {
	case ctx.Err() != nil:
		err = ctx.Err()
	case errors.Is(err, os.ErrDeadlineExceeded):
		if ctxBound {
			err = context.DeadlineExceeded
		}
		return fmt.Errorf("the claude-keytray daemon on %s did not answer within %s; restart the claude-keytray daemon or tray: %w", c.socket, limit.Round(time.Millisecond), err)
	}
	return fmt.Errorf("asking the claude-keytray daemon on %s for the key: %w", c.socket, err)
}

// transportError marks "nobody listens" as ErrNotRunning, and "no AF_UNIX here" as
// ErrUnavailable (which is also ErrNotRunning), so callers can fall back.
func (c *Client) transportError(err error) error {
	var ue *UnsafeSocketError
	if errors.As(err, &ue) {
		return ue
	}
	if socketsUnsupported(err) {
		return fmt.Errorf("%w (dialling %s: %w)", ErrUnavailable, c.socket, err)
	}
	if notListening(err) {
		return fmt.Errorf("%w (nothing listens on %s): %w", ErrNotRunning, c.socket, err)
	}
	return fmt.Errorf("talking to the claude-keytray daemon on %s: %w", c.socket, err)
}

func readAPIError(resp *http.Response) error {
	e := &APIError{StatusCode: resp.StatusCode}
	var body ErrorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if json.Unmarshal(b, &body) == nil && body.Error != "" {
		e.Code, e.Message = body.Code, body.Error
	} else {
		e.Code, e.Message = "http_"+strconv.Itoa(resp.StatusCode), http.StatusText(resp.StatusCode)
	}
	return e
}
