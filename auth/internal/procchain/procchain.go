// Package procchain reads a process's chain of parents and what each one runs (/proc on Linux,
// sysctl on macOS), so that the engine can tell which program ran the helper. Elsewhere it
// knows nothing and says so.
package procchain

import "path/filepath"

// ID names one process for its lifetime: a pid is reused, a pid with its start time is not.
type ID struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// maxShellHops bounds the walk: sh -c, maybe a wrapper script, maybe its sh.
const maxShellHops = 4

// shellNames are interpreters between a program and a command it runs: the `sh -c` that runs a
// helper and any script in between.
var shellNames = map[string]bool{
	"sh": true, "dash": true, "bash": true, "rbash": true, "zsh": true, "ksh": true, "ksh93": true,
	"mksh": true, "pdksh": true, "ash": true, "busybox": true, "fish": true, "csh": true,
	"tcsh": true, "yash": true, "posh": true,
}

// IsShell reports whether exe is a shell.
func IsShell(exe string) bool { return shellNames[filepath.Base(exe)] }

// entry is what one hop of the walk needs to know of a process.
type entry struct {
	ppid  int
	start uint64
	exe   string
	argv  []string
}

// Caller returns the nearest ancestor of pid that is not a shell. When shells stand in between,
// viaHelper must accept the argv of the one nearest that ancestor (the shell it started):
// otherwise pid was not started the way the caller is looked for, and there is no answer.
func Caller(pid int, viaHelper func(argv []string) bool) (ID, bool) {
	self, ok := lookup(pid)
	if !ok {
		return ID{}, false
	}
	next := self.ppid
	var top []string
	shells := 0
	for hop := 0; hop <= maxShellHops && next > 1; hop++ {
		p, ok := lookup(next)
		if !ok {
			return ID{}, false
		}
		if !IsShell(p.exe) {
			if shells > 0 && !viaHelper(top) {
				return ID{}, false
			}
			return ID{PID: next, Start: p.start}, true
		}
		shells++
		top = p.argv
		next = p.ppid
	}
	return ID{}, false
}

// Alive reports whether id's process still runs.
func Alive(id ID) bool {
	start, ok := StartTime(id.PID)
	return ok && start == id.Start
}
