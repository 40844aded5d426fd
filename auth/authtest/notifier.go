package authtest

import "sync"

// RecNotifier stands in for the desktop notifier and records every notification as
// "title: body".
type RecNotifier struct {
	mu   sync.Mutex
	msgs []string
}

func (r *RecNotifier) Notify(title, body string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, title+": "+body)
	return nil
}

// All is a copy of the notifications so far, oldest first.
func (r *RecNotifier) All() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}
