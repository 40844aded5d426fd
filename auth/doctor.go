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
	"runtime"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/helperexe"
	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
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
	// More holds what only the log and scripts need: HTTP statuses, pids, sockets, the
	// keychain's own error. The text report leaves it out.
	More string `json:"more,omitempty"`
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
	// Daemon is who owns the user's engine when doctor runs in another process (the CLI asks
	// the control API); nil means this engine's own daemon status.
	Daemon *DaemonStatus
	// BadInterval is the refresh interval setting the command could not use
	// (LoadConfigTolerant); the daemon and tray refuse to start with it.
	BadInterval error
	// Serving is the fingerprint of the key the running tray or daemon serves from memory, ""
	// when none runs or it has no key: a keychain that is away does not stop Claude Code then.
	Serving string
}

// Doctor runs the troubleshooting list as checks, each with a fix.
func (e *Engine) Doctor(ctx context.Context, opt DoctorOptions) DoctorReport {
	var r DoctorReport
	add := func(name string, st CheckStatus, detail, fix string) {
		r.Checks = append(r.Checks, Check{Name: name, Status: st, Detail: detail, Fix: fix})
	}
	// more adds the details of the last check.
	more := func(s string) { r.Checks[len(r.Checks)-1].More = s }
	p := e.opts.Paths
	store := e.opts.Store

	key, err := readStored(ctx, store)
	var unusable *KeyError
	switch {
	case errors.Is(err, ErrKeychainUnavailable) && opt.Serving != "":
		// One problem, one fix: the key cannot be read here, but Claude Code still gets it.
		add("keychain", CheckFail, store.Where()+" cannot be reached, but the running tray or daemon still serves key "+opt.Serving+" from memory", keychainHint)
		more(err.Error())
	case errors.Is(err, ErrKeychainUnavailable):
		add("keychain", CheckFail, store.Where()+" cannot be reached, so no key can be read", keychainHint)
		more(err.Error())
	case store.Kind() == "file":
		add("keychain", CheckWarn, "the key is kept in the plaintext file "+p.PlainKeyFile+", not in a keychain", "when a keychain is available, run claude-keytray update-key without --store file, then delete the file")
	default:
		add("keychain", CheckPass, store.Where()+" answers", "")
	}
	switch {
	case errors.Is(err, ErrKeychainUnavailable):
		// Said by the keychain check, with its one fix.
	case errors.Is(err, ErrNoKey):
		add("key present", CheckFail, "no key is stored in "+store.Where(), "run claude-keytray update-key (or claude-keytray import)")
	case errors.As(err, &unusable):
		add("key present", CheckFail, "the stored key is not usable: "+unusable.Reason, "run claude-keytray update-key with a valid key")
	case err != nil:
		add("key present", CheckFail, "the key could not be read from "+store.Where(), "run claude-keytray doctor again; if it stays, the log has the keychain's error")
		more(err.Error())
	case key.Note != "":
		add("key present", CheckWarn, key.Fingerprint()+": "+key.Note, "")
	default:
		add("key present", CheckPass, key.Fingerprint()+" ("+store.Kind()+")", "")
	}
	if !key.IsZero() {
		if !opt.Verify {
			add("API accepts key", CheckWarn, "not checked (--no-verify)", "")
		} else {
			v := e.opts.Checker.Check(ctx, key)
			switch v.Result {
			case ResultValid:
				add("API accepts key", CheckPass, "the API accepts "+key.Fingerprint(), "")
			case ResultInvalid:
				add("API accepts key", CheckFail, "the API rejects "+key.Fingerprint(), "create a new key in the Anthropic Console and run claude-keytray update-key")
			default:
				add("API accepts key", CheckWarn, "not verified: "+v.Unconfirmed(), "check the network or ANTHROPIC_BASE_URL, then run claude-keytray doctor again")
			}
			more(v.Technical())
		}
	}

	if opt.BadInterval != nil {
		add("refresh interval", CheckFail, opt.BadInterval.Error()+"; the daemon and the tray refuse to start with it (the helper still answers)", "unset CLAUDE_AUTH_REFRESH_INTERVAL or set it to whole seconds from 10 to 86400 (default 240), in the shell or config.json's refresh_interval_seconds")
	} else {
		add("refresh interval", CheckPass, "every "+e.opts.Config.RefreshInterval().String(), "")
	}

	hs := claude.CheckHelper(p.Claude.Helper, e.opts.Exe)
	if hs.OK {
		add("helper script", CheckPass, p.Claude.Helper+" is present, executable and intact", "")
	} else {
		detail, fix := splitFix(hs.Problem, "run claude-keytray install --no-autostart to write it again")
		add("helper script", CheckFail, detail, fix)
	}
	if e.opts.Exe != "" {
		lean := helperexe.Lean(e.opts.Exe)
		if fi, err := os.Stat(lean); err == nil && fi.Mode().IsRegular() && (runtime.GOOS == "windows" || fi.Mode()&0o111 != 0) {
			add("fast helper", CheckPass, lean+" answers the helper from the daemon in one small process", "")
		} else if runtime.GOOS != "windows" {
			add("fast helper", CheckWarn, lean+" is missing, so the helper starts all of "+e.opts.Exe+" for every key (the same answer, a few ms slower)", "install claude-keytray-key next to claude-keytray (the packages and make build put it there)")
		}
	}
	ss := claude.SettingsStatusFor(p.Claude, e.opts.Cwd, e.opts.Environ)
	if ss.Wired {
		add("Claude settings", CheckPass, ss.Path+" has apiKeyHelper set to the helper", "")
	} else {
		add("Claude settings", CheckFail, ss.Path+" does not point apiKeyHelper at "+p.Claude.Helper, "run claude-keytray install --no-autostart")
	}
	if len(ss.Conflicts) == 0 {
		add("conflicts", CheckPass, "nothing overrides apiKeyHelper", "")
	}
	for _, c := range ss.Conflicts {
		detail, fix := splitFix(c, "remove it (unset the variable, or delete the entry from that settings file) so Claude Code uses the helper")
		add("conflicts", CheckFail, detail, fix)
	}

	// What Claude Code will really use: `claude auth status` where the CLI is installed, the
	// environment, shell start-up files and every settings level otherwise.
	e.AskClaude(ctx)
	cred := e.credential()
	credDetail := fmt.Sprintf("Claude Code started in %s uses %s (%s; %s)", p.Home, orNoKey(cred.APIKeySource), cred.AuthMethod, cred.From)
	credProblems := 0
	for _, pr := range e.Status().Problems {
		switch pr.Code {
		case ProblemCredentialOverrides, ProblemProviderOverrides, ProblemHelperOverridden, ProblemLoginMethodForced:
			add("Claude Code uses", CheckFail, credDetail+": "+pr.Message, pr.Fix)
			credProblems++
		case ProblemSubscriptionOverrid:
			add("Claude Code uses", CheckWarn, pr.Message, pr.Fix)
			credProblems++
		}
	}
	if credProblems == 0 {
		if cred.UsesHelper(p.Claude.Helper) {
			add("Claude Code uses", CheckPass, credDetail, "")
		} else {
			add("Claude Code uses", CheckFail, credDetail, "run claude-keytray install")
		}
	}

	plain := plaintextKeyFiles(p, e.opts.Cwd, store)
	if len(plain) == 0 {
		add("plaintext keys", CheckPass, "no plaintext key files or shell exports found", "")
	}
	for _, f := range plain {
		add("plaintext keys", f.status, f.detail, f.fix)
	}

	perms := e.permissionProblems(p, store)
	if len(perms) == 0 {
		add("file permissions", CheckPass, "the helper, settings and state files are private", "")
	}
	for _, pr := range perms {
		add("file permissions", CheckFail, pr[0], pr[1])
	}

	e.mu.Lock()
	d := e.daemon
	e.mu.Unlock()
	if opt.Daemon != nil {
		d = *opt.Daemon
	}
	switch {
	case d.Running && d.ControlAPI == "off":
		// Nothing to fix: the helper and the commands work without the API.
		add("daemon", CheckWarn, "running with its control API off, so helper calls read "+store.Where()+" directly", "")
		more(fmt.Sprintf("pid %d, control API off: %s", d.PID, d.ControlAPIProblem))
	case d.Running:
		add("daemon", CheckPass, "running: the helper answers from its memory", "")
		more(fmt.Sprintf("pid %d, socket %s", d.PID, d.Socket))
	default:
		add("daemon", CheckWarn, "no daemon or tray is running, so every helper call reads "+store.Where()+" and nothing refreshes the key", "run claude-keytray install to start it at login, or claude-keytray daemon")
	}

	r.OK = true
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			r.OK = false
		}
	}
	return r
}

func orNoKey(s string) string {
	if s == "" {
		return "no API key"
	}
	return s
}

// splitFix parts a problem that ends with its own fix ("…; run claude-keytray install") into
// the two, so doctor says one fix per problem; a problem without one gets fallback.
func splitFix(problem, fallback string) (detail, fix string) {
	i := strings.LastIndex(problem, "; ")
	if i < 0 {
		return problem, fallback
	}
	tail := problem[i+2:]
	for _, verb := range []string{"run ", "remove ", "delete ", "unset ", "set "} {
		if strings.HasPrefix(tail, verb) {
			return problem[:i], tail
		}
	}
	return problem, fallback
}

type plainFinding struct {
	status      CheckStatus
	detail, fix string
}

var exportPattern = regexp.MustCompile(`^\s*(export\s+)?(` + strings.Join(keyshape.EnvVars, "|") + `)\s*=\s*['"]?sk-ant-`)

// plaintextKeyFiles looks where keys are commonly left in plaintext: the seed's key file, the
// Claude settings (user, and the project's for cwd) and our backups of them, and exports in
// shell start-up files.
func plaintextKeyFiles(p Paths, cwd string, store Store) []plainFinding {
	var out []plainFinding
	files := []string{p.PlainKeyFile}
	if alt := filepath.Join(p.Claude.Dir, "api_key"); alt != p.PlainKeyFile {
		files = append(files, alt)
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			if store.Kind() == "file" && f == p.PlainKeyFile {
				continue // that is the chosen store; the keychain check already warned
			}
			out = append(out, plainFinding{CheckFail, "a plaintext key file exists: " + f, "run claude-keytray import --from file --remove-file to move it into the keychain"})
		}
	}
	settings := []string{p.Claude.Settings}
	if cwd != "" {
		settings = append(settings, filepath.Join(cwd, ".claude", "settings.json"), filepath.Join(cwd, ".claude", "settings.local.json"))
	}
	seen := map[string]bool{}
	for _, f := range settings {
		if seen[f] {
			continue
		}
		seen[f] = true
		keys, _ := claude.FindPlaintextKeys(f)
		for _, k := range keys {
			out = append(out, plainFinding{CheckFail, "a key sits in plain text in Claude's settings: " + k.String(), "run claude-keytray install --move-key to move it into the keychain (or delete it from that file)"})
		}
	}
	for _, b := range claude.BackupsWithKeys(p.Claude.Settings) {
		out = append(out, plainFinding{CheckFail, "a backup of the Claude settings holds a key in plain text: " + b, "run claude-keytray install to rewrite it without the key (or delete it)"})
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
				out = append(out, plainFinding{CheckWarn, fmt.Sprintf("%s line %d sets %s to a key in plaintext", path, n, name), "delete that line (after claude-keytray import if it is your only copy); the variable would also override apiKeyHelper"})
			}
		}
		f.Close()
	}
	return out
}

// permissionProblems lists files that others could read or change (fileperm_*.go say what
// that means on each OS).
func (e *Engine) permissionProblems(p Paths, store Store) [][2]string {
	var out [][2]string
	check := func(path string, forbidden fs.FileMode, what string, secret bool) {
		if problem, fix := othersMay(path, forbidden, what, secret); problem != "" {
			out = append(out, [2]string{problem, fix})
		}
	}
	// Whoever can write these can make the helper print their key, or run their program as
	// claude-keytray: the binary and its folder, the home folder, the Claude folder (the helper's).
	if exe := e.opts.Exe; exe != "" {
		check(exe, 0o002, "the program", false)
		check(filepath.Dir(exe), 0o002, "the program's folder", false)
	}
	check(p.Home, 0o002, "the home folder", false)
	check(p.Claude.Dir, 0o022, "the Claude folder", false)
	check(p.Claude.Settings, 0o022, "the Claude settings", false)
	check(p.Claude.Helper, 0o077, "the helper script", false)
	check(p.StateDir, 0o077, "the state folder", false)
	check(p.ConfigDir, 0o022, "the config folder", false)
	if store.Kind() == "file" {
		check(p.PlainKeyFile, 0o077, "the key file", true)
	}
	return out
}
