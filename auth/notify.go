package auth

import (
	"log/slog"
	"strings"
	"sync"
)

// notifyPolicy decides which events reach the desktop: a failure notifies once until it clears,
// so a key that stays rejected, or a source that keeps failing, is one notification, not one per
// refresh or helper call. Rotations and recoveries always notify.
type notifyPolicy struct {
	notifier Notifier
	log      *slog.Logger

	mu     sync.Mutex
	active map[string]bool
	// muted counts reported 401s in progress: their refresh's notifications are replaced by the
	// one the event sends itself (see callers_report.go), so the user gets one per 401.
	muted int
}

// once notifies unless the same condition (key) has already notified and not cleared.
func (p *notifyPolicy) once(key, title, body string) {
	p.mu.Lock()
	if p.active == nil {
		p.active = map[string]bool{}
	}
	seen := p.active[key]
	p.active[key] = true
	p.mu.Unlock()
	if !seen {
		p.send(title, body)
	}
}

// isActive reports whether a condition has notified and not cleared.
func (p *notifyPolicy) isActive(key string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.active[key]
}

// clear forgets conditions whose key starts with prefix ("" clears all) and reports whether any did.
func (p *notifyPolicy) clear(prefix string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	any := false
	for k := range p.active {
		if strings.HasPrefix(k, prefix) {
			delete(p.active, k)
			any = true
		}
	}
	return any
}

// mute holds back send until the returned function runs; state (once, clear) still updates.
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

// markActive records a condition as already notified (by another process) without notifying.
func (p *notifyPolicy) markActive(key string) {
	p.mu.Lock()
	if p.active == nil {
		p.active = map[string]bool{}
	}
	p.active[key] = true
	p.mu.Unlock()
}

func (p *notifyPolicy) send(title, body string) {
	p.mu.Lock()
	muted := p.muted > 0
	p.mu.Unlock()
	if muted {
		if p.log != nil {
			p.log.Info("notification folded into the 401 event's", "title", title)
		}
		return
	}
	p.deliver(title, body)
}

// deliver shows a notification whether or not a 401 event mutes the others.
func (p *notifyPolicy) deliver(title, body string) {
	if p.log != nil {
		p.log.Info("notification", "title", title, "body", body, "sent", p.notifier != nil)
	}
	if p.notifier == nil {
		return
	}
	if err := p.notifier.Notify(title, body); err != nil && p.log != nil {
		p.log.Warn("notification could not be shown", "err", err)
	}
}
