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
	// Profile names the profile the event is about (set by a Fleet).
	Profile string  `json:"profile,omitempty"`
	Status  *Status `json:"status,omitempty"`
}

// eventBus fans events out to subscribers without ever slowing the engine or losing the newest
// status. Each subscriber has its own queue, drained into its channel by a goroutine: a status
// event replaces any status event still waiting (every event carries the whole status, so the
// newest one is enough to redraw), and other events queue up to a bound, past which the oldest
// go. Whatever a slow subscriber misses, the last event it receives holds the latest status.
type eventBus struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

// maxPending bounds what a stalled subscriber holds; beyond it the oldest events are dropped.
const maxPending = 64

type subscriber struct {
	mu      sync.Mutex
	pending []Event
	wake    chan struct{} // one token: pending has something
	out     chan Event
	done    chan struct{}
	stopped chan struct{}
}

func (b *eventBus) subscribe(buf int) (<-chan Event, func()) {
	s := &subscriber{
		wake:    make(chan struct{}, 1),
		out:     make(chan Event, buf),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[*subscriber]struct{}{}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go s.forward()
	var once sync.Once
	return s.out, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, s)
			b.mu.Unlock()
			close(s.done)
			<-s.stopped
			close(s.out)
		})
	}
}

func (b *eventBus) publish(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.add(ev)
	}
}

func (s *subscriber) add(ev Event) {
	s.mu.Lock()
	if ev.Kind == EventStatus {
		kept := s.pending[:0]
		for _, p := range s.pending {
			if p.Kind != EventStatus {
				kept = append(kept, p)
			}
		}
		s.pending = kept
	}
	s.pending = append(s.pending, ev)
	if over := len(s.pending) - maxPending; over > 0 {
		s.pending = append(s.pending[:0], s.pending[over:]...)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// next takes the oldest waiting event.
func (s *subscriber) next() (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return Event{}, false
	}
	ev := s.pending[0]
	s.pending = append(s.pending[:0], s.pending[1:]...)
	return ev, true
}

func (s *subscriber) forward() {
	defer close(s.stopped)
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		for {
			ev, ok := s.next()
			if !ok {
				break
			}
			select {
			case s.out <- ev:
			case <-s.done:
				return
			}
		}
	}
}
