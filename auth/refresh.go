package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
)

// errSourceRejected marks a refresh that read a key the API rejects.
var errSourceRejected = errors.New("source gave a rejected key")

// RefreshRequest says why a refresh runs, which decides whether the key is checked.
type RefreshRequest struct {
	Reason string
	// User is a person asking (CLI, control API, tray): the key is checked against the API.
	User bool
	// AuthFailure is a 401 seen by `run` or Claude Code: the source is read and the key checked.
	AuthFailure bool
}

func (r RefreshRequest) checks() bool { return r.User || r.AuthFailure }

// Refresh runs DESIGN's "A refresh" once. Overlapping calls share one run: a timer refresh joins
// a running timer refresh, and user or 401 refreshes join a running checking refresh.
func (e *Engine) Refresh(ctx context.Context, req RefreshRequest) Status {
	group := "timer"
	if req.checks() {
		group = "check"
	}
	v, _, _ := e.sf.Do(group, func() (any, error) {
		rctx, cancel := e.detach(ctx)
		defer cancel()
		return e.refreshOnce(rctx, req), nil
	})
	return v.(Status)
}

// detach frees a shared run from the first caller's context, which may give up before the
// others, but ties it to Run's: a slow source must not hold up the daemon's exit.
func (e *Engine) detach(ctx context.Context) (context.Context, context.CancelFunc) {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.mu.Lock()
	life := e.life
	e.mu.Unlock()
	if life == nil {
		return rctx, cancel
	}
	stop := context.AfterFunc(life, cancel)
	return rctx, func() { stop(); cancel() }
}

func (e *Engine) refreshOnce(ctx context.Context, req RefreshRequest) Status {
	e.refreshMu.Lock()
	defer e.refreshMu.Unlock()
	e.mu.Lock()
	e.refreshing++
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.refreshing--
		e.mu.Unlock()
	}()
	start := time.Now()
	changed, readErr := e.readKey(ctx, req)
	if readErr != nil && ctx.Err() != nil {
		// The engine is stopping and cut the source short: not a failure to report.
		e.log.Info("refresh cut short: stopping", "reason", req.Reason)
		return e.Status()
	}
	e.repairHelper()

	e.mu.Lock()
	k := e.key
	due := changed || req.checks() || e.checkDue || checkOverdue(e.lastCheck, e.config().CheckInterval())
	e.mu.Unlock()
	if !k.IsZero() && due {
		e.checkKey(ctx, k, req)
	}

	now := e.wallNow().UTC()
	e.mu.Lock()
	e.refresh.Count++
	e.refresh.Last = &now
	wait := e.config().RefreshInterval()
	// A source's error may quote what it printed: every key the engine knows is masked in it.
	errText := e.opts.Redactor.Redact(errString(readErr))
	if readErr != nil {
		e.refresh.LastError = errText
		if e.backoff == 0 {
			e.backoff = 5 * time.Second
		} else {
			e.backoff *= 2
		}
		if e.backoff > wait {
			e.backoff = wait
		}
		wait = e.backoff
	} else {
		e.refresh.LastError = ""
		e.backoff = 0
	}
	next := now.Add(wait)
	e.refresh.Next = &next
	e.refresh.IntervalSeconds = int(e.config().RefreshInterval().Seconds())
	// The loop waits for this instant on the monotonic clock, and status shows it: the time
	// shown is the time the next refresh runs.
	e.nextAt = time.Now().Add(wait)
	e.mu.Unlock()
	e.wakeLoop()

	e.log.Info("refresh", "reason", req.Reason, "ok", readErr == nil, "err", errString(readErr), "took_ms", time.Since(start).Milliseconds(), "next_in", wait.String())
	switch {
	case errors.Is(readErr, errSourceRejected):
		// Already announced as a rejected source key.
	case readErr != nil:
		e.notes.once(profileID+"refresh_failed", noteRefreshFailed(errText, k.Fingerprint()))
		e.emit(EventRefreshFailed, k.Fingerprint(), errText)
	case e.notes.clear(profileID + "refresh_failed"):
		e.notes.event(profileID+"refresh_recovered", noteRefreshRecovered(k.Fingerprint()))
		e.emit(EventRecovered, k.Fingerprint(), "refresh works again")
	}
	e.publishStatus()
	return e.Status()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// readKey reads the key from its source and stores a new one. It reports whether the current
// key changed. A failure leaves the current key in place.
func (e *Engine) readKey(ctx context.Context, req RefreshRequest) (bool, error) {
	if e.currentSource() != nil {
		return e.readFromSource(ctx)
	}
	k, err := readStored(ctx, e.opts.Store)
	switch {
	case errors.Is(err, ErrNoKey):
		if k, ierr := e.importEnvOnce(ctx); ierr != nil {
			return false, ierr
		} else if !k.IsZero() {
			return true, nil
		}
		e.mu.Lock()
		had := !e.key.IsZero()
		e.key, e.source, e.updatedAt, e.storeErr = Key{}, "", nil, ""
		e.validation = Validation{}
		e.mu.Unlock()
		if had {
			e.log.Warn("the key was removed from the store", "where", e.opts.Store.Where())
			e.notes.once(profileID+"no_key", noteNoKey())
		}
		return had, nil
	case err != nil:
		// Keep serving the key in memory: a locked or restarting keychain must not stop Claude.
		e.mu.Lock()
		e.storeErr = err.Error()
		e.mu.Unlock()
		return false, err
	}
	e.opts.Redactor.Add(k.Secret())
	e.mu.Lock()
	e.storeErr = ""
	same := e.key.Secret() == k.Secret()
	e.mu.Unlock()
	if same {
		return false, nil
	}
	// Someone else (update-key without a daemon, a keychain editor) changed the stored key.
	v := e.opts.Checker.Check(ctx, k)
	now := time.Now().UTC()
	e.mu.Lock()
	e.key, e.source, e.updatedAt, e.validation = k, e.opts.Store.Kind(), &now, v
	e.lastCheck = time.Now()
	e.mu.Unlock()
	e.saveState()
	e.announceRotation(k, "changed in "+e.opts.Store.Where())
	e.afterCheck(k, v)
	return true, nil
}

func (e *Engine) readFromSource(ctx context.Context) (bool, error) {
	src := e.currentSource()
	out, err := src.Fetch(ctx)
	if err != nil {
		return false, err
	}
	raw, serr := sourceKey(out)
	if serr != nil {
		return false, fmt.Errorf("the source command printed something that is not a usable key: %v; kept the current key", serr)
	}
	k, notes, perr := ParsePasted(raw)
	if perr != nil {
		return false, fmt.Errorf("the source command printed something that is not a usable key: %v", perr)
	}
	e.opts.Redactor.Add(k.Secret())
	e.mu.Lock()
	same := e.key.Secret() == k.Secret()
	storeDown := e.storeErr != ""
	e.mu.Unlock()
	if len(notes) > 0 && !same {
		e.log.Info("the source printed more than the key; took the key out of it", "fingerprint", k.Fingerprint(), "left_out", notes)
	}
	if same {
		if storeDown {
			return false, e.syncStore(ctx, k)
		}
		return false, nil
	}
	v := e.opts.Checker.Check(ctx, k)
	if v.Result == ResultInvalid {
		msg := fmt.Sprintf("The source gave key %s, but the API rejects it (HTTP %d); the current key was kept.", k.Fingerprint(), v.HTTPStatus)
		e.log.Warn("source gave a rejected key; not stored", "fingerprint", k.Fingerprint(), "http_status", v.HTTPStatus, "detail", v.Detail)
		e.notes.once(profileID+"source_rejected:"+keyID(k.Secret()), noteSourceRejected(k.Fingerprint(), e.snapshot().fp))
		e.emit(EventSourceRejected, k.Fingerprint(), msg)
		return false, fmt.Errorf("%w %s (HTTP %d: %s); kept the current key", errSourceRejected, k.Fingerprint(), v.HTTPStatus, v.Detail)
	}
	if v.Result != ResultValid && !e.looksLikeKey(k) {
		// The API could not vouch for it (an outage, a rate limit): only something shaped like a
		// key may replace the one that works.
		e.log.Warn("source gave an unconfirmed token that does not look like a key; not stored", "fingerprint", k.Fingerprint(), "http_status", v.HTTPStatus, "detail", v.Detail)
		return false, fmt.Errorf("the source command printed %s, which is not shaped like an Anthropic key (%s…), and the API could not confirm it (%s); kept the current key. For a gateway token set key_pattern in %s", k.Fingerprint(), keyshape.PrefixAPI, unconfirmedWhy(v), e.opts.Paths.ConfigFile)
	}
	if err := e.store(ctx, k, v, src.Name()); err != nil {
		// The keychain is down: serve the new key from memory anyway and say so.
		now := time.Now().UTC()
		e.mu.Lock()
		e.key, e.source, e.updatedAt, e.validation, e.storeErr = k, src.Name(), &now, v, err.Error()
		e.mu.Unlock()
		e.announceRotation(k, "from the source command (not yet saved: "+err.Error()+")")
		return true, err
	}
	e.announceRotation(k, "from the source command")
	e.afterCheck(k, v)
	return true, nil
}

// looksLikeKey reports whether k has a shape a key from a source may have without the API's word
// for it: a whole Console key, or a gateway token that matches the config's key_pattern.
func (e *Engine) looksLikeKey(k Key) bool {
	return keyshape.IsConsoleKey(k.Secret()) || e.opts.Config.KeyPatternMatches(k.Secret())
}

// unconfirmedWhy says in a few words why a check gave no answer.
func unconfirmedWhy(v Validation) string {
	switch {
	case v.Detail != "":
		return v.Detail
	case v.HTTPStatus != 0:
		return fmt.Sprintf("HTTP %d", v.HTTPStatus)
	}
	return "no answer"
}

// syncStore runs while the store is known to be failing: it checks whether it is back and then
// makes sure it holds k, the key the source gives and the engine serves. A key rotated while the
// keychain was away is saved as soon as it returns, so a restart (or a helper call without the
// daemon) never falls back to the key it replaced.
func (e *Engine) syncStore(ctx context.Context, k Key) error {
	back, err := e.opts.Store.Get(ctx)
	if err != nil && !errors.Is(err, ErrNoKey) {
		e.mu.Lock()
		e.storeErr = err.Error()
		e.mu.Unlock()
		return fmt.Errorf("the key from the source is served but not saved: %w", err)
	}
	if back != k.Secret() {
		if err := e.opts.Store.Set(ctx, k.Secret()); err != nil {
			err = fmt.Errorf("the key from the source is served but not saved in %s: %w", e.opts.Store.Where(), err)
			e.mu.Lock()
			e.storeErr = err.Error()
			e.mu.Unlock()
			return err
		}
		e.log.Info("key saved now that the store is back", "fingerprint", k.Fingerprint(), "where", e.opts.Store.Where())
	}
	e.mu.Lock()
	e.storeErr = ""
	e.mu.Unlock()
	return nil
}

func (e *Engine) announceRotation(k Key, how string) {
	msg := fmt.Sprintf("Now using key %s (%s).", k.Fingerprint(), how)
	e.notes.clear(profileID + "rejected:")
	e.notes.clear(profileID + "no_key")
	e.notes.event(profileID+"rotated:"+keyID(k.Secret()), noteRotated(k.Fingerprint()))
	e.emit(EventRotated, k.Fingerprint(), msg)
}

// importEnvOnce stores CLAUDE_API_KEY when the store holds no key; it runs at most once per
// engine, so a key deleted on purpose is not brought back by every refresh.
func (e *Engine) importEnvOnce(ctx context.Context) (Key, error) {
	e.mu.Lock()
	done := e.imported
	e.imported = true
	e.mu.Unlock()
	raw, _ := claude.LookupEnv(e.opts.Environ, keyshape.EnvImport)
	if done || raw == "" {
		return Key{}, nil
	}
	st, err := e.UpdateKey(ctx, raw, UpdateOptions{Verify: true, Origin: "env"})
	if err != nil {
		return Key{}, fmt.Errorf("importing CLAUDE_API_KEY: %w", err)
	}
	_ = st
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.key, nil
}

// checkKey asks the API about k and records the answer. An answer that says nothing (429, 5xx,
// network) never marks a key down: the last real answer stands and the detail is logged.
func (e *Engine) checkKey(ctx context.Context, k Key, req RefreshRequest) {
	v := e.opts.Checker.Check(ctx, k)
	e.mu.Lock()
	if e.key.Secret() != k.Secret() {
		e.mu.Unlock()
		return
	}
	e.checkDue = false
	if v.CheckedAt != nil {
		// The monotonic now rather than the checker's wall-clock stamp: see checkOverdue.
		e.lastCheck = time.Now()
	}
	if v.Result == ResultUnknown && (e.validation.Result == ResultValid || e.validation.Result == ResultInvalid) {
		e.mu.Unlock()
		e.log.Warn("key check said nothing; keeping the last answer", "fingerprint", k.Fingerprint(), "http_status", v.HTTPStatus, "detail", v.Detail)
		return
	}
	e.validation = v
	e.mu.Unlock()
	e.saveState()
	e.log.Info("key checked", "fingerprint", k.Fingerprint(), "result", string(v.Result), "http_status", v.HTTPStatus, "reason", req.Reason)
	e.afterCheck(k, v)
}

// afterCheck turns a check into notifications and events: one "rejected" per key until it
// recovers, and a "recovered" when a rejected key is accepted again.
func (e *Engine) afterCheck(k Key, v Validation) {
	id := profileID + "rejected:" + keyID(k.Secret())
	switch v.Result {
	case ResultInvalid:
		msg := fmt.Sprintf("Claude rejects key %s — choose Update key… or run claude-keytray update-key.", k.Fingerprint())
		if !e.notes.isActive(id) {
			e.emit(EventRejected, k.Fingerprint(), msg)
		}
		e.notes.once(id, noteRejected(k.Fingerprint()))
	case ResultValid:
		if e.notes.clear(id) {
			msg := fmt.Sprintf("Key %s is accepted again.", k.Fingerprint())
			e.notes.event(profileID+"recovered:"+keyID(k.Secret()), noteKeyRecovered(k.Fingerprint()))
			e.emit(EventRecovered, k.Fingerprint(), msg)
		}
	}
}

// ReportAuthFailure records a 401 seen by a client, then refreshes from the source and checks
// the key before returning, so the caller can retry with whatever is current. origin names who
// saw it and, after "; ", what it does next (AuthFailureOrigin); the event sends exactly one
// notification (callers_report.go).
func (e *Engine) ReportAuthFailure(ctx context.Context, origin string) Status {
	return e.authFailureEvent(ctx, origin, false)
}

// repairHelper rewrites the helper script when Claude Code is wired to it but it is missing or
// changed; it never creates one for a user who has not run install.
func (e *Engine) repairHelper() {
	p := e.opts.Paths
	if e.opts.Exe == "" || e.opts.SecondaryProfile {
		return
	}
	// The watcher and a refresh may both find it missing: one repair, one notification.
	e.helperMu.Lock()
	defer e.helperMu.Unlock()
	if wired, _ := claude.SettingsWired(p.Claude.Settings, p.Claude.Helper); !wired {
		return
	}
	hs := claude.CheckHelper(p.Claude.Helper, e.opts.Exe)
	if hs.OK {
		return
	}
	if !claude.Runnable(e.opts.Exe) {
		// This engine's program was removed (a package upgrade): a helper pointing at it would
		// fail. Leave the helper to the install that replaced it.
		e.log.Warn("not repairing the helper: this program is gone", "exe", e.opts.Exe, "problem", hs.Problem)
		return
	}
	if other, ours := claude.HelperRuns(p.Claude.Helper); ours && other != e.opts.Exe && claude.Runnable(other) {
		// A newer install points the helper at another claude-keytray: that one wins, and this
		// engine (an older copy still running) must not undo it.
		e.log.Warn("not repairing the helper: it runs another installed claude-keytray", "helper_runs", other, "exe", e.opts.Exe)
		return
	}
	if err := claude.WriteHelper(p.Claude.Helper, e.opts.Exe); err != nil {
		e.log.Error("could not repair the helper script", "path", p.Claude.Helper, "problem", hs.Problem, "err", err)
		e.notes.once(profileID+"helper_broken", noteHelperBroken(hs.Problem))
		return
	}
	e.notes.clear(profileID + "helper_broken")
	e.notes.event(profileID+"helper_restored", noteHelperRestored())
	msg := fmt.Sprintf("The helper script %s was repaired (%s).", p.Claude.Helper, hs.Problem)
	e.log.Warn("helper script repaired", "path", p.Claude.Helper, "problem", hs.Problem)
	e.emit(EventHelperRepaired, "", msg)
}

// sourceConfigured reports whether refreshes read a source other than the store.
func (e *Engine) sourceConfigured() (bool, string) {
	src := e.currentSource()
	if src == nil {
		return false, ""
	}
	return true, src.Name()
}

// untilNext is how long the loop waits before the next timer refresh: until the instant the
// last refresh planned, on the monotonic clock. Not time.Until(refresh.Next): Next is wall-clock
// time, and a clock set back a day would stall the loop for a day, one set forward would make
// it refresh without pause.
func (e *Engine) untilNext() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.nextAt.IsZero() {
		return 0
	}
	return time.Until(e.nextAt)
}

// wakeLoop tells Run the schedule changed (a refresh of any kind planned the next one).
func (e *Engine) wakeLoop() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// checkOverdue reports whether an unchanged key is due for its periodic API check. last carries
// a monotonic reading when the check ran in this process, so no wall-clock jump moves it; a time
// read back from state.json has none, and one in the future (the clock went back since) counts
// as overdue instead of putting the check off by the size of the jump.
func checkOverdue(last time.Time, every time.Duration) bool {
	since := time.Since(last)
	return since < 0 || since >= every
}

// Run refreshes at once and then on the timer until ctx ends; every refresh, whoever asked
// for it, plans the next one, and the timer follows that plan. It also watches the files and
// the keychain item that status depends on, and asks `claude auth status` in the background.
// Nothing polls.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	e.life = ctx
	e.mu.Unlock()
	kick := make(chan struct{}, 1)
	e.startWatching(ctx, kick)
	go e.askClaudeLoop(ctx, kick)
	e.Refresh(ctx, RefreshRequest{Reason: "start"})
	for {
		t := time.NewTimer(max(e.untilNext(), 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-e.wake:
			t.Stop()
		case <-t.C:
			e.Refresh(ctx, RefreshRequest{Reason: "timer"})
		}
	}
}
