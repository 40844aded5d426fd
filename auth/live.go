package auth

import (
	"context"
	"path/filepath"
	"reflect"
	"sync"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/internal/watch"
)

// settleDelay lets a burst of changes (an editor's write-and-rename, install's several files)
// end before the engine looks: one look per burst, well within the 2 s a change may take to show.
const settleDelay = 150 * time.Millisecond

// What changed, as the watchers report it.
type changeKind int

const (
	changeClaude   changeKind = 1 << iota // Claude's folder, settings at any level, shell start-up files
	changeConfig                          // config.json
	changeKeychain                        // the Secret Service item
)

// config is the config in force: the one the engine was made with, or the last edit of config.json.
func (e *Engine) config() Config {
	e.cfgMu.Lock()
	defer e.cfgMu.Unlock()
	return e.cfg
}

// currentSource is the source in force, nil for the store itself.
func (e *Engine) currentSource() Source {
	e.cfgMu.Lock()
	defer e.cfgMu.Unlock()
	return e.src
}

// ReloadConfig applies an edited config.json without a restart: the source command, its
// timeout, the refresh and check intervals, notifications. It reports whether anything the
// refresh loop uses changed. A source given in Options that is not a command (a test's) stays.
func (e *Engine) ReloadConfig(cfg Config) bool {
	e.cfgMu.Lock()
	old := e.cfg
	e.cfg = cfg
	_, isCommand := e.src.(*CommandSource)
	if e.src == nil || isCommand {
		if cfg.SourceCommand == "" {
			e.src = nil
		} else {
			e.src = &CommandSource{Command: cfg.SourceCommand, Timeout: cfg.SourceTimeout()}
		}
	}
	e.cfgMu.Unlock()
	e.notes.setEnabled(cfg.NotificationsOn())
	changed := !reflect.DeepEqual(old, cfg)
	if changed {
		e.log.Info("config reloaded", "path", e.opts.Paths.ConfigFile, "source_command_set", cfg.SourceCommand != "", "interval", cfg.RefreshInterval().String())
	}
	return changed
}

// watchTargets are the files whose change can change the status, by kind.
func (e *Engine) watchTargets() map[string]changeKind {
	p := e.opts.Paths
	t := map[string]changeKind{
		p.Claude.Dir:        changeClaude,
		p.ConfigFile:        changeConfig,
		claude.ManagedDir(): changeClaude,
	}
	if d := claude.ManagedDir(); d != "" {
		t[filepath.Join(d, "managed-settings.d")] = changeClaude
	}
	for _, f := range claude.SettingsLevels(p.Claude, p.Home) {
		t[f] = changeClaude
	}
	if p.Home != "" {
		for _, rc := range claude.ShellStartupFiles {
			t[filepath.Join(p.Home, filepath.FromSlash(rc))] = changeClaude
		}
	}
	delete(t, "")
	return t
}

// startWatching watches the files and the keychain item status depends on; each burst of
// changes leads to one look (onChanges). kick asks `claude auth status` again.
func (e *Engine) startWatching(ctx context.Context, kick chan<- struct{}) {
	var mu sync.Mutex
	var pending changeKind
	var timer *time.Timer
	note := func(k changeKind) {
		mu.Lock()
		defer mu.Unlock()
		pending |= k
		if timer != nil {
			return
		}
		timer = time.AfterFunc(settleDelay, func() {
			mu.Lock()
			k := pending
			pending, timer = 0, nil
			mu.Unlock()
			if ctx.Err() == nil {
				e.onChanges(ctx, k, kick)
			}
		})
	}
	targets := e.watchTargets()
	paths := make([]string, 0, len(targets))
	for p := range targets {
		paths = append(paths, p)
	}
	if w, err := watch.New(paths); err != nil {
		e.log.Warn("cannot watch files; changes show at the next refresh", "err", err)
	} else {
		go w.Run(ctx, func(target string) { note(targets[target]) })
	}
	if e.opts.Store.Kind() == "keychain" {
		if err := watch.SecretService(ctx, func() { note(changeKeychain) }); err != nil {
			e.log.Info("no keychain change signals; keychain changes show at the next refresh", "err", err)
		}
	}
}

// onChanges looks again at what changed: a config edit takes effect and refreshes, a keychain
// change is read (or, with a source, the item is put back), and a change on Claude Code's side
// repairs the helper when the settings still name it and asks the CLI again. Status follows.
func (e *Engine) onChanges(ctx context.Context, k changeKind, kick chan<- struct{}) {
	if k&changeConfig != 0 {
		cfg, err := LoadConfig(e.opts.Paths.ConfigFile)
		if err == nil {
			cfg, err = cfg.ForProfile(e.opts.Profile)
		}
		switch {
		case err != nil:
			e.log.Warn("the edited config is not valid; keeping the one in force", "err", err)
		case e.ReloadConfig(cfg):
			e.Refresh(ctx, RefreshRequest{Reason: "config changed"})
		}
	}
	if k&changeKeychain != 0 {
		e.onKeychainChange(ctx)
	}
	if k&changeClaude != 0 {
		e.repairHelper()
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	e.publishStatus()
}

// onKeychainChange reads the store again. Without a source the store is the truth: a new key
// is taken, a deleted one leaves no key. With a source, the engine's key is put back.
func (e *Engine) onKeychainChange(ctx context.Context) {
	if e.currentSource() == nil {
		e.Refresh(ctx, RefreshRequest{Reason: "keychain changed"})
		return
	}
	// The key is read under refreshMu: a signal from our own write may wait here while a
	// refresh stores a newer key, and the key read before that wait would be put back over it.
	e.refreshMu.Lock()
	defer e.refreshMu.Unlock()
	e.mu.Lock()
	k := e.key
	e.mu.Unlock()
	if k.IsZero() {
		return
	}
	if back, err := e.opts.Store.Get(ctx); err == nil && back == k.Secret() {
		return
	}
	e.mu.Lock()
	e.storeErr = "the keychain item changed"
	e.mu.Unlock()
	if err := e.syncStore(ctx, k); err != nil {
		e.log.Warn("could not put the key back in the keychain", "err", err)
	}
}
