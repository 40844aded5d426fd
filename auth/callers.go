package auth

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/internal/procchain"
)

// Claude Code caches the helper's answer for CLAUDE_CODE_API_KEY_HELPER_TTL_MS and runs the
// helper again early only after a 401. So the same Claude Code process asking again well within
// its TTL is a 401 it just got: the engine refreshes from the source before answering. These
// numbers shape that rule.
const (
	// minTrackedTTL: with a shorter TTL Claude Code asks so often that a retry looks like any call.
	minTrackedTTL = 10 * time.Second
	// forcedRefreshGap rate-limits forced refreshes per caller; a key that stays rejected makes
	// Claude Code call back about ten times within a couple of minutes.
	forcedRefreshGap = 10 * time.Second
	// forcedRefreshBudget is how long the daemon's answer waits for a forced refresh; the `key`
	// client gives up after control.KeyTimeout (2 s). A slower refresh finishes in the background
	// and Claude Code's next retry gets its result.
	forcedRefreshBudget = 1500 * time.Millisecond
	// pruneEvery is how often records of processes that exited are dropped.
	pruneEvery = 30 * time.Second
	// maxCallers bounds the records kept; the least recently seen go first.
	maxCallers = 256
)

// callerID names one process for its lifetime.
type callerID = procchain.ID

// callerInfo is what was learnt about a caller when it was first seen.
type callerInfo struct {
	claude bool
	// name is the executable's base name, for the log.
	name string
	ttl  time.Duration
}

// callerRecord is one Claude Code process's helper calls. It holds pids and times, never a key.
type callerRecord struct {
	callerID
	TTLms  int64     `json:"ttl_ms"`
	Last   time.Time `json:"last"`
	Forced time.Time `json:"forced,omitzero"`
	// Served is the key (truncated hash and fingerprint) last handed to this process, Prev
	// the one before: a 401 is for one of them.
	Served   servedKey `json:"served,omitzero"`
	Prev     servedKey `json:"prev,omitzero"`
	ServedAt time.Time `json:"served_at,omitzero"`
}

// servedKey names a key handed to a caller without holding it.
type servedKey struct {
	ID string `json:"id,omitempty"`
	FP string `json:"fp,omitempty"`
}

// staleWindow is how soon after being handed the current key a session's 401 is taken for its
// cached old key: Claude Code sends that once more while it re-runs the helper.
const staleWindow = 15 * time.Second

// serve records that k was handed to the process.
func (r *callerRecord) serve(k keySnapshot, now time.Time) {
	if k.id == "" {
		return
	}
	if r.Served.ID != k.id {
		r.Prev = r.Served
	}
	r.Served, r.ServedAt = servedKey{k.id, k.fp}, now
}

// rejectedKey is the key a retry at now tells was refused, judged with current, the key in use
// after the refresh: the current key when the API rejects it; the one before when the session
// was handed the current key moments ago (it sent its cached old one); else the one it had.
func (r callerRecord) rejectedKey(current keySnapshot, now time.Time) keySnapshot {
	switch {
	case r.Served.ID == "":
		return current
	case current.result == ResultInvalid && r.Served.ID == current.id:
		return current
	case r.Served.ID == current.id && r.Prev.ID != "" && r.Prev.ID != current.id && now.Sub(r.ServedAt) < staleWindow:
		return keySnapshot{id: r.Prev.ID, fp: r.Prev.FP}
	}
	return keySnapshot{id: r.Served.ID, fp: r.Served.FP}
}

// call records a helper call at now and says whether it is a 401 retry (well within the TTL of
// the previous call) and whether it may force a refresh (at most one per forcedRefreshGap).
func (r *callerRecord) call(now time.Time) (retry, force bool) {
	ttl := time.Duration(r.TTLms) * time.Millisecond
	since := now.Sub(r.Last)
	r.Last = now
	if ttl < minTrackedTTL || since < 0 || since >= ttl-ttl/10 {
		return false, false
	}
	if !r.Forced.IsZero() && now.Sub(r.Forced) < forcedRefreshGap && now.Sub(r.Forced) >= 0 {
		return true, false
	}
	r.Forced = now
	return true, true
}

// callerTracker is the engine's record of Claude Code processes calling the helper. In the
// daemon it lives in memory; a `key` command running without a daemon keeps it in a small state
// file instead (TrackCallersInFile), so consecutive helper runs see each other.
type callerTracker struct {
	// pending counts notifications still being sent in the background.
	pending sync.WaitGroup

	mu        sync.Mutex
	file      string
	info      map[callerID]callerInfo
	records   map[callerID]*callerRecord
	lastPrune time.Time
	// inflight is closed when the running forced refresh ends; nil when none runs.
	inflight chan struct{}
}

// helperCall is the verdict on one call of the `key` command.
type helperCall struct {
	id    callerID
	info  callerInfo
	retry bool
	force bool
	// rec is the caller's record as it was before this call.
	rec callerRecord
}

func (c helperCall) who() string {
	return "Claude Code (pid " + strconv.Itoa(c.id.PID) + ")"
}

// TrackCallersInFile keeps the caller records in path (mode 0600, pids and times only) instead
// of memory, for a `key` command that runs without a daemon.
func (e *Engine) TrackCallersInFile(path string) {
	e.callers.mu.Lock()
	e.callers.file = path
	e.callers.mu.Unlock()
}

// KeyForCaller is CurrentKey for the `key` command whose pid is keyPID (the control socket's
// peer, or this process without a daemon). When the process that ran the helper is Claude Code
// and it asks again well within its helper TTL, that is its retry after a 401: the call is
// counted in auth_failures and the key is refreshed from its source before the answer (at most
// once per 10 s per process), with one notification. Other callers — scripts, loops,
// benchmarks, new Claude Code processes — just get the key.
func (e *Engine) KeyForCaller(ctx context.Context, keyPID int) (Key, error) {
	now := time.Now()
	c, ok := e.callers.observe(keyPID, e.opts.Paths, now)
	if !ok {
		return e.CurrentKey(ctx)
	}
	if !c.retry {
		k, err := e.CurrentKey(ctx)
		e.callers.served(c.id, e.snapshot(), now)
		return k, err
	}
	e.log.Warn("Claude Code asked for the key again within its helper TTL: a 401 retry", "caller_pid", c.id.PID, "caller", c.info.name, "ttl", c.info.ttl.String(), "forced_refresh", c.force)
	count := func() {
		cur := e.snapshot()
		e.countAuthFailure(c.who(), episodeWho(c.id), c.rec.rejectedKey(cur, now))
	}
	if e.callers.inFile() {
		if c.force {
			e.inProcessAuthFailure(ctx, c)
		}
		count()
		k, err := e.CurrentKey(ctx)
		e.callers.served(c.id, e.snapshot(), time.Now())
		return k, err
	}
	// A retry that may not force a refresh still waits for one that is running: it was slow,
	// and its key is the one to answer.
	done := e.callers.running()
	if c.force {
		done = e.callers.startForced()
		go func() {
			defer e.callers.endForced(done)
			e.authFailureEvent(context.WithoutCancel(ctx), AuthFailureOrigin(c.who(), "Claude Code retries with the current key"), true)
			count()
		}()
	} else {
		count()
	}
	if done != nil {
		t := time.NewTimer(forcedRefreshBudget)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			e.log.Warn("forced refresh still running; answering with the current key", "caller_pid", c.id.PID, "budget", forcedRefreshBudget.String())
		case <-ctx.Done():
		}
	}
	k, err := e.CurrentKey(ctx)
	e.callers.served(c.id, e.snapshot(), time.Now())
	return k, err
}

// episodeWho names a process for the episode count: pid and start time, so a reused pid is
// another process.
func episodeWho(id callerID) string {
	return "pid " + strconv.Itoa(id.PID) + " started " + strconv.FormatUint(id.Start, 10)
}

func (t *callerTracker) running() chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.inflight
}

func (t *callerTracker) startForced() chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	ch := make(chan struct{})
	t.inflight = ch
	return ch
}

func (t *callerTracker) endForced(ch chan struct{}) {
	t.mu.Lock()
	if t.inflight == ch {
		t.inflight = nil
	}
	t.mu.Unlock()
	close(ch)
}

// inProcessAuthFailure runs the event in a `key` process without a daemon: it waits for the
// refresh (nothing else would finish it); the notification ledger in the state folder keeps the
// helper's runs from announcing what another already did.
func (e *Engine) inProcessAuthFailure(ctx context.Context, c helperCall) {
	if e.snapshot().id == "" {
		e.Load(ctx)
	}
	e.authFailureEvent(ctx, AuthFailureOrigin(c.who(), "Claude Code retries with the current key"), true)
}

// served records the key handed to a Claude Code process, for telling later which key its
// 401 was for.
func (t *callerTracker) served(id callerID, k keySnapshot, now time.Time) {
	t.mu.Lock()
	file := t.file
	if file == "" {
		if r := t.records[id]; r != nil {
			r.serve(k, now)
		}
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	t.servedInFile(file, id, k, now)
}

func (t *callerTracker) inFile() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.file != ""
}

// observe identifies the caller of the `key` process keyPID and records the call.
func (t *callerTracker) observe(keyPID int, p Paths, now time.Time) (helperCall, bool) {
	if keyPID <= 0 {
		return helperCall{}, false
	}
	id, ok := procchain.Caller(keyPID, claude.IsHelperShell)
	if !ok {
		return helperCall{}, false
	}
	t.mu.Lock()
	file := t.file
	info, known := t.info[id]
	t.mu.Unlock()
	if file != "" {
		return t.observeInFile(file, id, p, now)
	}
	if !known {
		info = inspectCaller(id.PID, p)
		t.mu.Lock()
		if t.info == nil {
			t.info = map[callerID]callerInfo{}
		}
		t.info[id] = info
		t.mu.Unlock()
	}
	if !info.claude {
		return helperCall{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.records == nil {
		t.records = map[callerID]*callerRecord{}
	}
	if now.Sub(t.lastPrune) >= pruneEvery || len(t.records) >= maxCallers {
		t.pruneLocked(now)
	}
	r := t.records[id]
	if r == nil {
		t.records[id] = &callerRecord{callerID: id, TTLms: info.ttl.Milliseconds(), Last: now}
		return helperCall{id: id, info: info}, true
	}
	rec := *r
	retry, force := r.call(now)
	return helperCall{id: id, info: info, retry: retry, force: force, rec: rec}, true
}

// pruneLocked forgets processes that exited (or whose pid now names another process) and,
// past maxCallers, the least recently seen.
func (t *callerTracker) pruneLocked(now time.Time) {
	t.lastPrune = now
	for id := range t.info {
		if !procchain.Alive(id) {
			delete(t.info, id)
		}
	}
	for id := range t.records {
		if !procchain.Alive(id) {
			delete(t.records, id)
		}
	}
	for len(t.records) >= maxCallers {
		var oldest callerID
		first := true
		for id, r := range t.records {
			if first || r.Last.Before(t.records[oldest].Last) {
				oldest, first = id, false
			}
		}
		delete(t.records, oldest)
	}
	if len(t.info) > 4*maxCallers {
		t.info = map[callerID]callerInfo{}
	}
}

// inspectCaller learns whether pid is Claude Code, and its helper TTL.
func inspectCaller(pid int, p Paths) callerInfo {
	exe, argv := procchain.ExeArgs(pid)
	info := callerInfo{name: filepath.Base(exe)}
	if !claude.IsClaudeCode(exe, argv) {
		return info
	}
	info.claude = true
	environ, cwd := procchain.EnvCwd(pid)
	info.ttl = claude.HelperTTL(environ, cwd, p.Claude)
	return info
}
