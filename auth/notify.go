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
	off      bool

	mu     sync.Mutex
	active map[string]bool
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

func (p *notifyPolicy) send(title, body string) {
	if p.log != nil {
		p.log.Info("notification", "title", title, "body", body, "sent", p.notifier != nil && !p.off)
	}
	if p.notifier == nil || p.off {
		return
	}
	if err := p.notifier.Notify(title, body); err != nil && p.log != nil {
		p.log.Warn("notification could not be shown", "err", err)
	}
}
