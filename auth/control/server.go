package control

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/claude-keytray/claude-keytray/auth"
)

// The endpoints. DESIGN.md's three are a contract; key and auth-failure are additions.
const (
	PathStatus      = "/api/auth/status"
	PathRefresh     = "/api/auth/refresh"
	PathUpdateKey   = "/api/auth/update-key"
	PathKey         = "/api/auth/key"
	PathAuthFailure = "/api/auth/auth-failure"
	PathProfiles    = "/api/auth/profiles"
)

// ProfileParam names a profile on any endpoint (a query parameter, or the "profile" field of a
// body); without it the request is about the current profile, and the key endpoint picks the
// caller's profile by its folder.
const ProfileParam = "profile"

// InteractiveParam=1 on a refresh says a person waits for it: the keychain may ask them to
// unlock or confirm (up to auth.InteractiveKeychainTimeout), as for update-key. Without it a
// refresh is background work and never makes the keychain ask.
const InteractiveParam = "interactive"

// MaxBodyBytes bounds a request body; a key is at most auth.MaxKeyLen characters.
const MaxBodyBytes = 64 << 10

// Error codes in the "code" field of an error body.
const (
	CodeBadJSON             = "bad_json"
	CodeUnknownField        = "unknown_field"
	CodeTrailingData        = "trailing_data"
	CodeMissingKey          = "missing_key"
	CodeInvalidKey          = "invalid_key"
	CodeBadOrigin           = "bad_origin"
	CodeTooLarge            = "too_large"
	CodeKeyRejected         = "key_rejected"
	CodeSourceConfigured    = "source_configured"
	CodeNoKey               = "no_key"
	CodeKeychainUnavailable = "keychain_unavailable"
	CodeForbidden           = "forbidden"
	CodeNotFound            = "not_found"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeUnknownProfile      = "unknown_profile"
	CodeBadProfile          = "bad_profile"
	CodeInternal            = "internal"
)

// operationTimeout bounds a refresh or key update once started. It is detached from the
// request so a client that gives up does not leave a key half checked or half stored.
const operationTimeout = 2 * time.Minute

// Engine is what the server needs from *auth.Engine.
type Engine interface {
	Status() auth.Status
	Refresh(ctx context.Context, req auth.RefreshRequest) auth.Status
	UpdateKey(ctx context.Context, raw string, opt auth.UpdateOptions) (auth.Status, error)
	CurrentKey(ctx context.Context) (auth.Key, error)
	ReportAuthFailure(ctx context.Context, origin string) auth.Status
}

// ServerOptions configure a Server.
type ServerOptions struct {
	// Logger gets one line per request (method, path, status, duration, peer pid) and the
	// refusals of other users. Nil discards.
	Logger *slog.Logger
}

// Server serves the control API over a listener from Listen.
type Server struct {
	eng    Engine
	log    *slog.Logger
	uid    int
	srv    *http.Server
	routes map[string]route
}

type route struct {
	method string
	handle func(s *Server, w http.ResponseWriter, r *http.Request)
}

// NewServer makes a Server over eng.
func NewServer(eng Engine, opts ServerOptions) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{eng: eng, log: log, uid: os.Getuid()}
	s.routes = map[string]route{
		PathStatus:      {http.MethodGet, (*Server).handleStatus},
		PathRefresh:     {http.MethodPost, (*Server).handleRefresh},
		PathUpdateKey:   {http.MethodPost, (*Server).handleUpdateKey},
		PathKey:         {http.MethodGet, (*Server).handleKey},
		PathAuthFailure: {http.MethodPost, (*Server).handleAuthFailure},
		PathProfiles:    {http.MethodGet, (*Server).handleProfiles},
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// A refresh may run a source command and an API check.
		WriteTimeout:   operationTimeout + 30*time.Second,
		IdleTimeout:    60 * time.Second,
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, peerKey{}, lookupPeer(c))
		},
	}
	return s
}

// Serve answers requests on l until Shutdown; it returns nil after Shutdown.
func (s *Server) Serve(l net.Listener) error {
	if err := s.srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting, waits for running requests until ctx ends, and closes the listener.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// ServeHTTP routes a request after checking who sent it, and logs it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	pi, _ := r.Context().Value(peerKey{}).(*peerInfo)
	rt, known := s.routes[r.URL.Path]
	defer func() {
		// Only known paths and methods are logged: anything a client typed could be a key.
		path, method := "(unknown)", "(other)"
		if known {
			path = r.URL.Path
		}
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions:
			method = r.Method
		}
		pid := 0
		if pi != nil {
			pid = pi.peer.PID
		}
		s.log.Info("control request", "method", method, "path", path, "status", sw.code(), "duration", time.Since(start), "peer_pid", pid)
	}()

	if msg := s.refusal(pi); msg != "" {
		writeError(sw, http.StatusForbidden, CodeForbidden, msg)
		return
	}
	if !known {
		writeError(sw, http.StatusNotFound, CodeNotFound, "no such endpoint; the control API has "+PathStatus+", "+PathRefresh+", "+PathUpdateKey+", "+PathKey+", "+PathAuthFailure+" and "+PathProfiles)
		return
	}
	if r.Method != rt.method {
		sw.Header().Set("Allow", rt.method)
		writeError(sw, http.StatusMethodNotAllowed, CodeMethodNotAllowed, r.URL.Path+" takes "+rt.method+" only")
		return
	}
	rt.handle(s, sw, r)
}

// refusal returns why a connection may not use the API, or "" when it may.
func (s *Server) refusal(pi *peerInfo) string {
	if !peerCredsSupported {
		return ""
	}
	if pi == nil || pi.err != nil {
		var err error
		if pi != nil {
			err = pi.err
		}
		s.log.Warn("control request refused: could not tell who connected", "err", err)
		return "could not read the connecting process's credentials; the control API answers only its owner"
	}
	if pi.peer.UID != s.uid {
		s.log.Warn("control request refused: another user connected", "peer_uid", pi.peer.UID, "peer_pid", pi.peer.PID, "owner_uid", s.uid)
		return "the control API answers only its owner (uid " + strconv.Itoa(s.uid) + "); uid " + strconv.Itoa(pi.peer.UID) + " may not use it"
	}
	return ""
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	name, ok := s.profileOf(w, r, "")
	if !ok {
		return
	}
	if pe, isFleet := s.eng.(ProfileEngine); isFleet && name != "" {
		st, err := pe.ProfileStatus(name)
		s.writeProfileResult(w, st, err)
		return
	}
	writeJSON(w, http.StatusOK, s.eng.Status())
}

func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	name, ok := s.profileOf(w, r, "")
	if !ok {
		return
	}
	ctx, cancel := operationContext(r)
	defer cancel()
	if r.URL.Query().Get(InteractiveParam) == "1" {
		ctx = auth.Interactive(ctx, func(msg string) { s.log.Info("waiting for the keychain", "detail", msg) })
	}
	req := auth.RefreshRequest{User: true, Reason: "control API"}
	if pe, isFleet := s.eng.(ProfileEngine); isFleet && name != "" {
		st, err := pe.RefreshProfile(ctx, name, req)
		s.writeProfileResult(w, st, err)
		return
	}
	writeJSON(w, http.StatusOK, s.eng.Refresh(ctx, req))
}

type updateKeyBody struct {
	Key     *string `json:"key"`
	Verify  *bool   `json:"verify"`
	Profile string  `json:"profile"`
}

func (s *Server) handleUpdateKey(w http.ResponseWriter, r *http.Request) {
	var body updateKeyBody
	if !decodeBody(w, r, &body, false, `"key", "verify" and "profile"`) {
		return
	}
	name, ok := s.profileOf(w, r, body.Profile)
	if !ok {
		return
	}
	if body.Key == nil || strings.TrimSpace(*body.Key) == "" {
		writeError(w, http.StatusBadRequest, CodeMissingKey, `the body has no key; send {"key":"…"}`)
		return
	}
	raw := *body.Key
	verify := body.Verify == nil || *body.Verify
	ctx, cancel := operationContext(r)
	defer cancel()
	// A person is waiting at update-key or setup: the keychain may ask them to confirm (the CLI
	// tells them so while it waits).
	ctx = auth.Interactive(ctx, func(msg string) { s.log.Info("waiting for the keychain", "detail", msg) })
	var st auth.Status
	var err error
	if pe, isFleet := s.eng.(ProfileEngine); isFleet && name != "" {
		st, err = pe.UpdateProfileKey(ctx, name, raw, auth.UpdateOptions{Verify: verify, Origin: "api"})
	} else {
		st, err = s.eng.UpdateKey(ctx, raw, auth.UpdateOptions{Verify: verify, Origin: "api"})
	}
	if err == nil {
		writeJSON(w, http.StatusOK, st)
		return
	}
	msg := redactKey(err.Error(), raw)
	var kerr *auth.KeyError
	switch {
	case errors.Is(err, auth.ErrUnknownProfile):
		writeError(w, http.StatusNotFound, CodeUnknownProfile, msg)
	case errors.As(err, &kerr):
		writeError(w, http.StatusBadRequest, CodeInvalidKey, msg)
	case errors.Is(err, auth.ErrKeyRejected):
		writeError(w, http.StatusUnprocessableEntity, CodeKeyRejected, msg)
	case errors.Is(err, auth.ErrSourceIsAuthority):
		writeError(w, http.StatusConflict, CodeSourceConfigured, msg)
	case errors.Is(err, auth.ErrKeychainUnavailable):
		writeError(w, http.StatusInternalServerError, CodeKeychainUnavailable, msg)
	default:
		writeError(w, http.StatusInternalServerError, CodeInternal, msg)
	}
}

// redactKey masks the submitted key as sent, as ParseKey trims it and as CleanPaste finds it.
func redactKey(msg, raw string) string {
	msg = auth.Redact(msg, raw)
	if clean, _, err := auth.CleanPaste(raw); err == nil {
		msg = auth.Redact(msg, clean)
	}
	return auth.Redact(msg, strings.Trim(strings.TrimSuffix(strings.TrimSuffix(raw, "\n"), "\r"), " \t"))
}

// CallerKeyer is implemented by an engine that tracks who asks for the key (*auth.Engine):
// the key endpoint hands it the `key` process's pid from the socket's peer credentials, so it
// can tell Claude Code's retry after a 401 from an ordinary call.
type CallerKeyer interface {
	KeyForCaller(ctx context.Context, keyPID int) (auth.Key, error)
}

func (s *Server) handleKey(w http.ResponseWriter, r *http.Request) {
	name, ok := s.profileOf(w, r, "")
	if !ok {
		return
	}
	var k auth.Key
	var err error
	pid := 0
	if p, known := PeerFromContext(r.Context()); known {
		pid = p.PID
	}
	pe, isFleet := s.eng.(ProfileEngine)
	switch ck, tracks := s.eng.(CallerKeyer); {
	case isFleet && name != "":
		k, err = pe.KeyForProfile(r.Context(), name, pid)
	case tracks:
		k, err = ck.KeyForCaller(r.Context(), pid)
	default:
		k, err = s.eng.CurrentKey(r.Context())
	}
	if err != nil {
		switch {
		case errors.Is(err, auth.ErrUnknownProfile):
			writeError(w, http.StatusNotFound, CodeUnknownProfile, err.Error())
		case errors.Is(err, auth.ErrNoKey):
			writeError(w, http.StatusNotFound, CodeNoKey, err.Error())
		case errors.Is(err, auth.ErrKeychainUnavailable):
			writeError(w, http.StatusServiceUnavailable, CodeKeychainUnavailable, err.Error())
		default:
			writeError(w, http.StatusInternalServerError, CodeInternal, err.Error())
		}
		return
	}
	secret := k.Secret()
	h := w.Header()
	h["Content-Type"] = []string{"text/plain; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(secret))}
	h["Cache-Control"] = []string{"no-store"}
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, secret)
}

type authFailureBody struct {
	Origin  string `json:"origin"`
	Profile string `json:"profile"`
}

// maxOriginLen bounds the origin, which ends up in the log and a notification.
const maxOriginLen = 200

func (s *Server) handleAuthFailure(w http.ResponseWriter, r *http.Request) {
	var body authFailureBody
	if !decodeBody(w, r, &body, true, `"origin" and "profile"`) {
		return
	}
	name, ok := s.profileOf(w, r, body.Profile)
	if !ok {
		return
	}
	origin := body.Origin
	if origin == "" {
		origin = "control API"
	}
	if len(origin) > maxOriginLen || strings.IndexFunc(origin, func(c rune) bool { return c < 0x20 || c == 0x7f }) >= 0 {
		writeError(w, http.StatusBadRequest, CodeBadOrigin, "origin must be one line of at most "+strconv.Itoa(maxOriginLen)+" characters")
		return
	}
	ctx, cancel := operationContext(r)
	defer cancel()
	if pe, isFleet := s.eng.(ProfileEngine); isFleet {
		if name == "" {
			// A 401 seen by `run` belongs to the profile of the folder it runs in.
			pid := 0
			if p, known := PeerFromContext(r.Context()); known {
				pid = p.PID
			}
			name = pe.ProfileForPID(pid)
		}
		st, err := pe.ReportProfileAuthFailure(ctx, name, origin)
		s.writeProfileResult(w, st, err)
		return
	}
	writeJSON(w, http.StatusOK, s.eng.ReportAuthFailure(ctx, origin))
}

func operationContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), operationTimeout)
}

// decodeBody reads one JSON object into v strictly: no unknown fields, nothing after it, at most
// MaxBodyBytes. On failure it has written the error response and returns false. The messages
// never quote the body, which may hold a key.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, emptyOK bool, fields string) bool {
	if r.ContentLength > MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "the body is larger than "+strconv.Itoa(MaxBodyBytes)+" bytes")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) && emptyOK {
		return true
	}
	if err == nil {
		var extra json.RawMessage
		if err2 := dec.Decode(&extra); !errors.Is(err2, io.EOF) {
			if tooLarge(err2) {
				err = err2
			} else {
				writeError(w, http.StatusBadRequest, CodeTrailingData, "the body has data after its JSON object; send exactly one object")
				return false
			}
		}
	}
	if err == nil {
		return true
	}
	var typeErr *json.UnmarshalTypeError
	var synErr *json.SyntaxError
	switch {
	case tooLarge(err):
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "the body is larger than "+strconv.Itoa(MaxBodyBytes)+" bytes")
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, CodeBadJSON, "the body is empty; send a JSON object")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		writeError(w, http.StatusBadRequest, CodeUnknownField, "the body has a field this endpoint does not know; it takes only "+fields)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			writeError(w, http.StatusBadRequest, CodeBadJSON, "the body must be a JSON object")
		} else {
			writeError(w, http.StatusBadRequest, CodeBadJSON, "field "+strconv.Quote(field)+" must be a JSON "+typeErr.Type.String())
		}
	case errors.As(err, &synErr):
		writeError(w, http.StatusBadRequest, CodeBadJSON, "the body is not valid JSON (at byte "+strconv.FormatInt(synErr.Offset, 10)+")")
	case errors.Is(err, io.ErrUnexpectedEOF):
		writeError(w, http.StatusBadRequest, CodeBadJSON, "the body ends in the middle of its JSON")
	default:
		writeError(w, http.StatusBadRequest, CodeBadJSON, "the body could not be read as JSON")
	}
	return false
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// ErrorBody is every error response.
type ErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Error: msg, Code: code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"could not encode the response","code":"internal"}`)
	}
	b = append(b, '\n')
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	h["Cache-Control"] = []string{"no-store"}
	w.WriteHeader(status)
	w.Write(b)
}

// statusWriter remembers the status code for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return io.WriteString(w.ResponseWriter, s)
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
