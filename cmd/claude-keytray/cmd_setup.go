package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/control"
	"github.com/claude-keytray/claude-keytray/packaging"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newSetupCmd(g *globalFlags) *cobra.Command {
	var yes, noAutostart bool
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Guided first run: key into the keychain, Claude Code wired, start at login, checks",
		Long: `Walks through everything claude-keytray needs, asking before each change:

  1. the key: taken from CLAUDE_API_KEY, ANTHROPIC_API_KEY or ~/.claude/api_key (offering to
     delete that plaintext file once the keychain holds the key), or typed at a hidden prompt;
     then checked against the API
  2. install: the helper script and Claude Code's apiKeyHelper setting
  3. login autostart, and the app started in the background now
  4. doctor, summed up in a few lines

--yes takes the default answer to every question (import the key found and delete the
plaintext file, start at login) for scripted installs. Without a terminal, setup asks nothing:
use --yes. Running setup again only does what is still missing.

--profile NAME sets up another key instead, for the folders of one client or job: it creates
the profile (asking for a source command, or the key itself), and binds a folder to it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// setup --profile NAME may create NAME: it is not a profile to look up yet.
			profile := g.profile
			g.engine = true
			a, err := newApp(g)
			if err != nil {
				return err
			}
			in := cmd.InOrStdin()
			interactive := false
			if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				interactive = true
			}
			if !interactive && !yes {
				return errors.New("setup asks questions, and stdin is not a terminal: run claude-keytray setup --yes to take the default answers (import the key found and delete a plaintext key file, install, start at login)")
			}
			s := &setup{
				a:   a,
				out: cmd.OutOrStdout(),
				ask: &asker{in: bufio.NewReader(in), raw: in, out: cmd.ErrOrStderr(), yes: yes},
			}
			// A person runs setup: the keychain may ask them to confirm or unlock.
			ctx := auth.Interactive(context.Background(), onceSayer(cmd.ErrOrStderr()))
			if profile != "" {
				return s.profile(ctx, profile)
			}
			return s.run(ctx, !noAutostart)
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "answer every question with its default, for scripts")
	cmd.Flags().BoolVar(&noAutostart, "no-autostart", false, "don't start at login (the app is still started now)")
	return cmd
}

// asker puts yes/no questions on the terminal; with --yes it answers them with their default.
type asker struct {
	in  *bufio.Reader
	raw io.Reader // for the hidden key prompt
	out io.Writer
	yes bool
}

func (q *asker) confirm(question string, def bool) bool {
	if q.yes {
		return def
	}
	hint := "[Y/n]"
	if !def {
		hint = "[y/N]"
	}
	for range 3 {
		fmt.Fprintf(q.out, "%s %s ", question, hint)
		line, err := q.in.ReadString('\n')
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "":
			if err != nil {
				fmt.Fprintln(q.out)
			}
			return def
		case "y", "yes":
			return true
		case "n", "no":
			return false
		}
		if err != nil {
			return def
		}
	}
	return def
}

// setup is one run of the guided first run; its lines go to out, questions to stderr.
type setup struct {
	a   *app
	out io.Writer
	ask *asker
}

// say prints one line of the summary, with the home folder shortened to ~ to keep it short.
func (s *setup) say(label, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if h := s.a.paths.Home; h != "" && h != "/" {
		line = strings.ReplaceAll(line, h+string(os.PathSeparator), "~"+string(os.PathSeparator))
	}
	fmt.Fprintf(s.out, "%-9s %s\n", label, line)
}

func (s *setup) run(ctx context.Context, autostart bool) error {
	self := exe()
	if self == "" || transientExe(self) {
		return fmt.Errorf("this binary (%s) is a temporary build; install a real copy first (make build then bin/claude-keytray setup, or go install ./cmd/claude-keytray) so the helper keeps working", self)
	}
	if err := s.key(ctx); err != nil {
		return err
	}
	if err := s.install(self); err != nil {
		return err
	}
	if err := s.start(autostart); err != nil {
		return err
	}
	return s.doctor(ctx)
}

// key makes sure the store holds a key the API accepts.
func (s *setup) key(ctx context.Context) error {
	a := s.a
	stored, err := a.store.Get(ctx)
	if err != nil && !errors.Is(err, auth.ErrNoKey) {
		return withCode(err)
	}
	storedKey, _ := auth.ParseKey(stored)

	name, raw, ferr := findImport(a, "")
	var found auth.Key
	if ferr == nil {
		k, notes, perr := auth.ParsePasted(raw)
		if perr != nil {
			s.say("Key:", "ignoring the key in %s: %v", name, perr)
			name = ""
		} else {
			found, raw = k, k.Secret()
			if n := auth.PasteSummary("in "+name, notes); n != "" {
				s.say("Key:", "%s", n)
			}
		}
	}

	switch {
	case !found.IsZero() && found.Secret() == storedKey.Secret():
		if err := s.checkStored(ctx); err != nil {
			return err
		}
	case !found.IsZero():
		// Replacing a stored key is never the default: the one in the keychain may be newer.
		q := fmt.Sprintf("Found a key in %s (%s). Store it in %s?", name, found.Fingerprint(), a.store.Where())
		if !storedKey.IsZero() {
			q = fmt.Sprintf("Found a key in %s (%s). Replace the stored key %s with it?", name, found.Fingerprint(), storedKey.Fingerprint())
		}
		if s.ask.confirm(q, storedKey.IsZero()) {
			st, err := updateKey(ctx, a, raw, true, "import")
			if err != nil {
				return withCode(fmt.Errorf("importing from %s: %w", name, err))
			}
			s.say("Key:", "stored %s from %s in %s; %s", st.Key.Fingerprint, name, a.store.Where(), verdict(st.Validation))
		} else if storedKey.IsZero() {
			if err := s.prompt(ctx); err != nil {
				return err
			}
		} else if err := s.checkStored(ctx); err != nil {
			return err
		}
	case !storedKey.IsZero():
		if err := s.checkStored(ctx); err != nil {
			return err
		}
	default:
		if err := s.prompt(ctx); err != nil {
			return err
		}
	}

	switch {
	case name == a.paths.PlainKeyFile && a.store.Kind() != "file":
		return s.offerRemoveFile(ctx)
	case name == "ANTHROPIC_API_KEY":
		s.say("", "remove ANTHROPIC_API_KEY from your environment (shell profile): while it is set it overrides apiKeyHelper in Claude Code")
	}
	return nil
}

// checkStored asks the API about the stored key; a rejected one is replaced at the prompt.
func (s *setup) checkStored(ctx context.Context) error {
	st, err := refreshNow(ctx, s.a)
	if err != nil {
		return withCode(err)
	}
	if st.Validation.Result != auth.ResultInvalid {
		s.say("Key:", "%s in %s; %s", st.Key.Fingerprint, s.a.store.Where(), verdict(st.Validation))
		return nil
	}
	s.say("Key:", "the API rejects the stored key %s", st.Key.Fingerprint)
	if s.ask.yes || !s.ask.confirm("Enter a new key?", true) {
		return &exitError{code: exitRejected, err: fmt.Errorf("the API rejects the stored key %s; store a new one with claude-keytray update-key, then run setup again", st.Key.Fingerprint)}
	}
	return s.prompt(ctx)
}

// prompt reads a key at the hidden prompt, up to three tries while the API rejects it.
func (s *setup) prompt(ctx context.Context) error {
	if s.ask.yes {
		return &exitError{code: exitNoKey, err: fmt.Errorf("no key found: CLAUDE_API_KEY and ANTHROPIC_API_KEY are unset, %s does not exist and %s holds none; pipe your key into claude-keytray update-key, then run setup again", s.a.paths.PlainKeyFile, s.a.store.Where())}
	}
	fmt.Fprintln(s.ask.out, "No key found in CLAUDE_API_KEY, ANTHROPIC_API_KEY, "+s.a.paths.PlainKeyFile+" or the keychain.")
	var err error
	for range 3 {
		var raw string
		raw, err = readKeyInput(s.ask.raw, s.ask.out)
		if err != nil {
			return err
		}
		var st auth.Status
		if raw, err = cleanKeyInput(s.ask.out, raw, "as pasted"); err == nil {
			st, err = updateKey(ctx, s.a, raw, true, "cli")
		}
		if err == nil {
			s.say("Key:", "stored %s in %s; %s", st.Key.Fingerprint, s.a.store.Where(), verdict(st.Validation))
			return nil
		}
		var ke *auth.KeyError
		if !errors.Is(err, auth.ErrKeyRejected) && !errors.As(err, &ke) {
			break
		}
		fmt.Fprintln(s.ask.out, "That key was refused: "+oneLine(err.Error()))
	}
	return withCode(err)
}

// offerRemoveFile deletes ~/.claude/api_key once the store holds the same key.
func (s *setup) offerRemoveFile(ctx context.Context) error {
	p := s.a.paths.PlainKeyFile
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	stored, err := s.a.store.Get(ctx)
	fileKey, _, perr := auth.ParsePasted(string(b))
	if err != nil || perr != nil || fileKey.Secret() != stored {
		s.say("", "kept %s: it holds a different key than %s; delete it once you no longer need it", p, s.a.store.Where())
		return nil
	}
	if !s.ask.confirm(fmt.Sprintf("%s now holds the key. Delete the plaintext file %s?", s.a.store.Where(), p), true) {
		s.say("", "kept the plaintext file %s (doctor will keep flagging it)", p)
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the key is in the keychain, but removing %s failed: %w; delete it by hand", p, err)
	}
	s.say("", "deleted the plaintext file %s", p)
	return nil
}

func verdict(v auth.Validation) string {
	switch v.Result {
	case auth.ResultValid:
		return "the API accepts it"
	case auth.ResultInvalid:
		return "the API rejects it"
	case auth.ResultUnknown:
		return "not checked, because " + v.Unconfirmed() + "; it is used as is"
	}
	return "not checked against the API"
}

// install writes the helper and points Claude Code at it; a foreign apiKeyHelper is replaced
// only when the user says so (never with --yes).
func (s *setup) install(self string) error {
	p := s.a.paths
	moved, err := movePlaintextKeys(context.Background(), s.a, s.out, func(q string) bool { return s.ask.confirm(q, true) }, false, false)
	if err != nil {
		return err
	}
	res, err := claude.Install(p.Claude, claude.InstallOptions{Exe: self, Moved: moved})
	if err != nil && strings.Contains(err.Error(), "already sets apiKeyHelper") {
		if s.ask.yes || !s.ask.confirm(oneLine(err.Error())+"\nReplace it (install puts it back on uninstall)?", false) {
			return err
		}
		res, err = claude.Install(p.Claude, claude.InstallOptions{Exe: self, Force: true, Moved: moved})
	}
	if err != nil {
		return err
	}
	if len(res.Changes) == 0 {
		s.say("Claude:", "apiKeyHelper in %s already runs %s", p.Claude.Settings, p.Claude.Helper)
	} else {
		s.say("Claude:", "apiKeyHelper in %s now runs %s (%d changes; claude-keytray uninstall undoes them)", p.Claude.Settings, p.Claude.Helper, len(res.Changes))
	}
	return nil
}

// start turns on login autostart (if wanted) and makes sure the app runs now.
func (s *setup) start(autostart bool) error {
	o, _ := autostartOptions(s.a, false)
	if autostart && s.ask.confirm(fmt.Sprintf("Start claude-keytray at login (%s mode)?", o.Mode), true) {
		res, err := enableAutostart(s.a, false)
		if err != nil {
			return err
		}
		var where []string
		for _, c := range res.changes {
			if c.Action != "created" || !strings.HasSuffix(c.Path, ".desktop") && !strings.HasSuffix(c.Path, ".service") && !strings.HasSuffix(c.Path, ".plist") {
				continue
			}
			where = append(where, c.Path)
		}
		switch {
		case len(res.changes) == 0:
			s.say("Login:", "%s mode, already set up", res.mode)
		case len(where) > 0:
			s.say("Login:", "%s mode, %s: %s", res.mode, res.why, strings.Join(where, ", "))
		default:
			s.say("Login:", "%s mode, %s", res.mode, res.why)
		}
		if res.noSystemd {
			s.say("", "systemctl --user is unavailable here: the unit takes effect once a systemd user manager runs; the app was started directly")
		}
		s.sayRunning(res.pid, res.alreadyRunning)
		return nil
	}
	s.say("Login:", "not started at login (claude-keytray install turns it on)")
	if pid, ok := packaging.Running(o); ok {
		s.sayRunning(pid, true)
		return nil
	}
	if err := packaging.Start(o); err != nil {
		return err
	}
	pid, _ := packaging.Running(o)
	s.sayRunning(pid, false)
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (s *setup) sayRunning(pid int, already bool) {
	if already {
		s.say("Running:", "already%s", pidNote(pid))
	} else {
		s.say("Running:", "started in the background%s", pidNote(pid))
	}
}

// doctor runs the checks and sums them up: a count, then each warning and failure.
func (s *setup) doctor(ctx context.Context) error {
	log, closer := s.a.fileLogger()
	defer closer.Close()
	d := daemonStatus(ctx, s.a)
	rep := s.a.engine(log).Doctor(ctx, auth.DoctorOptions{Verify: true, Daemon: &d})
	var pass, warn, fail int
	for _, c := range rep.Checks {
		switch c.Status {
		case auth.CheckPass:
			pass++
		case auth.CheckWarn:
			warn++
		case auth.CheckFail:
			fail++
		}
	}
	if warn == 0 && fail == 0 {
		s.say("Doctor:", "all %d checks pass", pass)
	} else {
		s.say("Doctor:", "%s passed, %s, %s", plural(pass, "check"), plural(warn, "warning"), plural(fail, "failure"))
	}
	for _, c := range rep.Checks {
		if c.Status == auth.CheckPass {
			continue
		}
		s.say("", "[%s] %s: %s", c.Status, c.Name, forPerson(c.Detail))
		if c.Fix != "" {
			s.say("", "       fix: %s", forPerson(c.Fix))
		}
	}
	if !rep.OK {
		return &exitError{code: 1, err: errors.New("setup finished, but doctor found problems (see above)")}
	}
	fmt.Fprintln(s.out, "Done: Claude Code now gets its key from claude-keytray.")
	if s.a.cfg.Profiles == nil {
		fmt.Fprintln(s.out, "Another key for the folders of one client or job? `claude-keytray setup --profile NAME` adds it and binds a folder to it.")
	}
	return nil
}

// line asks for one line of text; with --yes, or at the end of input, it is def.
func (q *asker) line(question, def string) string {
	if q.yes {
		return def
	}
	fmt.Fprintf(q.out, "%s ", question)
	line, err := q.in.ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(q.out)
		return def
	}
	if v := strings.TrimSpace(line); v != "" {
		return v
	}
	return def
}

// profile is setup --profile NAME: the profile, its key and a folder bound to it.
func (s *setup) profile(ctx context.Context, name string) error {
	path := s.a.paths.ConfigFile
	if !s.a.cfg.HasProfile(name) {
		src := s.ask.line("A command that prints the key of profile "+name+" (e.g. pass show work/claude), or Enter to type the key:", "")
		if err := auth.AddProfile(path, name, auth.ProfileConfig{SourceCommand: src}); err != nil {
			return err
		}
		s.say("Profile:", "%s added", name)
		cfg, err := auth.LoadConfig(path)
		if err != nil {
			return err
		}
		s.a.cfg = cfg
	} else {
		s.say("Profile:", "%s exists", name)
	}
	s.a.profile = name
	pc, _ := s.a.cfg.LookupProfile(name)
	store := auth.ProfileStore(s.a.store, name, s.a.cfg.KeychainTimeout())
	if pc.SourceCommand != "" {
		st, err := refreshNow(ctx, s.a)
		if err != nil {
			return err
		}
		if !st.Key.Present {
			return fmt.Errorf("the source command of profile %s gave no key: %s", name, st.Refresh.LastError)
		}
		s.say("Key:", "%s from the source command; %s", st.Key.Fingerprint, verdict(st.Validation))
	} else if k, err := store.Get(ctx); err == nil && k != "" {
		s.say("Key:", "%s holds one already", store.Where())
	} else {
		if s.ask.yes {
			return &exitError{code: exitNoKey, err: fmt.Errorf("profile %s has no key: pipe it into `claude-keytray update-key --profile %s`, then run setup --profile %s again", name, name, name)}
		}
		raw, err := readKeyInput(s.ask.raw, s.ask.out)
		if err != nil {
			return err
		}
		st, err := updateKey(ctx, s.a, raw, true, "cli")
		if err != nil {
			return withCode(err)
		}
		s.say("Key:", "stored %s in %s; %s", st.Key.Fingerprint, store.Where(), verdict(st.Validation))
	}
	if dir := s.ask.line("A folder where Claude Code should use profile "+name+" (Enter for none):", ""); dir != "" {
		abs, err := auth.BindingDir(dir)
		if err != nil {
			return err
		}
		if err := auth.BindFolder(path, abs, name); err != nil {
			return err
		}
		s.say("Folder:", "Claude Code started in %s or below gets profile %s", abs, name)
	}
	c := control.ClientFor(s.a.paths)
	defer c.Close()
	_, _ = c.Profiles(ctx)
	fmt.Fprintln(s.out, "Done: `claude-keytray profile list` shows every profile.")
	return nil
}
