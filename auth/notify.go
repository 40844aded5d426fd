package auth

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/internal/atomicfile"
)

// Urgency is a notification's urgency (the freedesktop hint's low, normal, critical).
type Urgency int

const (
	UrgencyLow Urgency = iota
	UrgencyNormal
	UrgencyCritical
)

// Note is one desktop notification: a title that says what happened, at most two short lines
// of body with the fingerprint and what to do, its urgency, and whether it offers the
// "Update key…" and "Details" actions (failures do, where the server shows actions).
type Note struct {
	Title   string
	Body    string
	Urgency Urgency
	Actions bool
}

// NoteNotifier is a Notifier that also shows urgency and actions; the engine uses it when the
// wired notifier has it.
type NoteNotifier interface {
	NotifyNote(n Note) error
}

// eventWindow is how long an event that is not a standing condition (a rotation to a given
// key, a repaired helper) stays announced: the same event seen again within it, by another
// Claude Code session, the timer or another process, is the same event.
const eventWindow = time.Minute

// notifyPolicy decides which events reach the desktop: exactly one notification per event.
// A failure (a rejected key, a failing source, no key) notifies once until it clears; an event
// (a rotation to a key, a recovery) once per eventWindow. What was announced is kept in a
// ledger shared, through a file in the state folder, by the daemon and the `key` runs without
// one, so neither path repeats the other.
type notifyPolicy struct {
	notifier Notifier
	log      *slog.Logger
	// file is the shared ledger (notified.json); "" keeps it in memory only.
	file string

	mu       sync.Mutex
	disabled bool
	active   map[string]ledgerEntry
	// muted counts reported 401s in progress whose refresh's notifications are replaced by the
	// one the report sends itself (callers_report.go).
	muted int
}

// ledgerEntry is one announced condition or event; the ledger holds ids (kinds and truncated
// key hashes) and times, never a key.
type ledgerEntry struct {
	At     time.Time `json:"at"`
	Sticky bool      `json:"sticky,omitempty"`
}

type ledgerFile struct {
	Announced map[string]ledgerEntry `json:"announced"`
}

// withLedger runs fn on the ledger under the policy's lock and, with a file, the file's lock;
// fn's changes are written back when it returns true.
func (p *notifyPolicy) withLedger(fn func(m map[string]ledgerEntry) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active == nil {
		p.active = map[string]ledgerEntry{}
	}
	if p.file == "" {
		fn(p.active)
		return
	}
	err := lockedUpdate(p.file, func() {
		var f ledgerFile
		if b, err := os.ReadFile(p.file); err == nil {
			_ = json.Unmarshal(b, &f)
		}
		if f.Announced == nil {
			f.Announced = map[string]ledgerEntry{}
		}
		now := time.Now()
		for id, e := range f.Announced {
			if !e.Sticky && now.Sub(e.At) > eventWindow {
				delete(f.Announced, id)
			}
		}
		changed := fn(f.Announced)
		p.active = f.Announced
		if !changed {
			return
		}
		if b, err := json.Marshal(&f); err == nil {
			_ = os.MkdirAll(filepath.Dir(p.file), 0o700)
			_ = atomicfile.WriteFile(p.file, append(b, '\n'), 0o600)
		}
	})
	if err != nil {
		// The file cannot be had: this process's memory keeps the promise as far as it can.
		fn(p.active)
	}
}

// claim records id as announced and reports whether it was new: a sticky id until cleared,
// another within eventWindow.
func (p *notifyPolicy) claim(id string, sticky bool) bool {
	fresh := false
	p.withLedger(func(m map[string]ledgerEntry) bool {
		if e, ok := m[id]; ok && (e.Sticky || time.Since(e.At) <= eventWindow) {
			return false
		}
		m[id] = ledgerEntry{At: time.Now().UTC(), Sticky: sticky}
		fresh = true
		return true
	})
	return fresh
}

// once notifies unless the same condition (id) has already notified and not cleared.
func (p *notifyPolicy) once(id string, n Note) {
	if p.claim(id, true) {
		p.send(n)
	}
}

// event notifies unless the same event (id) was announced within eventWindow.
func (p *notifyPolicy) event(id string, n Note) {
	if p.claim(id, false) {
		p.send(n)
	}
}

// isActive reports whether a condition has notified and not cleared.
func (p *notifyPolicy) isActive(id string) bool {
	active := false
	p.withLedger(func(m map[string]ledgerEntry) bool {
		_, active = m[id]
		return false
	})
	return active
}

// clear forgets standing conditions whose id starts with prefix ("" clears all) and reports
// whether any did.
func (p *notifyPolicy) clear(prefix string) bool {
	any := false
	p.withLedger(func(m map[string]ledgerEntry) bool {
		for id, e := range m {
			if e.Sticky && strings.HasPrefix(id, prefix) {
				delete(m, id)
				any = true
			}
		}
		return any
	})
	return any
}

// setEnabled turns delivery on or off (config.json's "notifications"); the ledger still updates.
func (p *notifyPolicy) setEnabled(on bool) {
	p.mu.Lock()
	p.disabled = !on
	p.mu.Unlock()
}

// mute holds back send until the returned function runs; the ledger still updates.
func (p *notifyPolicy) mute() (unmute func()) {
	p.mu.Lock()
	p.muted++
	p.mu.Unlock()
	var done sync.Once
	return func() {
		done.Do(func() {
			p.mu.Lock()
			p.muted--
			p.mu.Unlock()
		})
	}
}

func (p *notifyPolicy) send(n Note) {
	p.mu.Lock()
	muted := p.muted > 0
	p.mu.Unlock()
	if muted {
		if p.log != nil {
			p.log.Info("notification folded into the auth failure's", "title", n.Title)
		}
		return
	}
	p.deliver(n)
}

// deliver shows a notification whether or not a 401 report mutes the others.
func (p *notifyPolicy) deliver(n Note) {
	p.mu.Lock()
	notifier := p.notifier
	if p.disabled {
		notifier = nil
	}
	p.mu.Unlock()
	if p.log != nil {
		p.log.Info("notification", "title", n.Title, "body", n.Body, "urgency", int(n.Urgency), "sent", notifier != nil)
	}
	if notifier == nil {
		return
	}
	var err error
	if nn, ok := notifier.(NoteNotifier); ok {
		err = nn.NotifyNote(n)
	} else {
		err = notifier.Notify(n.Title, n.Body)
	}
	if err != nil && p.log != nil {
		p.log.Warn("notification could not be shown", "err", err)
	}
}
