// Package watch reports changes to a set of files and folders, whether they exist yet or not,
// through the OS's own notifications (inotify, kqueue, ReadDirectoryChangesW): a folder that
// does not exist is waited for from its nearest existing parent.
package watch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// Watcher watches targets: each is a file or a folder, and a change to it, or inside it when
// it is a folder, is reported with the target's path.
type Watcher struct {
	fs      *fsnotify.Watcher
	targets []string

	mu      sync.Mutex
	watched map[string]bool
}

// New starts watching targets (absolute paths).
func New(targets []string) (*Watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &Watcher{fs: fw, watched: map[string]bool{}}
	seen := map[string]bool{}
	for _, t := range targets {
		if t = filepath.Clean(t); t != "." && !seen[t] {
			seen[t] = true
			w.targets = append(w.targets, t)
		}
	}
	w.rewatch()
	return w, nil
}

// rewatch adds a watch on each target that is a folder, and on the nearest existing parent
// of each, so a target's creation, removal and replacement by rename are all seen.
func (w *Watcher) rewatch() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range w.targets {
		if fi, err := os.Stat(t); err == nil && fi.IsDir() {
			w.add(t)
		}
		for d := filepath.Dir(t); ; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				w.add(d)
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
}

func (w *Watcher) add(dir string) {
	if w.watched[dir] {
		return
	}
	if err := w.fs.Add(dir); err == nil {
		w.watched[dir] = true
	}
}

// affected is the targets an event on path concerns: the target itself, a file inside a
// target folder, or a folder on the way to a target (its creation makes the target appear).
func (w *Watcher) affected(path string) []string {
	var out []string
	for _, t := range w.targets {
		if path == t || strings.HasPrefix(path, t+string(filepath.Separator)) || strings.HasPrefix(t, path+string(filepath.Separator)) {
			out = append(out, t)
		}
	}
	return out
}

// Run calls onChange with each affected target until ctx ends, then closes the watcher.
// Events come as the OS sends them: the caller coalesces bursts.
func (w *Watcher) Run(ctx context.Context, onChange func(target string)) {
	defer w.fs.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if ev.Op&fsnotify.Remove != 0 || ev.Op&fsnotify.Rename != 0 {
				w.mu.Lock()
				delete(w.watched, filepath.Clean(ev.Name))
				w.mu.Unlock()
			}
			if ev.Op&fsnotify.Create != 0 || ev.Op&fsnotify.Remove != 0 || ev.Op&fsnotify.Rename != 0 {
				w.rewatch()
			}
			for _, t := range w.affected(filepath.Clean(ev.Name)) {
				onChange(t)
			}
		case _, ok := <-w.fs.Errors:
			if !ok {
				return
			}
		}
	}
}
