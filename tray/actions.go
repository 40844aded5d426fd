package tray

import (
	"context"
)

// onAction runs a notification's action: "Update key…" opens the key dialog, "Details" opens
// the same Details window as the menu's status line.
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
