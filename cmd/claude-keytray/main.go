// Command claude-keytray keeps a Claude API key in the OS keychain and serves it to Claude Code
// through its apiKeyHelper, refreshing it on a timer and after 401s, from a tray icon or headless.
package main

import (
	"errors"
	"os"
	"regexp"

	"github.com/claude-keytray/claude-keytray/auth"

	"github.com/spf13/cobra"
)

// Set by the build: -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root, args := commandFor(args)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.silent {
			return code
		}
	}
	printError(os.Stderr, err)
	return code
}

// maskKeys shows only the fingerprint of anything key-shaped in an error: a key typed as an
// argument by mistake (`claude-keytray sk-ant-…`) comes back in cobra's "unknown command"
// error, and a flag's value in its complaint. Gateway tokens are found by the config's
// key_pattern, when there is one.
func maskKeys(s string) string {
	s = auth.MaskKeys(s)
	p, err := auth.DefaultPaths()
	if err != nil {
		return s
	}
	cfg, err := auth.LoadConfig(p.ConfigFile)
	if err != nil || cfg.KeyPattern == "" {
		return s
	}
	re, err := regexp.Compile(cfg.KeyPattern)
	if err != nil {
		return s
	}
	return re.ReplaceAllStringFunc(s, auth.Fingerprint)
}

// commandFor returns the command tree to run and its arguments. Plain `key` is the
// apiKeyHelper, started afresh each time Claude Code wants the key: it runs as a tree of its own
// and skips building every other command and its flags. Anything else, `key` with flags
// included, gets the full tree. The root adds nothing plain `key` uses (no hooks; --store is
// unset); keep it that way, or do the same here.
func commandFor(args []string) (*cobra.Command, []string) {
	if len(args) == 1 && args[0] == "key" {
		k := newKeyCmd(&globalFlags{})
		k.SilenceUsage, k.SilenceErrors = true, true
		// Not nil: cobra would read os.Args instead.
		return k, []string{}
	}
	return newRootCmd(), args
}
