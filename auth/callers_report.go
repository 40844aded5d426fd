package auth

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// originSep joins the two halves of an auth-failure origin: who saw the 401, and what it does next.
const originSep = "; "

// AuthFailureOrigin is the origin to pass to ReportAuthFailure: who saw the 401 ("claude") and
// what happens next ("retrying 1/2", "not run again: …"). The engine sends the event's one
// notification, "401 from claude: key refreshed, retrying 1/2", so the reporter sends none.
func AuthFailureOrigin(who, next string) string {
	who = clip(strings.TrimSpace(strings.ReplaceAll(who, originSep, " ")), 80)
	if who == "" {
		who = "a client"
	}
	if next = clip(strings.TrimSpace(next), 100); next == "" {
		return who
	}
	return who + originSep + next
}

// clip keeps origins within what the control API accepts (one line, 200 characters).
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func splitOrigin(origin string) (who, next string) {
	who, next, _ = strings.Cut(origin, originSep)
	if who = strings.TrimSpace(who); who == "" {
		who = "a client"
	}
	return who, strings.TrimSpace(next)
}

// keySnapshot is what an auth-failure notification compares before and after the refresh.
type keySnapshot struct {
	id      string
	fp      string
	result  ValidationResult
	checked time.Time
}

func (e *Engine) snapshot() keySnapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.key.IsZero() {
		return keySnapshot{}
	}
	snap := keySnapshot{id: keyID(e.key.Secret()), fp: e.key.Fingerprint(), result: e.validation.Result}
	if e.validation.CheckedAt != nil {
		snap.checked = *e.validation.CheckedAt
	}
	return snap
}

// authFailureEvent is one 401: the key is refreshed from its source and checked. From Claude
// Code's helper re-calls (helper), the refresh's own notifications are the only ones: a
// rotation, a rejection or a failing source is announced once however many sessions find it,
// and a 401 that only says a session sent its cached old key is recorded, not announced. A
// reporter such as `run` (not helper) gets one notification that also says what it does next,
// with the refresh's own folded into it. The episode is counted by the caller (helper) or here,
// against the key the reporter was refused: the one in use before the refresh.
func (e *Engine) authFailureEvent(ctx context.Context, origin string, helper bool) Status {
	who, next := splitOrigin(origin)
	before := e.snapshot()
	if !helper {
		// A reporter (`run`) reports once per child it ran, and each child is another Claude
		// Code process: each report is an episode of its own.
		e.countAuthFailure(who, "report "+who+" at "+strconv.FormatInt(time.Now().UnixNano(), 10), before)
	}
	e.mu.Lock()
	e.checkDue = true
	e.mu.Unlock()
	req := RefreshRequest{Reason: "auth failure (" + who + ")", AuthFailure: true}
	if helper {
		st := e.Refresh(ctx, req)
		after := e.snapshot()
		e.log.Info("auth failure handled", "origin", who, "state", string(st.State), "rotated", before.id != after.id, "fingerprint", after.fp)
		return st
	}
	told := before.id != "" && e.notes.isActive(profileID+"rejected:"+before.id)
	unmute := e.notes.mute()
	st := e.Refresh(ctx, req)
	unmute()
	after := e.snapshot()
	n, ok := authFailureNote(who, next, before, after, told, st)
	e.log.Info("auth failure handled", "origin", who, "next", next, "state", string(st.State), "rotated", before.id != after.id, "fingerprint", after.fp, "notify", ok)
	if ok {
		e.notes.deliver(n)
	}
	return st
}

// countAuthFailure counts one 401 episode: caller (a process, or a reporter) refused the key
// rejected. The same caller refused the same key again is the same episode. The log names the
// rejected key, which need not be the current one.
func (e *Engine) countAuthFailure(who, caller string, rejected keySnapshot) {
	now := time.Now().UTC()
	ep := episode{Who: caller, KeyID: rejected.id, At: now}
	f, added, err := recordEpisode(e.opts.Paths, ep, rejected.fp)
	e.mu.Lock()
	if err != nil {
		// state.json cannot be written: count in memory, once per episode all the same.
		f, added = e.failuresMem.add(ep, rejected.fp)
	}
	e.failures = AuthFailures{Count: f.Count, Last: f.Last, LastFingerprint: f.LastFingerprint}
	e.mu.Unlock()
	if !added {
		e.log.Info("auth failure again in the same episode", "origin", who, "rejected_fingerprint", rejected.fp)
		return
	}
	if err != nil {
		e.log.Warn("could not save the auth failure count", "err", err)
	}
	e.log.Warn("auth failure: a key was rejected", "origin", who, "rejected_fingerprint", rejected.fp, "episodes", f.Count)
	e.emit(EventAuthFailure, rejected.fp, "401 from "+who)
}

func (f *failureState) add(ep episode, fp string) (failureState, bool) {
	for _, old := range f.Episodes {
		if old.Who == ep.Who && old.KeyID == ep.KeyID {
			return *f, false
		}
	}
	f.Count++
	at := ep.At
	f.Last, f.LastFingerprint = &at, fp
	f.Episodes = append(f.Episodes, ep)
	if over := len(f.Episodes) - maxEpisodes; over > 0 {
		f.Episodes = append([]episode(nil), f.Episodes[over:]...)
	}
	return *f, true
}

// authFailureNote words a reporter's one notification; ok false means nothing new to say.
func authFailureNote(who, next string, before, after keySnapshot, told bool, st Status) (Note, bool) {
	tail := ""
	if next != "" {
		tail = ", " + next
	}
	switch {
	case after.id == "":
		n := noteNoKey()
		n.Body = who + " was refused, and no key is stored.\nChoose Update key… to store one."
		return n, true
	case after.result == ResultInvalid:
		if told && before.id == after.id {
			return Note{}, false
		}
		return noteRejected(after.fp), true
	case after.id != before.id:
		return Note{Title: "Claude key rotated", Body: who + " was refused the old key: now using " + after.fp + tail, Urgency: UrgencyNormal}, true
	case after.result != ResultValid || !after.checked.After(before.checked):
		// The same key and no new word from the API (an outage): run does not run its command
		// again with it, so a promised retry would not happen.
		if strings.HasPrefix(next, "retrying") {
			tail = ", not run again"
		}
		return Note{Title: "Claude key not confirmed", Body: who + " was refused the key, and the API could not confirm " + after.fp + tail + ".", Urgency: UrgencyNormal}, true
	case st.Refresh.LastError != "":
		return Note{Title: "Claude key refresh failed", Body: who + " was refused the key and it could not be refreshed.\nStill using " + after.fp + tail + ".", Urgency: UrgencyNormal, Actions: true}, true
	}
	return Note{Title: "Claude key refreshed", Body: who + " was refused the key; it was read again" + tail, Urgency: UrgencyLow}, true
}

// WaitNotifications waits until notifications sent in the background are out, or ctx ends.
func (e *Engine) WaitNotifications(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		e.callers.pending.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
