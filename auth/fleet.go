package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
)

// A Fleet is the engine of every profile (DESIGN "Profiles"): one Engine per profile, each with
// its own keychain item, source, API host, state file and refresh loop, and the rules that pick
// a profile for a helper call. The Engine stays the one-profile engine; the Fleet only wraps it.
// With no profiles configured it is today's single engine and nothing else.
type Fleet struct {
	opts FleetOptions
	// events carries every profile's events, each marked with its profile, and profile changes.
	events eventBus

	mu      sync.Mutex
	cfg     Config
	members map[string]*member
	binds   []resolvedBinding
	stamp   configStamp
	daemon  *DaemonStatus
	// life is Run's context; while it runs, a profile added to the config starts its loop.
	life  context.Context
	loops sync.WaitGroup
	// cwds caches the working folder of helper callers (a Claude Code process does not move).
	cwds map[callerID]string

	// statusMu makes each status, and its publication, one step after another: statusSeq
	// numbers them, so a status computed before another is never shown after it.
	statusMu  sync.Mutex
	statusSeq uint64
}

// member is one profile's engine and what it was made from.
type member struct {
	name    string
	pc      ProfileConfig
	baseURL string
	eng     *Engine
	stop    func()
}

// FleetOptions wire a Fleet. Base are the options of the default profile's engine, exactly as a
// single Engine was made before profiles; the others derive from them.
type FleetOptions struct {
	Base Options
	// ProfileStore makes a named profile's store; nil: the keychain item of account name (with
	// Base's store kind "file", the file ~/.claude/api_key.NAME).
	ProfileStore func(name string) Store
	// ProfileChecker checks keys against baseURL; nil: a Checker there. A profile without its own
	// base_url shares Base.Checker.
	ProfileChecker func(baseURL string) KeyChecker
	// ReloadConfig re-reads the config after config.json changed; nil: profiles never change
	// while the Fleet runs.
	ReloadConfig func() (Config, error)
}

// NewFleet makes the engines of every profile in opts.Base.Config; call Load before Status.
func NewFleet(opts FleetOptions) *Fleet {
	if opts.Base.Logger == nil {
		opts.Base.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Fleet{opts: opts, members: map[string]*member{}}
	f.stamp = statConfig(opts.Base.Paths.ConfigFile)
	f.apply(opts.Base.Config)
	return f
}

// ProfilePaths are p with the state files of profile name: default keeps state.json,
// callers.json and notified.json; another profile has state-NAME.json, callers-NAME.json and
// notified-NAME.json.
func ProfilePaths(p Paths, name string) Paths {
	if name == DefaultProfile {
		return p
	}
	p.StateFile = filepath.Join(p.StateDir, "state-"+name+".json")
	p.CallersFile = filepath.Join(p.StateDir, "callers-"+name+".json")
	p.NotesFile = filepath.Join(p.StateDir, "notified-"+name+".json")
	return p
}

// ProfileStore is the store of profile name next to base, the default profile's store.
func ProfileStore(base Store, name string, timeout time.Duration) Store {
	if name == DefaultProfile && base != nil {
		return base
	}
	switch s := base.(type) {
	case *FileStore:
		return &FileStore{Path: s.Path + "." + name}
	case *KeyringStore:
		return &KeyringStore{Service: s.Service, Account: name, Timeout: s.Timeout}
	}
	st := NewKeyringStore(timeout)
	st.Account = name
	return st
}

// apply makes the members match cfg: new profiles get an engine, removed ones stop, and one
// whose source or API host changed is made again. The default profile's engine is never
// replaced: it is today's engine, whatever the other profiles do.
func (f *Fleet) apply(cfg Config) (started []*member) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg = cfg
	for name, m := range f.members {
		if name == DefaultProfile {
			continue
		}
		pc, ok := cfg.Profiles[name]
		if !ok || pc != m.pc {
			if m.stop != nil {
				m.stop()
			}
			delete(f.members, name)
		}
	}
	for _, name := range cfg.ProfileNames() {
		if _, ok := f.members[name]; ok {
			continue
		}
		pc, _ := cfg.LookupProfile(name)
		m := f.newMember(name, pc)
		f.members[name] = m
		started = append(started, m)
	}
	f.binds = resolveBindings(cfg.Bindings)
	return started
}

// newMember makes profile name's engine; f.mu is held.
func (f *Fleet) newMember(name string, pc ProfileConfig) *member {
	o := f.opts.Base
	m := &member{name: name, pc: pc, baseURL: baseURLOf(o.Checker)}
	if name != DefaultProfile {
		o.Paths = ProfilePaths(o.Paths, name)
		if f.opts.ProfileStore != nil {
			o.Store = f.opts.ProfileStore(name)
		} else {
			o.Store = ProfileStore(o.Store, name, o.Config.KeychainTimeout())
		}
		o.Config, _ = o.Config.ForProfile(name)
		o.Config.SourceCommand = pc.SourceCommand
		o.Source = nil
		if pc.SourceCommand != "" {
			o.Source = &CommandSource{Command: pc.SourceCommand, Timeout: o.Config.SourceTimeout()}
		}
		if pc.BaseURL != "" {
			m.baseURL = pc.BaseURL
			if f.opts.ProfileChecker != nil {
				o.Checker = f.opts.ProfileChecker(pc.BaseURL)
			} else {
				o.Checker = &Checker{BaseURL: pc.BaseURL, Client: NewChecker().Client}
			}
		}
		// CLAUDE_API_KEY is the default profile's key to import, never another's.
		o.Environ = withoutEnv(o.Environ, keyshape.EnvImport)
		if o.Environ == nil {
			o.Environ = []string{}
		}
		if o.Logger != nil {
			o.Logger = o.Logger.With("profile", name)
		}
		// One helper serves every profile; the default profile's engine keeps it intact, and
		// asks `claude auth status` for all (the answer is about Claude Code, not a key).
		o.SecondaryProfile = true
		o.ClaudeCLI = "-"
		o.Profile = name
	}
	if o.Notifier != nil {
		o.Notifier = profileNotifier{f: f, name: name, next: o.Notifier}
	}
	m.eng = New(o)
	return m
}

func baseURLOf(c KeyChecker) string {
	if ch, ok := c.(*Checker); ok && ch != nil {
		return ch.BaseURL
	}
	if b := strings.TrimSpace(os.Getenv("ANTHROPIC_BASE_URL")); b != "" {
		return b
	}
	return DefaultBaseURL
}

func withoutEnv(environ []string, name string) []string {
	var out []string
	for _, kv := range environ {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// profileNotifier names the profile in each notification's title once there is more than one.
type profileNotifier struct {
	f    *Fleet
	name string
	next Notifier
}

func (n profileNotifier) Notify(title, body string) error {
	return n.NotifyNote(Note{Title: title, Body: body, Urgency: UrgencyNormal})
}

// NotifyNote keeps the urgency and actions of a richer notifier.
func (n profileNotifier) NotifyNote(note Note) error {
	if n.f.Count() > 1 {
		note.Title = ProfileTitle(note.Title, n.name)
	}
	if nn, ok := n.next.(NoteNotifier); ok {
		return nn.NotifyNote(note)
	}
	return n.next.Notify(note.Title, note.Body)
}

// ProfileTitle is a notification or menu title that names its profile.
func ProfileTitle(title, profile string) string { return title + " (" + profile + ")" }

// Load reads every profile's stored key and state.
func (f *Fleet) Load(ctx context.Context) {
	for _, m := range f.sorted() {
		m.eng.Load(ctx)
	}
	f.mu.Lock()
	d := f.daemon
	f.mu.Unlock()
	if d != nil {
		f.SetDaemon(*d)
	}
}

// Run runs every profile's refresh loop, each in its own goroutine so a slow source of one never
// delays another, until ctx ends.
func (f *Fleet) Run(ctx context.Context) error {
	f.mu.Lock()
	f.life = ctx
	ms := make([]*member, 0, len(f.members))
	for _, m := range f.members {
		ms = append(ms, m)
	}
	f.mu.Unlock()
	for _, m := range ms {
		f.start(m)
	}
	<-ctx.Done()
	f.loops.Wait()
	return nil
}

// start runs m's loop and forwards its events, under Run's context.
func (f *Fleet) start(m *member) {
	f.mu.Lock()
	life := f.life
	f.mu.Unlock()
	if life == nil {
		return
	}
	ctx, cancel := context.WithCancel(life)
	events, unsubscribe := m.eng.Subscribe()
	f.mu.Lock()
	m.stop = cancel
	f.mu.Unlock()
	f.loops.Add(2)
	go func() {
		defer f.loops.Done()
		_ = m.eng.Run(ctx)
	}()
	go func() {
		defer f.loops.Done()
		defer unsubscribe()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				f.forward(m.name, ev)
			}
		}
	}()
}

// forward republishes a profile's event on the fleet's bus with the whole status.
func (f *Fleet) forward(name string, ev Event) {
	ev.Profile = name
	f.reloadIfChanged()
	f.publishStatus(ev)
}

// Subscribe returns every profile's events (Event.Profile names it) and a status event after
// each change of the profiles.
func (f *Fleet) Subscribe() (<-chan Event, func()) { return f.events.subscribe(16) }

// Count is the number of profiles.
func (f *Fleet) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.members)
}

// sorted lists the members, default first, then by name.
func (f *Fleet) sorted() []*member {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*member, 0, len(f.members))
	for _, n := range f.cfg.ProfileNames() {
		if m := f.members[n]; m != nil {
			out = append(out, m)
		}
	}
	return out
}

// Config is the configuration the profiles were last made from.
func (f *Fleet) Config() Config {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg
}

// Engine is profile name's engine, or an *UnknownProfileError.
func (f *Fleet) Engine(name string) (*Engine, error) {
	f.reloadIfChanged()
	return f.engine(name)
}

// engine is Engine without looking at config.json first.
func (f *Fleet) engine(name string) (*Engine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := f.members[name]; m != nil {
		return m.eng, nil
	}
	return nil, &UnknownProfileError{Name: name, Known: f.cfg.ProfileNames()}
}

// Current is the name and engine of the profile a folder without a binding gets.
func (f *Fleet) Current() (string, *Engine) {
	f.reloadIfChanged()
	f.mu.Lock()
	defer f.mu.Unlock()
	name := f.cfg.CurrentProfile()
	if m := f.members[name]; m != nil {
		return name, m.eng
	}
	return DefaultProfile, f.members[DefaultProfile].eng
}

// Default is the engine of the profile named default (today's key).
func (f *Fleet) Default() *Engine {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.members[DefaultProfile].eng
}

// SetDaemon records who owns the engines, for every profile's status.
func (f *Fleet) SetDaemon(d DaemonStatus) {
	f.mu.Lock()
	f.daemon = &d
	f.mu.Unlock()
	for _, m := range f.sorted() {
		m.eng.SetDaemon(d)
	}
}

// Status is the current profile's status at the top level (as before profiles), with every
// profile's own status in Profiles.
func (f *Fleet) Status() Status {
	f.reloadIfChanged()
	f.statusMu.Lock()
	defer f.statusMu.Unlock()
	return f.statusLocked()
}

// publishStatus publishes ev with the status as it is now; no status computed later is
// published before it.
func (f *Fleet) publishStatus(ev Event) {
	f.statusMu.Lock()
	defer f.statusMu.Unlock()
	st := f.statusLocked()
	ev.Status = &st
	if ev.Kind == EventStatus {
		ev.Message = string(st.State)
	}
	f.events.publish(ev)
}

// statusLocked is Status, with statusMu held.
func (f *Fleet) statusLocked() Status {
	cfg := f.Config()
	cur := cfg.CurrentProfile()
	var top Status
	var all []Status
	for _, m := range f.sorted() {
		st := f.memberStatus(cfg, m)
		if m.name == cur {
			top = st
		}
		all = append(all, st)
	}
	top.Profiles = all
	f.statusSeq++
	top.Seq = f.statusSeq
	return top
}

func (f *Fleet) memberStatus(cfg Config, m *member) Status {
	st := m.eng.Status()
	st.Profile = m.name
	st.Default = m.name == cfg.CurrentProfile()
	st.BaseURL = m.baseURL
	st.Bindings = cfg.BindingsOf(m.name)
	if st.Bindings == nil {
		st.Bindings = []string{}
	}
	if m.name != DefaultProfile {
		// The fixes name the commands for this profile's key.
		ps := make([]Problem, len(st.Problems))
		for i, p := range st.Problems {
			p.Fix = forProfile(p.Fix, m.name)
			ps[i] = p
		}
		st.Problems = ps
	}
	return st
}

// forProfile makes the key commands in a fix act on profile name.
func forProfile(fix, name string) string {
	for _, c := range []string{"claude-keytray update-key", "claude-keytray import", "claude-keytray refresh"} {
		fix = strings.ReplaceAll(fix, c, c+" --profile "+name)
	}
	return fix
}

// ProfileStatus is one profile's status, shaped like the top level.
func (f *Fleet) ProfileStatus(name string) (Status, error) {
	f.reloadIfChanged()
	f.mu.Lock()
	m := f.members[name]
	cfg := f.cfg
	f.mu.Unlock()
	if m == nil {
		return Status{}, &UnknownProfileError{Name: name, Known: cfg.ProfileNames()}
	}
	return f.memberStatus(cfg, m), nil
}

// Refresh refreshes the current profile.
func (f *Fleet) Refresh(ctx context.Context, req RefreshRequest) Status {
	_, e := f.Current()
	e.Refresh(ctx, req)
	return f.Status()
}

// RefreshProfile refreshes profile name and returns its status.
func (f *Fleet) RefreshProfile(ctx context.Context, name string, req RefreshRequest) (Status, error) {
	e, err := f.Engine(name)
	if err != nil {
		return Status{}, err
	}
	e.Refresh(ctx, req)
	return f.ProfileStatus(name)
}

// UpdateKey stores a key in the current profile.
func (f *Fleet) UpdateKey(ctx context.Context, raw string, opt UpdateOptions) (Status, error) {
	name, _ := f.Current()
	if _, err := f.UpdateProfileKey(ctx, name, raw, opt); err != nil {
		return f.Status(), err
	}
	return f.Status(), nil
}

// UpdateProfileKey stores a key in profile name. A key belongs to one profile: another profile
// whose keychain item held the same key (it moved) has it deleted, unless a source gives it
// there.
func (f *Fleet) UpdateProfileKey(ctx context.Context, name, raw string, opt UpdateOptions) (Status, error) {
	e, err := f.Engine(name)
	if err != nil {
		return Status{}, err
	}
	st, err := e.UpdateKey(ctx, raw, opt)
	if err != nil {
		if pst, perr := f.ProfileStatus(name); perr == nil {
			st = pst
		}
		return st, err
	}
	if k, perr := ParseKey(raw); perr == nil {
		f.moveKey(ctx, name, k)
	}
	return f.ProfileStatus(name)
}

// moveKey takes k out of every other profile's keychain item.
func (f *Fleet) moveKey(ctx context.Context, to string, k Key) {
	for _, m := range f.sorted() {
		if m.name == to || m.eng.currentSource() != nil {
			continue
		}
		if err := m.eng.ForgetKey(ctx, k, "moved to profile "+to); err != nil {
			m.eng.log.Warn("could not remove a key that moved to another profile", "fingerprint", k.Fingerprint(), "to", to, "err", err)
		}
	}
}

// CurrentKey is the current profile's key.
func (f *Fleet) CurrentKey(ctx context.Context) (Key, error) {
	_, e := f.Current()
	return e.CurrentKey(ctx)
}

// KeyForCaller serves the helper call of the `key` process keyPID: the profile its caller's
// folder is bound to (ResolveProfile), with that profile's 401 bookkeeping.
func (f *Fleet) KeyForCaller(ctx context.Context, keyPID int) (Key, error) {
	name := f.ProfileForPID(keyPID)
	e, err := f.engine(name)
	if err != nil {
		return Key{}, err
	}
	return e.KeyForCaller(ctx, keyPID)
}

// KeyForProfile is KeyForCaller for a profile named by --profile or CLAUDE_KEYTRAY_PROFILE.
func (f *Fleet) KeyForProfile(ctx context.Context, name string, keyPID int) (Key, error) {
	e, err := f.Engine(name)
	if err != nil {
		return Key{}, err
	}
	return e.KeyForCaller(ctx, keyPID)
}

// ReportAuthFailure records a 401 against the current profile.
func (f *Fleet) ReportAuthFailure(ctx context.Context, origin string) Status {
	_, e := f.Current()
	e.ReportAuthFailure(ctx, origin)
	return f.Status()
}

// ReportProfileAuthFailure records a 401 against profile name only.
func (f *Fleet) ReportProfileAuthFailure(ctx context.Context, name, origin string) (Status, error) {
	e, err := f.Engine(name)
	if err != nil {
		return Status{}, err
	}
	e.ReportAuthFailure(ctx, origin)
	return f.ProfileStatus(name)
}

// UseProfile makes name the profile of folders without a binding (config.json's
// default_profile) and applies it at once.
func (f *Fleet) UseProfile(name string) error {
	if err := UseProfile(f.opts.Base.Paths.ConfigFile, name); err != nil {
		return err
	}
	return f.Reload()
}

// Reload reads the config again and applies its profiles and bindings.
func (f *Fleet) Reload() error {
	if f.opts.ReloadConfig == nil {
		return errors.New("this engine does not reload its config")
	}
	stamp := statConfig(f.opts.Base.Paths.ConfigFile)
	cfg, err := f.opts.ReloadConfig()
	if err != nil {
		f.opts.Base.Logger.Warn("config not applied", "err", err)
		return err
	}
	f.mu.Lock()
	f.stamp = stamp
	f.mu.Unlock()
	started := f.apply(cfg)
	for _, m := range started {
		m.eng.Load(context.Background())
		f.mu.Lock()
		d := f.daemon
		f.mu.Unlock()
		if d != nil {
			m.eng.SetDaemon(*d)
		}
		f.start(m)
	}
	f.opts.Base.Logger.Info("profiles", "names", strings.Join(cfg.ProfileNames(), ","), "default", cfg.CurrentProfile(), "bindings", len(cfg.Bindings))
	f.publishStatus(Event{Kind: EventStatus, Time: time.Now().UTC()})
	return nil
}

// reloadIfChanged applies config.json when it changed since it was last read: a stat per call,
// so `profile use` from a terminal reaches a running engine with its next request.
func (f *Fleet) reloadIfChanged() {
	if f.opts.ReloadConfig == nil {
		return
	}
	now := statConfig(f.opts.Base.Paths.ConfigFile)
	f.mu.Lock()
	same := now == f.stamp
	f.mu.Unlock()
	if !same {
		_ = f.Reload()
	}
}

// configStamp tells whether config.json changed without reading it.
type configStamp struct {
	mod  time.Time
	size int64
}

func statConfig(path string) configStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return configStamp{}
	}
	return configStamp{mod: fi.ModTime(), size: fi.Size()}
}

// ForgetKey deletes k from this engine's store when the store holds exactly k, and drops it
// from memory. why is logged.
func (e *Engine) ForgetKey(ctx context.Context, k Key, why string) error {
	cur, err := e.opts.Store.Get(ctx)
	if errors.Is(err, ErrNoKey) || (err == nil && cur != k.Secret()) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := e.opts.Store.Delete(ctx); err != nil {
		return fmt.Errorf("deleting the key from %s: %w", e.opts.Store.Where(), err)
	}
	e.mu.Lock()
	if e.key.Secret() == k.Secret() {
		e.key, e.source, e.updatedAt, e.validation = Key{}, "", nil, Validation{}
	}
	e.mu.Unlock()
	e.saveState()
	e.log.Info("key removed", "fingerprint", k.Fingerprint(), "why", why)
	e.publishStatus()
	return nil
}
