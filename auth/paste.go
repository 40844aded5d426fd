package auth

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
)

// A key rarely arrives alone: it is copied from a shell profile, a .env file, a settings file or
// a chat, with its variable name, its quotes or twice. CleanPaste takes out what can only be
// packaging around one key and names what it took out; what could be two keys is refused.

// quotes are the characters a key never holds but a copied key is often wrapped in.
const quotes = "'\"`‘’‚‛“”„‟«»‹›"

// pasteFix is one kind of packaging CleanPaste took out.
type pasteFix int

const (
	fixName pasteFix = iota
	fixQuotes
	fixTwice
)

// assignment finds a variable assignment around a key, as shells, .env files, YAML, JSON and
// PowerShell write it: the variable's name is group 1, the value is what follows the match.
var assignment = regexp.MustCompile(`^(?:export\s+|declare\s+-x\s+|setenv\s+|setx\s+|set\s+(?:-[a-zA-Z]*x[a-zA-Z]*\s+)?|\$env:)?` +
	`["']?([A-Za-z_][A-Za-z0-9_]*)["']?(?:\s*[=:]\s*|\s+)`)

// CleanPaste takes one key out of text as it was pasted, typed or printed: spaces and newlines
// around it, quotes around it, a variable assignment in front of it (ANTHROPIC_API_KEY=…,
// export …, set -x …, "…": …) and a second copy of the same key are left out, and notes names
// each. Two different keys, or a key with other text, are refused with a *KeyError that says
// which. What comes back still goes through ParseKey.
func CleanPaste(raw string) (cleaned string, notes []string, err error) {
	var lines []string
	for _, l := range strings.Split(raw, "\n") {
		if l = trimInvisible(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return "", nil, &KeyError{"the key is empty"}
	}
	fixes := map[pasteFix]bool{}
	var name string
	var pieces []string
	for _, l := range lines {
		v, n := unwrapLine(l, fixes)
		if n != "" {
			name = n
		}
		pieces = append(pieces, strings.Fields(v)...)
	}
	if len(pieces) == 0 && name != "" {
		return "", nil, &KeyError{"only the variable name " + name + " was pasted, not the key after it"}
	}
	if len(pieces) == 0 {
		return "", nil, &KeyError{"the key is empty"}
	}
	var keys []string
	for _, p := range pieces {
		ks, err := splitGlued(p)
		if err != nil {
			return "", nil, err
		}
		keys = append(keys, ks...)
	}
	first := keys[0]
	for _, k := range keys[1:] {
		if k == first {
			fixes[fixTwice] = true
			continue
		}
		if keyLike(first) && keyLike(k) {
			return "", nil, &KeyError{fmt.Sprintf("two different keys were pasted (%s and %s); paste only the one you want", Fingerprint(first), Fingerprint(k))}
		}
		return "", nil, &KeyError{"there is whitespace or other text beside the key; paste only the key"}
	}
	return first, fixNotes(fixes, name), nil
}

// PasteSummary is one sentence for a person about what CleanPaste left out of the key found
// where (e.g. "as pasted", "in CLAUDE_API_KEY"), or "" when it left out nothing.
func PasteSummary(where string, notes []string) string {
	if len(notes) == 0 {
		return ""
	}
	return "Cleaned up the key " + where + ": left out " + PasteLeftOut(notes) + "."
}

// PasteLeftOut lists what CleanPaste left out, for a sentence: "the quotes and the second copy
// of the key".
func PasteLeftOut(notes []string) string { return joinAnd(notes) }

// ParsePasted is CleanPaste followed by ParseKey.
func ParsePasted(raw string) (Key, []string, error) {
	s, notes, err := CleanPaste(raw)
	if err != nil {
		return Key{}, nil, err
	}
	k, err := ParseKey(s)
	return k, notes, err
}

// unwrapLine takes quotes and an assignment off one line, as often as they nest
// (export ANTHROPIC_API_KEY="…"; "ANTHROPIC_API_KEY": "…",). It returns what is left and the
// variable's name when there was one.
func unwrapLine(s string, fixes map[pasteFix]bool) (rest, name string) {
	for range 4 {
		before := s
		s = trimQuotes(s, fixes)
		if m := assignment.FindStringSubmatchIndex(s); m != nil {
			n, v := s[m[2]:m[3]], s[m[1]:]
			// A known variable holds whatever it holds; any other name only when what it is
			// set to is shaped like an Anthropic key, so a gateway token is never cut.
			if isKeyVar(n) || strings.HasPrefix(strings.TrimLeft(v, quotes), keyshape.PrefixAnthropic) {
				s, name = v, n
				fixes[fixName] = true
			}
		}
		if name != "" {
			// An assignment copied from a script or JSON may end its statement.
			s = strings.TrimRight(s, ";,")
		}
		s = trimInvisible(s)
		if s == before {
			break
		}
	}
	return s, name
}

// trimQuotes takes quote characters off both ends: a key never holds one.
func trimQuotes(s string, fixes map[pasteFix]bool) string {
	t := strings.Trim(s, quotes)
	if t != s {
		fixes[fixQuotes] = true
	}
	return trimInvisible(t)
}

// splitGlued splits a piece that holds the Anthropic prefix more than once (a key pasted
// twice with nothing between) into its keys.
func splitGlued(p string) ([]string, error) {
	const pre = keyshape.PrefixAnthropic
	if strings.Count(p, pre) < 2 {
		return []string{p}, nil
	}
	if !strings.HasPrefix(p, pre) {
		return nil, &KeyError{"there is other text glued to the front of the key; paste only the key"}
	}
	var out []string
	for _, s := range strings.Split(p[len(pre):], pre) {
		out = append(out, pre+s)
	}
	return out, nil
}

func isKeyVar(name string) bool {
	for _, v := range keyshape.EnvVars {
		if strings.EqualFold(name, v) {
			return true
		}
	}
	return false
}

// keyLike reports whether s could be a key on its own: an Anthropic shape or a long token.
func keyLike(s string) bool {
	return keyshape.Pattern.FindString(s) == s || len(s) >= 20
}

// trimInvisible drops white space, byte-order marks and zero-width characters at both ends:
// they come along with copies from web pages and editors.
func trimInvisible(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\ufeff' || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060'
	})
}

func fixNotes(fixes map[pasteFix]bool, name string) []string {
	var notes []string
	if fixes[fixName] {
		notes = append(notes, "the variable name "+name)
	}
	if fixes[fixQuotes] {
		notes = append(notes, "the quotes")
	}
	if fixes[fixTwice] {
		notes = append(notes, "the second copy of the key")
	}
	return notes
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
