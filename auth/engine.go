package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/logging"
	"golang.org/x/sync/singleflight"
)

// ErrKeyRejected means the API refused a key (HTTP 401 or 403); the old key was kept.
var ErrKeyRejected = errors.New("the API rejected the key")

// KeyChecker asks the API about a key; *Checker is the real one.
type KeyChecker interface {
	Check(ctx context.Context, key Key) Validation
}

// Notifier shows a desktop notification. auth defines it; main wires the real one.
type Notifier interface {
	Notify(title, body string) error
}

// Options wire an Engine. Zero fields get working defaults where one exists.
type Options struct {
	Paths   Paths
	Config  Config
	Store   Store
	Checker KeyChecker
	// Source is where refreshes read the key; nil means the Store itself.
	Source Source
	// Exe is this program's absolute path, written into the helper script.
	Exe      string
	Logger   *slog.Logger
	Notifier Notifier
	// Environ and Cwd are what the conflicts check looks at; default os.Environ() and os.Getwd().
	Environ []string
	Cwd     string
	// Redactor learns every key the engine handles so the log can mask it; may be nil.
	Redactor *logging.Redactor
	// SecondaryProfile marks the engine of a profile other than default: what every profile
	// shares (the helper script, a credential that wins over it) is the default profile's
	// engine's to repair and announce.
	SecondaryProfile bool
	// Profile names the profile this engine serves ("" and "default" are the top-level key): an
	// edited config.json is applied as that profile's view of it (Config.ForProfile).
	Profile string
	// ClaudeCLI is the claude executable asked `claude auth status`; "" looks for claude on
	// PATH when the engine runs (Run) or doctor asks, "-" never asks.
	ClaudeCLI string
}

// Engine owns the key: it reads, stores, checks and refreshes it and reports status and events.
// The daemon and the tray run one long-lived Engine; CLI commands make a short-lived one when
// no daemon runs.
type Engine struct {
	opts   Options
	log    *slog.Logger
	events eventBus
	sf     singleflight.Group
	// refreshMu serialises refresh runs of different kinds.
	refreshMu sync.Mutex
	notes     notifyPolicy
	// callers tracks which Claude Code processes ask for the key, to see their 401 retries.
	callers callerTracker

	mu         sync.Mutex
	key        Key
	source     string
	updatedAt  *time.Time
	validation Validation
	storeErr   string
	refresh    RefreshStatus
	failures   AuthFailures
	// failuresMem counts episodes when state.json cannot be written.
	failuresMem failureState
	daemon      DaemonStatus
	lastCheck   time.Time
	// now reads the wall clock for the times status shows (nil: time.Now); tests move it.
	now func() time.Time
	// checkDue forces the next refresh to check the key (after an auth failure).
	checkDue bool
	// imported is set once CLAUDE_API_KEY has been considered, so it is imported at most once.
	imported bool
	backoff  time.Duration
	// problemsShown are the announcedProblems the last published status had.
	problemsShown map[string]bool
	// life is Run's context: when it ends (the daemon stops) so do refreshes in flight.
	life context.Context

	cliMu sync.Mutex
	cli   cliAnswer

	// nextAt is when the loop runs the next timer refresh (monotonic); wake tells it of a new plan.
	nextAt time.Time
	wake   chan struct{}
	// refreshing is set while a refresh runs: status then shows the next refresh as now.
	refreshing int
	// cfg and src are the config and source in force; a config edit replaces them (live.go).
	cfgMu sync.Mutex
	cfg   Config
	src   Source
	// helperMu serialises helper repairs.
	helperMu sync.Mutex
}

// New makes an Engine; call Load before the first Status.
func New(opts Options) *Engine {
	if opts.Checker == nil {
		opts.Checker = NewChecker()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Environ == nil {
		opts.Environ = os.Environ()
	}
	if opts.Cwd == "" {
		opts.Cwd, _ = os.Getwd()
	}
	if opts.Redactor == nil {
		opts.Redactor = &logging.Redactor{}
	}
	if opts.Store == nil {
		opts.Store = NewKeyringStore(opts.Config.KeychainTimeout())
	}
	e := &Engine{opts: opts, log: opts.Logger, wake: make(chan struct{}, 1), cfg: opts.Config, src: opts.Source}
	e.refresh.IntervalSeconds = int(opts.Config.RefreshInterval().Seconds())
	e.notes.notifier = opts.Notifier
	e.notes.log = opts.Logger
	if opts.Paths.NotesFile != "" {
		e.notes.file = opts.Paths.NotesFile
	} else if opts.Paths.StateDir != "" {
		e.notes.file = filepath.Join(opts.Paths.StateDir, "notified.json")
	}
	return e
}

// wallNow is the wall-clock time for stamps that are shown or saved, never for waiting.
func (e *Engine) wallNow() time.Time {
	if e.now != nil {
		return e.now()
	}
	return time.Now()
}

// Options returns the options the engine was made with.
func (e *Engine) Options() Options { return e.opts }

// Subscribe returns a channel of events and a function that ends the subscription.
func (e *Engine) Subscribe() (<-chan Event, func()) { return e.events.subscribe(16) }

// SetDaemon records who owns the engine, for status.
func (e *Engine) SetDaemon(d DaemonStatus) {
	e.mu.Lock()
	e.daemon = d
	e.mu.Unlock()
	e.publishStatus()
}

// Load reads the stored key and what state.json remembers about it. A keychain error is kept
// for status, not returned: the engine still runs and reports it.
func (e *Engine) Load(ctx context.Context) {
	k, err := readStored(ctx, e.opts.Store)
	st := loadKeyState(e.opts.Paths)
	e.mu.Lock()
	defer e.mu.Unlock()
	f := st.AuthFailures
	e.failures = AuthFailures{Count: f.Count, Last: f.Last, LastFingerprint: f.LastFingerprint}
	if err != nil {
		if !errors.Is(err, ErrNoKey) {
			e.storeErr = err.Error()
		}
		return
	}
	e.storeErr = ""
	e.opts.Redactor.Add(k.Secret())
	e.key = k
	e.source = e.opts.Store.Kind()
	if st.KeyID == keyID(k.Secret()) {
		e.updatedAt = st.UpdatedAt
		e.validation = st.Validation
		if st.Source != "" {
			e.source = st.Source
		}
		if st.Validation.CheckedAt != nil {
			e.lastCheck = *st.Validation.CheckedAt
		}
	}
}

// CurrentKey is the key to serve: the one in memory, else the store's. With no key stored
// and CLAUDE_API_KEY set, that key is imported first.
func (e *Engine) CurrentKey(ctx context.Context) (Key, error) {
	e.mu.Lock()
	k := e.key
	e.mu.Unlock()
	if !k.IsZero() {
		return k, nil
	}
	k, err := readStored(ctx, e.opts.Store)
	if errors.Is(err, ErrNoKey) {
		if ik, ierr := e.importEnvOnce(ctx); ierr == nil && !ik.IsZero() {
			return ik, nil
		}
		if ok, _ := e.sourceConfigured(); ok {
			e.Refresh(ctx, RefreshRequest{Reason: "no key stored yet"})
			e.mu.Lock()
			k = e.key
			e.mu.Unlock()
			if !k.IsZero() {
				return k, nil
			}
		}
	}
	if err != nil {
		return Key{}, err
	}
	e.mu.Lock()
	if e.key.IsZero() {
		e.key, e.source, e.storeErr = k, e.opts.Store.Kind(), ""
	}
	e.mu.Unlock()
	return k, nil
}

// UpdateOptions say how UpdateKey treats a new key.
type UpdateOptions struct {
	// Verify checks the key against the API first; a rejected key is refused.
	Verify bool
	// Origin is shown in the log and events: "cli", "api", "tray", "import", "command", "env".
	Origin string
}

// UpdateKey parses, checks and stores a new key. A malformed key returns a *KeyError; a key the
// API rejects returns ErrKeyRejected; with a source command configured, any other key than the
// one in use returns ErrSourceIsAuthority; in each case the old key stays. A check that says nothing
// (rate limit, outage, no network) stores the key as unverified.
func (e *Engine) UpdateKey(ctx context.Context, raw string, opt UpdateOptions) (Status, error) {
	k, notes, err := ParsePasted(raw)
	if err != nil {
		return e.Status(), err
	}
	e.opts.Redactor.Add(k.Secret())
	if len(notes) > 0 {
		e.log.Info("cleaned up the new key as pasted", "fingerprint", k.Fingerprint(), "origin", opt.Origin, "left_out", notes)
	}
	if err := e.sourceRefusal(k); err != nil {
		e.log.Warn("new key refused: a source command gives the key", "fingerprint", k.Fingerprint(), "origin", opt.Origin, "source", e.SourceSetting())
		return e.Status(), err
	}
	v := Validation{Result: ResultSkipped}
	if opt.Verify {
		v = e.opts.Checker.Check(ctx, k)
		if v.Result == ResultInvalid {
			e.log.Warn("new key refused: the API rejected it", "fingerprint", k.Fingerprint(), "origin", opt.Origin, "http_status", v.HTTPStatus, "detail", v.Detail)
			return e.Status(), fmt.Errorf("%w (HTTP %d: %s); the old key was kept", ErrKeyRejected, v.HTTPStatus, v.Detail)
		}
	}
	if err := e.store(ctx, k, v, sourceFor(opt.Origin, e.opts.Store.Kind())); err != nil {
		return e.Status(), err
	}
	e.emit(EventRotated, k.Fingerprint(), fmt.Sprintf("New key %s stored (%s)", k.Fingerprint(), originText(opt.Origin)))
	e.notes.clear("")
	return e.Status(), nil
}

func sourceFor(origin, storeKind string) string {
	switch origin {
	case "command":
		return "command"
	case "env":
		return "env"
	}
	return storeKind
}

func originText(origin string) string {
	switch origin {
	case "cli":
		return "from the command line"
	case "api":
		return "through the control API"
	case "tray":
		return "from the tray"
	case "import":
		return "imported"
	case "command":
		return "from the source command"
	case "env":
		return "imported from CLAUDE_API_KEY"
	case "keychain":
		return "changed in the keychain"
	}
	return origin
}

// store writes k to the store, reads it back to be sure, and makes it current.
func (e *Engine) store(ctx context.Context, k Key, v Validation, source string) error {
	if err := e.opts.Store.Set(ctx, k.Secret()); err != nil {
		e.log.Error("storing the key failed", "fingerprint", k.Fingerprint(), "err", err)
		return fmt.Errorf("storing the key in %s: %w", e.opts.Store.Where(), err)
	}
	if back, err := e.opts.Store.Get(ctx); err != nil || back != k.Secret() {
		if err == nil {
			err = errors.New("a different value came back")
		}
		return fmt.Errorf("reading the key back from %s after storing it: %w", e.opts.Store.Where(), err)
	}
	now := time.Now().UTC()
	e.mu.Lock()
	e.key, e.source, e.updatedAt, e.validation, e.storeErr = k, source, &now, v, ""
	if v.CheckedAt != nil {
		// The monotonic now rather than the checker's wall-clock stamp: see checkOverdue.
		e.lastCheck = time.Now()
	}
	e.mu.Unlock()
	e.saveState()
	e.log.Info("key stored", "fingerprint", k.Fingerprint(), "source", source, "validation", string(v.Result))
	return nil
}

func (e *Engine) saveState() {
	e.mu.Lock()
	st := keyState{KeyID: keyID(e.key.Secret()), Fingerprint: e.key.Fingerprint(), Source: e.source, UpdatedAt: e.updatedAt, Validation: e.validation}
	e.mu.Unlock()
	if err := saveKeyState(e.opts.Paths, st); err != nil {
		e.log.Warn("could not save state", "err", err)
	}
}

// Status is the status object as of now.
func (e *Engine) Status() Status {
	e.mu.Lock()
	s := Status{
		Validation:   e.validation,
		Refresh:      e.refresh,
		AuthFailures: e.failures,
		Daemon:       e.daemon,
	}
	s.Key = KeyStatus{Present: !e.key.IsZero()}
	if s.Key.Present {
		s.Key.Fingerprint = e.key.Fingerprint()
		s.Key.Source = e.source
		s.Key.UpdatedAt = e.updatedAt
		s.Key.Kind = e.key.Kind
		s.Key.Note = e.key.Note
	}
	storeErr := e.storeErr
	if e.refreshing > 0 && s.Refresh.Next != nil {
		// The refresh planned for Next is running: the next one is now, not in the past.
		if now := e.wallNow().UTC(); s.Refresh.Next.Before(now) {
			s.Refresh.Next = &now
		}
	}
	e.mu.Unlock()

	if s.Validation.Result == "" {
		s.Validation.Result = ResultSkipped
	}
	// The free-text fields carry what others wrote (an API body, a source's stderr, a keychain
	// error): everything that leaves the engine as status passes the same redaction as the log.
	s.Validation.Detail = e.opts.Redactor.Redact(s.Validation.Detail)
	s.Refresh.LastError = e.opts.Redactor.Redact(s.Refresh.LastError)
	s.Store = StoreStatus{Kind: e.opts.Store.Kind(), Where: e.opts.Store.Where(), Reachable: storeErr == "", Error: e.opts.Redactor.Redact(storeErr)}
	if e.opts.Store.Kind() == "file" {
		s.Warnings = append(s.Warnings, "the key is kept in a plaintext file ("+e.opts.Store.Where()+"), not in the keychain")
	}
	if s.Key.Note != "" {
		s.Warnings = append(s.Warnings, s.Key.Note)
	}
	s.Helper = claude.CheckHelper(e.opts.Paths.Claude.Helper, e.opts.Exe)
	s.ClaudeSettings = claude.SettingsStatusFor(e.opts.Paths.Claude, e.opts.Cwd, e.opts.Environ)
	if s.ClaudeSettings.Conflicts == nil {
		s.ClaudeSettings.Conflicts = []string{}
	}
	s.EffectiveCredential = e.credential()
	s.Problems = e.problemsOf(s, storeErr)
	s.State = stateOf(s, storeErr)
	return s
}

func (e *Engine) emit(kind EventKind, fp, msg string) {
	// The log records every event, so it tells what each refresh did, not only whether it worked.
	e.log.Info("event", "kind", string(kind), "fingerprint", fp, "message", msg)
	st := e.Status()
	e.events.publish(Event{Kind: kind, Time: time.Now().UTC(), Fingerprint: fp, Message: msg, Status: &st})
}

func (e *Engine) publishStatus() {
	st := e.Status()
	e.events.publish(Event{Kind: EventStatus, Time: time.Now().UTC(), Message: string(st.State), Status: &st})
	e.announceProblems(st)
}
