package claude

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
)

// ShellStartupFiles are the start-up files, relative to home, of the shells a terminal opens:
// a credential exported there reaches every Claude Code started from a terminal.
var ShellStartupFiles = []string{".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshenv", ".zprofile", ".zshrc", ".config/fish/config.fish"}

// ShellExport is a credential variable a shell start-up file sets. It never holds the value.
type ShellExport struct {
	Name string
	File string
	Line int
}

var (
	shellSet   = regexp.MustCompile(`^\s*(?:export\s+|declare\s+-x\s+|typeset\s+-x\s+)?([A-Z_][A-Z0-9_]*)=(.*)$`)
	fishSet    = regexp.MustCompile(`^\s*set\s+(?:-[a-zA-Z]+\s+)*([A-Z_][A-Z0-9_]*)\s+(.*)$`)
	shellUnset = regexp.MustCompile(`^\s*(?:unset|set\s+-e)\s+([A-Z_][A-Z0-9_ ]*)`)
)

// ShellExports lists the Claude Code credential variables (ANTHROPIC_API_KEY,
// ANTHROPIC_AUTH_TOKEN) that home's shell start-up files leave set to something non-empty,
// one per variable, the last assignment winning. Commented lines and unsets count as shells
// read them, line by line; conditionals are not followed, so an export inside one counts.
func ShellExports(home string) []ShellExport {
	if home == "" {
		return nil
	}
	want := map[string]bool{}
	for _, n := range keyshape.ClaudeEnvVars {
		want[n] = true
	}
	last := map[string]*ShellExport{}
	var order []string
	ordered := map[string]bool{}
	for _, rel := range ShellStartupFiles {
		path := filepath.Join(home, filepath.FromSlash(rel))
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			if m := shellUnset.FindStringSubmatch(line); m != nil {
				for _, name := range strings.Fields(m[1]) {
					delete(last, name)
				}
				continue
			}
			m := shellSet.FindStringSubmatch(line)
			if m == nil {
				m = fishSet.FindStringSubmatch(line)
			}
			if m == nil || !want[m[1]] {
				continue
			}
			if v := strings.Trim(strings.TrimSpace(m[2]), `'"`); v == "" {
				delete(last, m[1])
				continue
			}
			if !ordered[m[1]] {
				ordered[m[1]] = true
				order = append(order, m[1])
			}
			last[m[1]] = &ShellExport{Name: m[1], File: path, Line: n}
		}
		f.Close()
	}
	var out []ShellExport
	for _, name := range order {
		if e := last[name]; e != nil {
			out = append(out, *e)
		}
	}
	return out
}
