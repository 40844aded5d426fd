package auth

import (
	"context"
	"fmt"
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

// authFailureEvent is one 401: it is counted (unless the caller already did), the key is
// refreshed from its source and checked, and exactly one notification describes the outcome.
// The refresh's own notifications (rotated, rejected, refresh failed) are muted for the
// duration and folded into that one, so a 401 never shows as two. A rejection the user has
// already been told about, and that still stands, sends nothing. With async the notification
// goes out in the background (the helper's answer never waits for it); a reporter such as
// `run`, which waits for the refresh anyway, gets it sent before the return.
func (e *Engine) authFailureEvent(ctx context.Context, origin string, counted, async bool) Status {
	who, next := splitOrigin(origin)
	before := e.snapshot()
	if !counted {
		e.countAuthFailure(who, before.fp)
	}
	e.mu.Lock()
	e.checkDue = true
	e.mu.Unlock()
	told := before.id != "" && e.notes.isActive("rejected:"+before.id)

	unmute := e.notes.mute()
	st := e.Refresh(ctx, RefreshRequest{Reason: "auth failure (" + who + ")", AuthFailure: true})
	unmute()

	after := e.snapshot()
	title, body := authFailureNote(who, next, before, after, told, st)
	e.log.Info("auth failure handled", "origin", who, "next", next, "state", string(st.State), "rotated", before.id != after.id, "fingerprint", after.fp, "notify", body != "")
	switch {
	case body == "":
	case async:
		e.notifyAsync(title, body)
	default:
		e.notes.deliver(title, body)
	}
	return st
}

func (e *Engine) countAuthFailure(who, fp string) {
	now := time.Now().UTC()
	e.mu.Lock()
	e.failures.Count++
	e.failures.Last = &now
	e.mu.Unlock()
	e.log.Warn("auth failure reported", "origin", who, "fingerprint", fp)
	e.emit(EventAuthFailure, fp, "401 from "+who)
}

// authFailureNote words the one notification of a 401 event; "" means nothing new to say.
func authFailureNote(who, next string, before, after keySnapshot, told bool, st Status) (title, body string) {
	tail := ""
	if next != "" {
		tail = ", " + next
	}
	switch {
	case after.id == "":
		return "Claude key missing", fmt.Sprintf("401 from %s, and no key is stored: choose Update key… or run `claude-keytray update-key`.", who)
	case after.result == ResultInvalid:
		if told && before.id == after.id {
			return "", ""
		}
		return "Claude key rejected", fmt.Sprintf("Claude rejects key %s — choose Update key… or run `claude-keytray update-key`.", after.fp)
	case after.id != before.id:
		return "Claude key rotated", fmt.Sprintf("401 from %s: key rotated to %s%s", who, after.fp, tail)
	case after.result != ResultValid || !after.checked.After(before.checked):
		// The same key and no new word from the API (an outage): `run` does not run its command
		// again with it, so a promised retry would not happen.
		if strings.HasPrefix(next, "retrying") {
			tail = ", not run again"
		}
		return "Claude key not confirmed", fmt.Sprintf("401 from %s: the API could not confirm key %s%s", who, after.fp, tail)
	case st.Refresh.LastError != "":
		return "Claude key refresh failed", fmt.Sprintf("401 from %s: the key could not be refreshed (%s); still using %s%s", who, st.Refresh.LastError, after.fp, tail)
	}
	return "Claude key refreshed", fmt.Sprintf("401 from %s: key refreshed%s", who, tail)
}

// notifyAsync shows a notification without making anyone wait for the notification daemon;
// WaitNotifications lets a short-lived process finish sending before it exits.
func (e *Engine) notifyAsync(title, body string) {
	e.callers.pending.Add(1)
	go func() {
		defer e.callers.pending.Done()
		e.notes.deliver(title, body)
	}()
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
