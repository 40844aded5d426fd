package auth

import "strings"

// The words of every notification the engine sends, in one place: a title that says what
// happened, at most two short lines with the fingerprint and what to do. The details (HTTP
// codes, processes, paths) go to the log and status.

// profileID prefixes every ledger id: one notification per event per profile.
const profileID = "default/"

func noteRotated(fp string) Note {
	return Note{Title: "Claude key rotated", Body: "Now using key " + fp + ".\nClaude Code picks it up by itself.", Urgency: UrgencyNormal}
}

func noteRejected(fp string) Note {
	return Note{Title: "Claude key rejected", Body: "The API rejects key " + fp + ".\nChoose Update key… to store a new one.", Urgency: UrgencyCritical, Actions: true}
}

func noteNoKey() Note {
	return Note{Title: "Claude key missing", Body: "No key is stored, so Claude Code gets none.\nChoose Update key… to store one.", Urgency: UrgencyCritical, Actions: true}
}

func noteRefreshFailed(errText, fp string) Note {
	still := "No key is in use yet."
	if fp != "" {
		still = "Still using key " + fp + "."
	}
	// What the source said is the reason a person can act on; the command line is in Details.
	if _, said, ok := strings.Cut(errText, "stderr: "); ok && strings.TrimSpace(said) != "" {
		errText = said
	}
	return Note{Title: "Claude key refresh failed", Body: clipLine(errText, 120) + "\n" + still, Urgency: UrgencyNormal, Actions: true}
}

func noteSourceRejected(got, current string) Note {
	still := "No key is in use."
	if current != "" {
		still = "Still using key " + current + "."
	}
	return Note{Title: "Claude key from the source was rejected", Body: "The source gave key " + got + ", which the API rejects.\n" + still, Urgency: UrgencyNormal, Actions: true}
}

func noteRefreshRecovered(fp string) Note {
	return Note{Title: "Claude key refresh works again", Body: "Key " + fp + " was read from its source.", Urgency: UrgencyLow}
}

func noteKeyRecovered(fp string) Note {
	return Note{Title: "Claude key works again", Body: "The API accepts key " + fp + " again.", Urgency: UrgencyLow}
}

func noteHelperRestored() Note {
	return Note{Title: "Claude helper restored", Body: "The helper script Claude Code runs was missing or changed.\nIt was written again; nothing to do.", Urgency: UrgencyLow}
}

func noteHelperBroken(problem string) Note {
	return Note{Title: "Claude helper broken", Body: clipLine(problem, 120) + "\nClaude Code cannot get the key until it is fixed.", Urgency: UrgencyCritical, Actions: true}
}

// noteProblem announces an error that keeps Claude Code from using the key (a credential that
// wins over the helper, API keys blocked, the helper not wired).
func noteProblem(p Problem) Note {
	return Note{Title: "Claude Code won't use your key: " + strings.ToLower(p.Title[:1]) + p.Title[1:], Body: clipLine(p.Message, 160) + "\nSee Details.", Urgency: UrgencyCritical, Actions: true}
}

// announcedProblems are the problems that notify when they appear: something else wins over
// the helper, so Claude Code uses (and bills) another credential. A missing or rejected key and
// a broken helper have notifications of their own.
var announcedProblems = map[string]bool{
	ProblemCredentialOverrides: true,
	ProblemProviderOverrides:   true,
	ProblemHelperOverridden:    true,
	ProblemLoginMethodForced:   true,
}

// announceProblems notifies once when one of announcedProblems appears in st and forgets it
// when it goes, so it notifies again if it comes back. Only changes touch the ledger.
func (e *Engine) announceProblems(st Status) {
	if e.notes.notifier == nil || e.opts.SecondaryProfile {
		// An engine that cannot show anything (a CLI command's) must not mark the problem as
		// told in the shared ledger: the running tray or daemon would then never show it.
		// Another profile's engine leaves these to the default profile's: one notification, not
		// one per profile.
		return
	}
	now := map[string]Problem{}
	for _, p := range st.Problems {
		if announcedProblems[p.Code] {
			if _, seen := now[p.Code]; !seen {
				now[p.Code] = p
			}
		}
	}
	e.mu.Lock()
	before := e.problemsShown
	e.problemsShown = map[string]bool{}
	for code := range now {
		e.problemsShown[code] = true
	}
	e.mu.Unlock()
	for code, p := range now {
		if !before[code] {
			e.notes.once(profileID+"problem:"+code, noteProblem(p))
		}
	}
	for code := range before {
		if _, still := now[code]; !still {
			e.notes.clear(profileID + "problem:" + code)
		}
	}
}

// clipLine keeps a notification line short and on one line, without backticks.
func clipLine(s string, n int) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "`", "")), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
