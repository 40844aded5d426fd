package auth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// CheckStatus is one doctor check's verdict; only "fail" makes doctor exit non-zero.
type CheckStatus string

const (
	CheckPass CheckStatus = "pass"
	CheckWarn CheckStatus = "warn"
	CheckFail CheckStatus = "fail"
)

// Check is one line of `doctor`: what was looked at, what was found and how to fix it.
type Check struct {
	Name   string      `json:"name"`
	Status CheckStatus `json:"status"`
	Detail string      `json:"detail"`
	Fix    string      `json:"fix,omitempty"`
}

// DoctorReport is `doctor --json`.
type DoctorReport struct {
	OK     bool    `json:"ok"`
	Checks []Check `json:"checks"`
}

// DoctorOptions tune the checks.
type DoctorOptions struct {
	// Verify asks the API whether the key is accepted (a network call).
	Verify bool
}

// Doctor runs the troubleshooting list as checks, each with a fix.
func (e *Engine) Doctor(ctx context.Context, opt DoctorOptions) DoctorReport {
	var r DoctorReport
	add := func(name string, st CheckStatus, detail, fix string) {
		r.Checks = append(r.Checks, Check{Name: name, Status: st, Detail: detail, Fix: fix})
	}
	p := e.opts.Paths
	store := e.opts.Store

	secret, err := store.Get(ctx)
	var key Key
	switch {
	case errors.Is(err, ErrKeychainUnavailable):
		add("keychain", CheckFail, err.Error(), keychainHint)
	case store.Kind() == "file":
		add("keychain", CheckWarn, "the key is kept in the plaintext file "+p.PlainKeyFile+", not in a keychain", "when a keychain is available: `claude-keytray update-key` without --store file, then delete the file")
	default:
		add("keychain", CheckPass, store.Where()+" answers", "")
	}
	switch {
	case errors.Is(err, ErrNoKey):
		add("key present", CheckFail, err.Error(), "run `claude-keytray update-key` (or `claude-keytray import`)")
	case err != nil:
		add("key present", CheckFail, "could not read the key: "+err.Error(), "fix the keychain first")
	default:
		k, perr := ParseKey(secret)
		if perr != nil {
			add("key present", CheckFail, "the stored key is not usable: "+perr.Error(), "run `claude-keytray update-key` with a valid key")
		} else {
			key = k
			if k.Note != "" {
				add("key present", CheckWarn, k.Fingerprint()+": "+k.Note, "")
			} else {
				add("key present", CheckPass, k.Fingerprint()+" ("+store.Kind()+")", "")
			}
		}
	}
	if !key.IsZero() {
		if !opt.Verify {
			add("API accepts key", CheckWarn, "not checked (--no-verify)", "")
		} else {
			v := e.opts.Checker.Check(ctx, key)
			switch v.Result {
			case ResultValid:
				add("API accepts key", CheckPass, fmt.Sprintf("HTTP %d from the API", v.HTTPStatus), "")
			case ResultInvalid:
				add("API accepts key", CheckFail, fmt.Sprintf("the API rejects %s (HTTP %d: %s)", key.Fingerprint(), v.HTTPStatus, v.Detail), "create a new key in the Anthropic Console and run `claude-keytray update-key`")
			default:
				add("API accepts key", CheckWarn, "could not tell: "+v.Detail, "check the network or ANTHROPIC_BASE_URL, then run doctor again")
			}
		}
	}

	hs := CheckHelper(p.HelperPath, e.opts.Exe)
	if hs.OK {
		add("helper script", CheckPass, p.HelperPath+" is present, executable and intact", "")
	} else {
		add("helper script", CheckFail, hs.Problem, "run `claude-keytray install --no-autostart` to write it again")
	}
	ss := SettingsStatusFor(p, e.opts.Cwd, e.opts.Environ)
	if ss.Wired {
		add("Claude settings", CheckPass, ss.Path+" has apiKeyHelper set to the helper", "")
	} else {
		add("Claude settings", CheckFail, ss.Path+" does not point apiKeyHelper at "+p.HelperPath, "run `claude-keytray install --no-autostart`")
	}
	if len(ss.Conflicts) == 0 {
		add("conflicts", CheckPass, "nothing overrides apiKeyHelper", "")
	}
	for _, c := range ss.Conflicts {
		add("conflicts", CheckFail, c, "remove it (unset the variable, or delete the entry from that settings file) so Claude Code uses the helper")
	}

	plain := plaintextKeyFiles(p, store)
	if len(plain) == 0 {
		add("plaintext keys", CheckPass, "no plaintext key files or shell exports found", "")
	}
	for _, f := range plain {
		add("plaintext keys", f.status, f.detail, f.fix)
	}

	perms := permissionProblems(p, store)
	if len(perms) == 0 {
		add("file permissions", CheckPass, "the helper, settings and state files are private", "")
	}
	for _, pr := range perms {
		add("file permissions", CheckFail, pr[0], pr[1])
	}

	e.mu.Lock()
	d := e.daemon
	e.mu.Unlock()
	switch {
	case d.Running && d.ControlAPI == "off":
		// Nothing to fix: the helper and the commands work without the API.
		add("daemon", CheckWarn, fmt.Sprintf("running (pid %d) with its control API off (%s): helper calls read %s directly", d.PID, d.ControlAPIProblem, store.Where()), "")
	case d.Running:
		add("daemon", CheckPass, fmt.Sprintf("running (pid %d, %s)", d.PID, d.Socket), "")
	default:
		add("daemon", CheckWarn, "no daemon or tray is running: the key is read from "+store.Where()+" on every helper call and is not refreshed", "run `claude-keytray install` to start it at login, or `claude-keytray daemon`")
	}

	r.OK = true
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			r.OK = false
		}
	}
	return r
}

type plainFinding struct {
	status      CheckStatus
	detail, fix string
}

var exportPattern = regexp.MustCompile(`^\s*(export\s+)?(ANTHROPIC_API_KEY|CLAUDE_API_KEY|ANTHROPIC_AUTH_TOKEN)\s*=\s*['"]?sk-ant-`)

// plaintextKeyFiles looks where keys are commonly left in plaintext: the seed's key file and
// exports in shell start-up files.
func plaintextKeyFiles(p Paths, store Store) []plainFinding {
	var out []plainFinding
	files := []string{p.PlainKeyFile}
	if alt := filepath.Join(p.ClaudeDir, "api_key"); alt != p.PlainKeyFile {
		files = append(files, alt)
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			if store.Kind() == "file" && f == p.PlainKeyFile {
				continue // that is the chosen store; the keychain check already warned
			}
			out = append(out, plainFinding{CheckFail, "a plaintext key file exists: " + f, "run `claude-keytray import --from file --remove-file` to move it into the keychain"})
		}
	}
	for _, rc := range []string{".bashrc", ".bash_profile", ".profile", ".zshrc", ".zshenv", ".config/fish/config.fish"} {
		path := filepath.Join(p.Home, rc)
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for n := 1; sc.Scan(); n++ {
			if exportPattern.MatchString(sc.Text()) {
				name := strings.TrimSpace(strings.SplitN(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export "), "=", 2)[0])
				out = append(out, plainFinding{CheckWarn, fmt.Sprintf("%s line %d sets %s to a key in plaintext", path, n, name), "delete that line (after `claude-keytray import` if it is your only copy); the variable would also override apiKeyHelper"})
			}
		}
		f.Close()
	}
	return out
}

// permissionProblems lists files that others could read or change (fileperm_*.go say what
// that means on each OS).
func permissionProblems(p Paths, store Store) [][2]string {
	var out [][2]string
	check := func(path string, forbidden fs.FileMode, what string, secret bool) {
		if problem, fix := othersMay(path, forbidden, what, secret); problem != "" {
			out = append(out, [2]string{problem, fix})
		}
	}
	check(p.ClaudeDir, 0o022, "the Claude folder", false)
	check(p.SettingsPath, 0o022, "the Claude settings", false)
	check(p.HelperPath, 0o077, "the helper script", false)
	check(p.StateDir, 0o077, "the state folder", false)
	check(p.ConfigDir, 0o022, "the config folder", false)
	if store.Kind() == "file" {
		check(p.PlainKeyFile, 0o077, "the key file", true)
	}
	return out
}
