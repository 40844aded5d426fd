//go:build unix

package auth

import (
	"encoding/json"
	"os"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/internal/procchain"
	"github.com/google/renameio/v2"
)

// callerFile is the caller records of `key` runs without a daemon (callers.json in the state
// folder, mode 0600). It holds pids, start times, call times and the truncated hashes and
// fingerprints of the keys served, never a key.
type callerFile struct {
	Callers []*fileRecord `json:"callers"`
}

type fileRecord struct {
	callerRecord
	Name string `json:"name"`
}

// withCallerFile runs fn on the file's contents under an exclusive lock (lockedUpdate) and
// writes them back when fn returns true. A lock that cannot be had in time skips tracking rather
// than delay the helper's answer.
func withCallerFile(path string, fn func(f *callerFile) bool) error {
	var werr error
	lerr := lockedUpdate(path, func() {
		var f callerFile
		if b, err := os.ReadFile(path); err == nil {
			// A damaged file is started afresh: it only ever holds what the next calls rebuild.
			_ = json.Unmarshal(b, &f)
		}
		if !fn(&f) {
			return
		}
		b, err := json.Marshal(&f)
		if err != nil {
			werr = err
			return
		}
		werr = renameio.WriteFile(path, append(b, '\n'), 0o600)
	})
	if lerr != nil {
		return lerr
	}
	return werr
}

func (t *callerTracker) observeInFile(path string, id callerID, p Paths, now time.Time) (helperCall, bool) {
	var out helperCall
	var ok bool
	err := withCallerFile(path, func(f *callerFile) bool {
		kept := f.Callers[:0]
		var rec *fileRecord
		for _, r := range f.Callers {
			if r == nil || !procchain.Alive(r.callerID) {
				continue
			}
			kept = append(kept, r)
			if r.callerID == id {
				rec = r
			}
		}
		changed := len(kept) != len(f.Callers)
		f.Callers = kept
		if rec == nil {
			info := inspectCaller(id.PID, p)
			if !info.claude {
				return changed
			}
			if len(f.Callers) >= maxCallers {
				f.Callers = f.Callers[1:]
			}
			f.Callers = append(f.Callers, &fileRecord{callerRecord: callerRecord{callerID: id, TTLms: info.ttl.Milliseconds(), Last: now}, Name: info.name})
			out, ok = helperCall{id: id, info: info}, true
			return true
		}
		before := rec.callerRecord
		retry, force := rec.call(now)
		info := callerInfo{claude: true, name: rec.Name, ttl: time.Duration(rec.TTLms) * time.Millisecond}
		out, ok = helperCall{id: id, info: info, retry: retry, force: force, rec: before}, true
		return true
	})
	if err != nil {
		return helperCall{}, false
	}
	return out, ok
}

func (t *callerTracker) servedInFile(path string, id callerID, k keySnapshot, now time.Time) {
	_ = withCallerFile(path, func(f *callerFile) bool {
		for _, r := range f.Callers {
			if r != nil && r.callerID == id {
				r.serve(k, now)
				return true
			}
		}
		return false
	})
}
