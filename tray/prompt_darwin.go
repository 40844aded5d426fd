package tray

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// The scripts read their texts from argv (osascript passes the arguments after "-" to the run
// handler), so no quoting of the texts into AppleScript is needed. The key comes back on stdout.
const (
	osaPrompt = `on run argv
	set r to display dialog (item 1 of argv) default answer "" with hidden answer with title (item 2 of argv) buttons {"Cancel", "Save"} default button "Save" cancel button "Cancel" with icon note
	return text returned of r
end run`
	osaText = `on run argv
	if (item 3 of argv) is "" then
		display dialog (item 2 of argv) with title (item 1 of argv) buttons {"Close"} default button "Close" with icon note
		return ""
	end if
	set r to display dialog (item 2 of argv) with title (item 1 of argv) buttons {(item 3 of argv), "Close"} default button "Close" with icon note
	return button returned of r
end run`
	osaError = `on run argv
	display alert (item 1 of argv) message (item 2 of argv) as critical buttons {"OK"} default button "OK"
end run`
)

// NewPrompter returns the AppleScript dialog ("display dialog … with hidden answer").
func NewPrompter() KeyPrompter {
	if p, err := exec.LookPath("osascript"); err == nil {
		return &osaPrompter{path: p}
	}
	return clipboardPrompter{}
}

type osaPrompter struct{ path string }

func (o *osaPrompter) Label() string { return LabelUpdateKey }

func (o *osaPrompter) PromptKey(ctx context.Context) (string, error) {
	res, err := runDialog(ctx, osaPrompt, nil, o.path, "-", dialogPrompt, dialogTitle)
	if err != nil {
		return "", err
	}
	switch {
	case res.code == 0:
		return res.stdout, nil
	case strings.Contains(res.stderr, "(-128)"): // "User canceled."
		return "", ErrCancelled
	}
	return "", fmt.Errorf("osascript failed (exit %d): %s", res.code, res.stderr)
}

func (o *osaPrompter) ShowError(ctx context.Context, title, text string) error {
	res, err := runDialog(ctx, osaError, nil, o.path, "-", title, text)
	if err != nil {
		return err
	}
	if res.code != 0 && !strings.Contains(res.stderr, "(-128)") {
		return fmt.Errorf("osascript failed (exit %d): %s", res.code, res.stderr)
	}
	return nil
}

func (o *osaPrompter) ShowText(ctx context.Context, title, text, action string) (bool, error) {
	res, err := runDialog(ctx, osaText, nil, o.path, "-", title, text, action)
	if err != nil {
		return false, err
	}
	if res.code != 0 && !strings.Contains(res.stderr, "(-128)") {
		return false, fmt.Errorf("osascript failed (exit %d): %s", res.code, res.stderr)
	}
	return action != "" && strings.TrimSpace(res.stdout) == action, nil
}

func prepareCommand(*exec.Cmd) {}
