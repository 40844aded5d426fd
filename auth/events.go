package auth

import (
	"sync"
	"time"
)

// EventKind names what happened to the key.
type EventKind string

const (
	// EventRotated: a new key was stored (from the source, the keychain, the CLI, the API or the tray).
	EventRotated EventKind = "rotated"
	// EventRejected: the API rejects the key in use.
	EventRejected EventKind = "rejected"
	// EventSourceRejected: the source printed a key the API rejects; it was not stored.
	EventSourceRejected EventKind = "source_rejected"
	// EventRefreshFailed: a refresh could not read the source or the keychain.
	EventRefreshFailed EventKind = "refresh_failed"
	// EventRecovered: a failure or rejection cleared.
	EventRecovered EventKind = "recovered"
	// EventHelperRepaired: the helper script was missing or changed and was written again.
	EventHelperRepaired EventKind = "helper_repaired"
	// EventAuthFailure: a 401 was reported (by `run`, or Claude Code calling the helper again early).
	EventAuthFailure EventKind = "auth_failure"
	// EventStatus: the status changed; subscribers such as the tray redraw from Event.Status.
	EventStatus EventKind = "status"
)

// Event is one thing subscribers hear about. Message and Fingerprint never hold a key.
type Event struct {
	Kind        EventKind `json:"kind"`
	Time        time.Time `json:"time"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	Message     string    `json:"message"`
	Status      *Status   `json:"status,omitempty"`
}

// eventBus fans events out to subscribers. A slow subscriber loses events rather than slowing
// the engine: every event carries the latest status, so the newest one is enough to redraw.
type eventBus struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

func (b *eventBus) subscribe(buf int) (<-chan Event, func()) {
	ch := make(chan Event, buf)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan Event]struct{}{}
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, ch)
			b.mu.Unlock()
			close(ch)
		})
	}
}

func (b *eventBus) publish(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}
