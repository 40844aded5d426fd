package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/control"
	"github.com/claude-keytray/claude-keytray/auth/logging"
)

// What a person reads on the terminal is the error's sentence of what happened and the one of
// what to do, in plain words: commands as plain words, no HTTP codes, pids, exit statuses or D-Bus
// object paths. Those stay in the error itself, which goes to the log and to status --json.

var (
	// details are the parenthesised asides that only the log needs.
	details = regexp.MustCompile(`\s*\((?:HTTP \d{3}|pid \d+|exit status \d+|exit \d+|\d{3} status code)[^()]*\)`)
	// inlineDetails are the same said without parentheses.
	inlineDetails = regexp.MustCompile(`(?:: )?(?:exit status \d+|\b\d{3} status code \d{3})`)
	// objectPaths are D-Bus object paths, e.g. a Secret Service collection.
	objectPaths = regexp.MustCompile(`\s*/org/freedesktop/[^\s,;)]*`)
	// backticked is a command written in Markdown style.
	backticked = regexp.MustCompile("`([^`]*)`")
	// plainWord is a word of prose, not a command, path or key.
	plainWord = regexp.MustCompile(`^[a-z]+[,:]?$`)
	// ownName is the program naming itself in front of a message, once or more.
	ownName = regexp.MustCompile(`^(?:claude-keytray(?: daemon)?: )+`)
)

// commandWords are commands a message may start with.
var commandWords = map[string]bool{"chmod": true, "rm": true, "systemctl": true, "kill": true}

// forPerson rewrites one message for a person: see the comment above. It keeps the meaning; a
// message still longer than two sentences is a message to shorten where it is made.
func forPerson(s string) string {
	s = scrub(s)
	if s == "" {
		return s
	}
	// A sentence starts with a capital, unless it starts with a command, a flag, a path or a
	// fingerprint (update-key, chmod, /home/…, sk-ant-…): those keep their spelling.
	if first, _, _ := strings.Cut(s, " "); plainWord.MatchString(first) && !commandWords[first] {
		r, n := utf8.DecodeRuneInString(s)
		s = string(unicode.ToUpper(r)) + s[n:]
	}
	if !strings.ContainsAny(s[len(s)-1:], ".?!") {
		s += "."
	}
	return s
}

// scrub takes the log words out of s: see the comment at the top.
func scrub(s string) string {
	s = strings.TrimSpace(oneLine(s))
	s = ownName.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "claude-keytray daemon: ", "")
	s = details.ReplaceAllString(s, "")
	s = inlineDetails.ReplaceAllString(s, "")
	s = objectPaths.ReplaceAllString(s, "")
	// A command reads as plain words: quotes would be typed along with it.
	s = backticked.ReplaceAllString(s, "$1")
	s = strings.ReplaceAll(s, "`", "")
	return strings.TrimSpace(s)
}

// errorLine is what the CLI prints for err: the engine's reason in a person's words and, when
// that reason does not say it already, what to do.
func errorLine(err error) string {
	var ae *control.APIError
	if errors.As(err, &ae) {
		// The daemon's answer: its message is the engine's error, the status and code are
		// for the log.
		err = errors.New(strings.Replace(err.Error(), ae.Error(), ae.Message, 1))
		err = wrapSentinel(err, ae)
	}
	line := forPerson(err.Error())
	var ke *auth.KeyError
	var running *control.AlreadyRunningError
	switch {
	case errors.As(err, &running):
		return "Claude Keytray already runs for this user (as a tray or a daemon), so this one stops. Use the one that runs; claude-keytray status shows it."
	case errors.Is(err, auth.ErrKeychainUnavailable):
		return keychainLine(err)
	case errors.Is(err, auth.ErrKeyRejected):
		line = strings.TrimSuffix(line, ".") + ". Check that you copied the whole key, or create a new one at console.anthropic.com/settings/keys."
	case errors.As(err, &ke):
		line = strings.Replace(line, "Invalid key: ", "That key was not stored: ", 1)
		line = strings.Replace(line, "invalid key: ", "that key was not stored: ", 1)
	}
	return line
}

// keychainLine says why the keychain could not be reached (the innermost cause, e.g. no session
// bus, a locked collection) and what to do, which is what its error ends with; the chain of
// calls in between is for the log.
func keychainLine(err error) string {
	msg := oneLine(err.Error())
	verb := "no key could be read"
	if strings.HasPrefix(msg, "storing") || strings.Contains(msg, "writing to") {
		verb = "the key was not stored"
	}
	head, fix := msg, "run claude-keytray doctor to see why"
	if i := strings.LastIndex(msg, "; "); i >= 0 {
		head, fix = msg[:i], msg[i+2:]
	}
	what := "The keychain cannot be reached"
	if errors.Is(err, auth.ErrKeychainLocked) {
		what = "The keychain is locked"
	}
	line := what + ", so " + verb
	if j := strings.LastIndex(head, ": "); j >= 0 {
		if cause := scrub(head[j+2:]); cause != "" && !strings.HasPrefix(cause, "keychain unavailable") {
			if first, _, _ := strings.Cut(cause, " "); len(first) > 1 && plainWord.MatchString(strings.ToLower(first)) && first != strings.ToUpper(first) {
				cause = strings.ToLower(first[:1]) + cause[1:]
			}
			line += ": " + strings.TrimSuffix(cause, ".")
		}
	}
	return line + ". " + forPerson(fix)
}

// wrapSentinel keeps errors.Is working on an error rebuilt from the daemon's message.
func wrapSentinel(err error, ae *control.APIError) error {
	if s := ae.Unwrap(); s != nil {
		return joined{err, s}
	}
	return err
}

type joined struct{ msg, sentinel error }

func (j joined) Error() string   { return j.msg.Error() }
func (j joined) Unwrap() []error { return []error{j.sentinel} }

// printError prints err for a person on w, one line, and puts the whole error in the log when
// the line left details out.
func printError(w io.Writer, err error) {
	line := maskKeys(errorLine(err))
	fmt.Fprintln(w, "claude-keytray: "+line)
	full := maskKeys(oneLine(err.Error()))
	if strings.TrimSuffix(forPerson(full), ".") == strings.TrimSuffix(line, ".") {
		return
	}
	p, perr := auth.DefaultPaths()
	if perr != nil {
		return
	}
	log, closer, lerr := logging.NewLogger(logging.LogOptions{File: p.LogFile}, new(logging.Redactor))
	if lerr != nil {
		return
	}
	defer closer.Close()
	log.Info("command failed", "said", line, "error", full)
}

// sentences counts the sentences in s: a full stop, question or exclamation mark followed by
// the end or by a space and a capital letter ends one ("e.g. the" and "~/.claude" do not).
func sentences(s string) int {
	n := 0
	rs := []rune(strings.TrimSpace(s))
	for i, r := range rs {
		if r != '.' && r != '?' && r != '!' {
			continue
		}
		switch {
		case i == len(rs)-1:
			n++
		case i+2 < len(rs) && rs[i+1] == ' ' && unicode.IsUpper(rs[i+2]):
			n++
		}
	}
	if n == 0 && len(rs) > 0 {
		n = 1
	}
	return n
}
