package tray

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// The windows the menu opens besides the key dialog: Details (from the status line), the
// doctor's report and About. Each is a read-only text window of the platform's dialog program;
// without one the text goes to a notification, shortened.

func (m *Menu) showDetails(ctx context.Context) {
	st := m.opt.Engine.Status()
	now := time.Now()
	text := DetailsText(m.opt.StatusLine, st, now)
	copyIt, err := m.showText(ctx, titleDetails, text, actionCopy)
	if err != nil || !copyIt {
		return
	}
	if err := writeClipboard(ctx, Diagnostics(m.opt.Version, st, now)); err != nil {
		m.log.Warn("could not copy the diagnostics", "err", err)
		m.notify("Diagnostics not copied", "No clipboard program could take them. Install xclip or wl-clipboard, or run claude-keytray status in a terminal.")
		return
	}
	m.log.Info("diagnostics copied to the clipboard from the Details window")
	m.notify("Diagnostics copied", "Paste them into your bug report; they hold no key, only its last four characters.")
}

func (m *Menu) runDoctor(ctx context.Context) {
	ctx2, cancel := context.WithTimeout(ctx, time.Minute)
	report, err := m.opt.Doctor(ctx2)
	cancel()
	if err != nil && strings.TrimSpace(report) == "" {
		m.log.Warn("doctor could not run", "err", err)
		report = "The doctor could not run: " + err.Error()
	}
	m.showText(ctx, titleDoctor, report, "")
}

func (m *Menu) showAbout(ctx context.Context) {
	m.showText(ctx, titleAbout, AboutText(m.opt.Version), "")
}

func (m *Menu) openHelp(ctx context.Context) {
	if err := openURL(HelpURL); err != nil {
		m.log.Warn("could not open the help page", "url", HelpURL, "err", err)
		m.notify("Help could not be opened", "Open "+HelpURL+" in your browser, or run man claude-keytray in a terminal.")
	}
}

// AboutText is the About window.
func AboutText(version string) string {
	if version == "" {
		version = "dev"
	}
	return fmt.Sprintf(`%s %s

Keeps your Anthropic API key in the system keychain and hands it to Claude Code through its apiKeyHelper setting, so no key sits in a plain file.

Command: claude-keytray (claude-keytray --help lists what it does)
Built with %s for %s/%s
Help: %s
API keys: %s
`, DisplayName, version, runtime.Version(), runtime.GOOS, runtime.GOARCH, HelpURL, KeysPage)
}

// showText shows a text window; without a dialog program its first lines become a notification.
func (m *Menu) showText(ctx context.Context, title, text, action string) (bool, error) {
	acted, err := m.opt.Prompter.ShowText(ctx, title, text, action)
	if err == nil {
		return acted, nil
	}
	if !errors.Is(err, ErrNoDialog) {
		m.log.Warn("could not show a window", "title", title, "err", err)
	}
	lines := strings.SplitN(strings.TrimSpace(text), "\n", 4)
	if len(lines) > 3 {
		lines = lines[:3]
	}
	m.notify(title, strings.Join(lines, "\n"))
	return false, err
}
