package auth

import (
	"path/filepath"
	"runtime"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/internal/procchain"
)

// resolvedBinding is a binding with the folder as written and as the kernel names it (links
// resolved): a process's working folder read from /proc is always the resolved one.
type resolvedBinding struct {
	dir, real, profile string
}

func resolveBindings(bs []Binding) []resolvedBinding {
	out := make([]resolvedBinding, 0, len(bs))
	for _, b := range bs {
		dir := filepath.Clean(b.Dir)
		real := dir
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			real = r
		}
		out = append(out, resolvedBinding{dir: dir, real: real, profile: b.Profile})
	}
	return out
}

// ResolveProfile is the profile for a helper call from folder cwd: the binding whose folder is
// the longest prefix of cwd, else the default profile. cwd "" (not known: Windows, a
// process that is gone) gets the default profile.
func ResolveProfile(cfg Config, cwd string) string {
	return pickBinding(resolveBindings(cfg.Bindings), cfg.CurrentProfile(), cwd)
}

func pickBinding(binds []resolvedBinding, fallback, cwd string) string {
	if cwd == "" || len(binds) == 0 {
		return fallback
	}
	cwd = filepath.Clean(cwd)
	best, bestLen := fallback, -1
	for _, b := range binds {
		for _, d := range [2]string{b.real, b.dir} {
			if within(cwd, d) && len(d) > bestLen {
				best, bestLen = b.profile, len(d)
			}
		}
	}
	return best
}

// within reports whether path is dir or inside it, by whole path elements: /src/work2 is not
// inside /src/work.
func within(path, dir string) bool {
	if runtime.GOOS == "windows" {
		path, dir = strings.ToLower(path), strings.ToLower(dir)
	}
	if path == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(path, dir)
}

// ProfileForPID is the profile for the `key` process keyPID (the control socket's peer, or this
// process without a daemon): the folder of its caller when that is Claude Code (the process the
// 401 bookkeeping finds), else the folder keyPID itself runs in, matched against the bindings.
// Without bindings nothing is read.
func (f *Fleet) ProfileForPID(keyPID int) string {
	f.reloadIfChanged()
	f.mu.Lock()
	binds, fallback := f.binds, f.cfg.CurrentProfile()
	f.mu.Unlock()
	if len(binds) == 0 || keyPID <= 0 {
		return fallback
	}
	return pickBinding(binds, fallback, f.callerCwd(keyPID))
}

// callerCwd is the working folder that decides keyPID's profile. A Claude Code process's folder
// is read once: it does not change for its lifetime.
func (f *Fleet) callerCwd(keyPID int) string {
	id, ok := procchain.Caller(keyPID, claude.IsHelperShell)
	if !ok {
		return procchain.Cwd(keyPID)
	}
	f.mu.Lock()
	cwd, known := f.cwds[id]
	f.mu.Unlock()
	if known {
		return cwd
	}
	exe, argv := procchain.ExeArgs(id.PID)
	if !claude.IsClaudeCode(exe, argv) {
		return procchain.Cwd(keyPID)
	}
	cwd = procchain.Cwd(id.PID)
	if cwd == "" {
		return ""
	}
	f.mu.Lock()
	if f.cwds == nil || len(f.cwds) >= 4*maxCallers {
		f.cwds = map[callerID]string{}
	}
	f.cwds[id] = cwd
	f.mu.Unlock()
	return cwd
}
