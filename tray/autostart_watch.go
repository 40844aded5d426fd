package tray

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/fsnotify/fsnotify"
)

// watchAutostart reads the "Start at login" checkmark again whenever one of the autostart
// files changes, until ctx ends; their folders are watched, so a file created later counts.
func (m *Menu) watchAutostart(ctx context.Context) {
	files := m.opt.AutostartFiles
	if m.opt.Autostart == nil || len(files) == 0 {
		return
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		m.log.Warn("cannot watch the autostart files; the checkmark follows the status instead", "err", err)
		return
	}
	defer w.Close()
	var dirs []string
	for _, f := range files {
		if d := filepath.Dir(f); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
			// A folder that does not exist yet is watched through its parent.
			if err := w.Add(d); err != nil {
				_ = w.Add(filepath.Dir(d))
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if slices.Contains(dirs, ev.Name) && ev.Op&fsnotify.Create != 0 {
				_ = w.Add(ev.Name)
			}
			m.readAutostart()
			m.redraw()
		case _, ok := <-w.Errors:
			if !ok {
				return
			}
		}
	}
}
