package tray

import (
	"context"
	"os/exec"
	"strings"
)

// onAction runs a notification's action: "Update key…" opens the key dialog, "Details" shows
// the status in a small window (or the log where no dialog program exists).
func (m *Menu) onAction(ctx context.Context, action string) {
	m.log.Info("notification action chosen", "action", action)
	switch action {
	case ActionUpdateKey:
		m.mu.Lock()
		busy := m.updating
		m.mu.Unlock()
		if !busy {
			m.updateKey(ctx)
		}
	case ActionDetails:
		m.showDetails(ctx)
	}
}

// showDetails shows the status as text: zenity's or kdialog's text window, else the log.
func (m *Menu) showDetails(ctx context.Context) {
	text := ""
	if m.opt.Details != nil {
		text = m.opt.Details(m.opt.Engine.Status())
	}
	if text != "" {
		if bin, err := exec.LookPath("zenity"); err == nil {
			cmd := exec.CommandContext(ctx, bin, "--text-info", "--title=Claude key — details", "--width=720", "--height=420", "--font=monospace")
			cmd.Stdin = strings.NewReader(text)
			prepareCommand(cmd)
			if err := cmd.Start(); err == nil {
				go func() { _ = cmd.Wait() }()
				return
			}
		}
	}
	m.openLog(ctx)
}
