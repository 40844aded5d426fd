//go:build !windows

package tray

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// clipboardTimeout bounds a clipboard read: a clipboard owner that does not answer must not
// leave the menu item stuck.
const clipboardTimeout = 5 * time.Second

// clipboardCommands are the programs that print the clipboard, in order of preference.
func clipboardCommands() [][]string {
	switch runtime.GOOS {
	case "darwin":
		return [][]string{{"pbpaste"}}
	}
	var cmds [][]string
	if os.Getenv("WAYLAND_DISPLAY") != "" {
		cmds = append(cmds, []string{"wl-paste", "--no-newline"})
	}
	return append(cmds,
		[]string{"xclip", "-selection", "clipboard", "-o"},
		[]string{"xsel", "--clipboard", "--output"})
}

// readClipboard returns the clipboard's text through the first clipboard program found.
func readClipboard(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, clipboardTimeout)
	defer cancel()
	var tried []string
	for _, c := range clipboardCommands() {
		path, err := exec.LookPath(c[0])
		if err != nil {
			tried = append(tried, c[0])
			continue
		}
		res, err := runDialog(ctx, "", nil, path, c[1:]...)
		if err != nil {
			return "", err
		}
		if res.code != 0 {
			return "", fmt.Errorf("%s could not read the clipboard (exit %d): %s", c[0], res.code, res.stderr)
		}
		return res.stdout, nil
	}
	hint := "run claude-keytray update-key in a terminal"
	if runtime.GOOS != "darwin" {
		hint = "install zenity (a key dialog) or xclip, xsel or wl-clipboard, or " + hint
	}
	return "", errors.New("no clipboard program found (looked for " + strings.Join(tried, ", ") + "): " + hint)
}

// clipboardWriters are the programs that set the clipboard from stdin, in order of preference.
func clipboardWriters() [][]string {
	switch runtime.GOOS {
	case "darwin":
		return [][]string{{"pbcopy"}}
	case "windows":
		return [][]string{{"clip.exe"}}
	}
	var cmds [][]string
	if os.Getenv("WAYLAND_DISPLAY") != "" {
		cmds = append(cmds, []string{"wl-copy"})
	}
	return append(cmds,
		[]string{"xclip", "-selection", "clipboard", "-in"},
		[]string{"xsel", "--clipboard", "--input"})
}

// writeClipboard puts text on the clipboard. On X11 the program stays behind to serve the
// selection, so its output is not collected: waiting for its pipes would wait for it to exit.
func writeClipboard(ctx context.Context, text string) error {
	ctx, cancel := context.WithTimeout(ctx, clipboardTimeout)
	defer cancel()
	var tried []string
	for _, c := range clipboardWriters() {
		path, err := exec.LookPath(c[0])
		if err != nil {
			tried = append(tried, c[0])
			continue
		}
		cmd := exec.CommandContext(ctx, path, c[1:]...)
		prepareCommand(cmd)
		cmd.Stdin = strings.NewReader(text)
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s could not set the clipboard: %w", c[0], err)
		}
		return nil
	}
	return errors.New("no clipboard program found (looked for " + strings.Join(tried, ", ") + ")")
}
