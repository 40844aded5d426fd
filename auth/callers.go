package auth

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
)

// Claude Code caches the helper's answer for CLAUDE_CODE_API_KEY_HELPER_TTL_MS and runs the
// helper again early only after a 401. So the same Claude Code process asking again well within
// its TTL is a 401 it just got: the engine refreshes from the source before answering. These
// numbers shape that rule.
const (
	// DefaultHelperTTL is Claude Code's default CLAUDE_CODE_API_KEY_HELPER_TTL_MS.
	DefaultHelperTTL = 5 * time.Minute
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

// callerID names one process for its lifetime: a pid is reused, a pid with its start time is not.
type callerID struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

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
	c, ok := e.callers.observe(keyPID, e.opts.Paths, time.Now())
	if !ok || !c.retry {
		return e.CurrentKey(ctx)
	}
	fp := e.snapshot().fp
	e.log.Warn("Claude Code asked for the key again within its helper TTL: a 401 retry", "caller_pid", c.id.PID, "caller", c.info.name, "ttl", c.info.ttl.String(), "forced_refresh", c.force)
	e.countAuthFailure(c.who(), fp)
	if e.callers.inFile() {
		if c.force {
			e.inProcessAuthFailure(ctx, c)
		}
		return e.CurrentKey(ctx)
	}
	// A retry that may not force a refresh still waits for one that is running: it was slow,
	// and its key is the one to answer.
	done := e.callers.running()
	if c.force {
		done = e.callers.startForced()
		go func() {
			defer e.callers.endForced(done)
			e.authFailureEvent(context.WithoutCancel(ctx), AuthFailureOrigin(c.who(), "Claude Code retries with the current key"), true, true)
		}()
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
	return e.CurrentKey(ctx)
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
// refresh (nothing else would finish it) and shares "already told the user the key is
// rejected" with the next helper run through the state file.
func (e *Engine) inProcessAuthFailure(ctx context.Context, c helperCall) {
	if e.snapshot().id == "" {
		e.Load(ctx)
	}
	if id := e.snapshot().id; id != "" && e.callers.toldRejected() == id {
		e.notes.markActive("rejected:" + id)
	}
	e.authFailureEvent(ctx, AuthFailureOrigin(c.who(), "Claude Code retries with the current key"), true, true)
	after := e.snapshot()
	told := ""
	if after.result == ResultInvalid {
		told = after.id
	}
	e.callers.setToldRejected(told)
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
	id, ok := helperCaller(keyPID)
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
	retry, force := r.call(now)
	return helperCall{id: id, info: info, retry: retry, force: force}, true
}

// pruneLocked forgets processes that exited (or whose pid now names another process) and,
// past maxCallers, the least recently seen.
func (t *callerTracker) pruneLocked(now time.Time) {
	t.lastPrune = now
	for id := range t.info {
		if !processIs(id) {
			delete(t.info, id)
		}
	}
	for id := range t.records {
		if !processIs(id) {
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

// processIs reports whether id's process still runs.
func processIs(id callerID) bool {
	start, ok := procStart(id.PID)
	return ok && start == id.Start
}

// shellNames are interpreters between Claude Code and the `key` process: the `sh -c` that runs
// apiKeyHelper and any script in between.
var shellNames = map[string]bool{
	"sh": true, "dash": true, "bash": true, "rbash": true, "zsh": true, "ksh": true, "ksh93": true,
	"mksh": true, "pdksh": true, "ash": true, "busybox": true, "fish": true, "csh": true,
	"tcsh": true, "yash": true, "posh": true,
}

func isShell(exe string) bool { return shellNames[filepath.Base(exe)] }

// helperShellArgs reports whether argv is how Claude Code runs apiKeyHelper: `sh -c COMMAND`
// with COMMAND one word (the helper script, or a wrapper) or `… claude-keytray key`. A shell
// running anything else — a loop, Claude Code's Bash tool, a user's terminal — is not the
// helper being run, so what is above it is not the helper's caller.
func helperShellArgs(argv []string) bool {
	if len(argv) != 3 || argv[1] != "-c" || !isShell(argv[0]) {
		return false
	}
	cmd := strings.TrimSpace(argv[2])
	if _, ok := shWord(cmd); ok {
		return true
	}
	f := strings.Fields(cmd)
	if len(f) == 2 && f[1] == "key" {
		w, ok := shWord(f[0])
		return ok && strings.HasPrefix(filepath.Base(w), AppName)
	}
	return false
}

// isClaudeCode reports whether a process is Claude Code: the native `claude` binary (named
// claude.exe in the npm package, on Linux too; a version number under the native installer's
// versions folder), or node/bun running the @anthropic-ai/claude-code package.
func isClaudeCode(exe string, argv []string) bool {
	base := filepath.Base(exe)
	if base == "claude" || base == "claude.exe" || strings.Contains(filepath.ToSlash(exe), "/claude/versions/") {
		return true
	}
	if len(argv) > 0 {
		if a0 := filepath.Base(argv[0]); a0 == "claude" || a0 == "claude.exe" {
			return true
		}
	}
	if strings.HasPrefix(base, "node") || strings.HasPrefix(base, "bun") {
		for i, a := range argv {
			if i > 3 {
				break
			}
			if strings.Contains(filepath.ToSlash(a), "@anthropic-ai/claude-code") {
				return true
			}
		}
	}
	return false
}

// ttlEnv is Claude Code's helper cache lifetime, in milliseconds.
const ttlEnv = "CLAUDE_CODE_API_KEY_HELPER_TTL_MS"

// helperTTL is the caller's helper TTL: Claude Code applies its settings' "env" over its own
// environment, so managed, local, project and user settings are looked at first, then the
// process environment, then the default.
func helperTTL(environ []string, cwd string, p Paths) time.Duration {
	var files []string
	files = append(files, managedSettingsPath())
	if cwd != "" {
		files = append(files, filepath.Join(cwd, ".claude", "settings.local.json"), filepath.Join(cwd, ".claude", "settings.json"))
	}
	userDir := p.ClaudeDir
	if d, ok := lookupEnv(environ, "CLAUDE_CONFIG_DIR"); ok && d != "" {
		userDir = d
	} else if h, ok := lookupEnv(environ, "HOME"); ok && h != "" {
		userDir = filepath.Join(h, ".claude")
	}
	if userDir != "" {
		files = append(files, filepath.Join(userDir, "settings.json"))
	}
	for _, f := range files {
		if f == "" {
			continue
		}
		if ttl, ok := settingsTTL(f); ok {
			return ttl
		}
	}
	if v, ok := lookupEnv(environ, ttlEnv); ok {
		if ttl, ok := parseTTL(v); ok {
			return ttl
		}
	}
	return DefaultHelperTTL
}

func settingsTTL(path string) (time.Duration, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return 0, false
	}
	r := gjson.GetBytes(b, "env."+ttlEnv)
	if !r.Exists() {
		return 0, false
	}
	return parseTTL(r.String())
}

func parseTTL(v string) (time.Duration, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Millisecond, true
}

// inspectCaller learns whether pid is Claude Code, and its helper TTL.
func inspectCaller(pid int, p Paths) callerInfo {
	exe, argv := procExeArgs(pid)
	info := callerInfo{name: filepath.Base(exe)}
	if !isClaudeCode(exe, argv) {
		return info
	}
	info.claude = true
	environ, cwd := procEnvCwd(pid)
	info.ttl = helperTTL(environ, cwd, p)
	return info
}
