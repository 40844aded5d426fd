// Command claude-keytray keeps a Claude API key in the OS keychain and serves it to Claude Code
// through its apiKeyHelper, refreshing it on a timer and after 401s, from a tray icon or headless.
package main

import (
	"errors"
	"fmt"
	"os"
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
	root := newRootCmd()
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
	fmt.Fprintln(os.Stderr, "claude-keytray: "+oneLine(err.Error()))
	return code
}
