package packaging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth"
	"github.com/claude-keytray/claude-keytray/auth/claude"
)

// plan makes (or, in a dry run, lists) the file changes of Enable and Disable, each only when
// needed, so that running them twice changes nothing the second time.
type plan struct {
	dryRun  bool
	changes []claude.Change
	// created are the folders made on the way, kept in the record so Disable can remove them.
	created []string
	// planned are the folders a dry run would have made.
	planned map[string]bool
}

func newPlan(dryRun bool) *plan { return &plan{dryRun: dryRun, planned: map[string]bool{}} }

func (p *plan) add(path, action, detail string) {
	p.changes = append(p.changes, claude.Change{Path: path, Action: action, Detail: detail})
}

// mkdirs creates dir and its missing parents, each with mode 0700 and its own change.
func (p *plan) mkdirs(dir string) error {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || p.planned[d] {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if p.dryRun {
			p.planned[d] = true
		} else if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("creating the folder %s: %w", d, err)
		}
		p.created = append(p.created, d)
		p.add(d, "created", "")
	}
	return nil
}

// writeFile puts data at path unless it is already there. A file at path that install did not
// write is left alone and reported: it is someone else's.
func (p *plan) writeFile(path string, data []byte, perm fs.FileMode, detail string) (bool, error) {
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, data):
		return false, nil
	case err == nil && !ours(old):
		return false, fmt.Errorf("%s already exists and was not written by claude-keytray install; move it away (or delete it) and run install again", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	action := "wrote"
	if err != nil {
		action = "created"
	}
	if err := p.mkdirs(filepath.Dir(path)); err != nil {
		return false, err
	}
	if !p.dryRun {
		if err := writeAtomic(path, data, perm); err != nil {
			return false, err
		}
	}
	p.add(path, action, detail)
	return true, nil
}

// refuseForeign fails when any of paths holds a file install did not write, before anything
// is written, so that a refusal leaves no trace.
func refuseForeign(paths ...string) error {
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && !ours(b) {
			return fmt.Errorf("%s already exists and was not written by claude-keytray install; move it away (or delete it) and run install again", p)
		}
	}
	return nil
}

// removeOurs deletes path if install wrote it.
func (p *plan) removeOurs(path, detail string) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	if !ours(b) {
		return false, nil
	}
	if !p.dryRun {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("removing %s: %w", path, err)
		}
	}
	p.add(path, "removed", detail)
	return true, nil
}

// ours reports whether a file carries install's marker.
func ours(b []byte) bool { return bytes.Contains(b, []byte(installMarker)) }

// ownFile reports whether path exists and install wrote it.
func ownFile(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && ours(b)
}

func writeAtomic(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, perm)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// record is what Enable created beyond its files: the folders, so Disable leaves none behind.
type record struct {
	CreatedDirs []string `json:"created_dirs"`
}

func recordPath(p auth.Paths) string { return filepath.Join(p.StateDir, "autostart.json") }

func readRecord(p auth.Paths) record {
	var r record
	if b, err := os.ReadFile(recordPath(p)); err == nil {
		_ = json.Unmarshal(b, &r)
	}
	return r
}

// saveRecord adds the folders this plan created to the record.
func (p *plan) saveRecord(paths auth.Paths) error {
	if len(p.created) == 0 || p.dryRun {
		return nil
	}
	r := readRecord(paths)
	seen := map[string]bool{}
	for _, d := range r.CreatedDirs {
		seen[d] = true
	}
	for _, d := range p.created {
		if !seen[d] {
			r.CreatedDirs = append(r.CreatedDirs, d)
		}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(paths.StateDir, 0o700); err != nil {
		return fmt.Errorf("creating the state folder %s: %w", paths.StateDir, err)
	}
	return writeAtomic(recordPath(paths), append(b, '\n'), 0o600)
}

// removeEmptyDirs removes those of dirs (folders install created) that are empty once the paths
// in removed are gone, deepest first, and adds them to removed.
func (p *plan) removeEmptyDirs(dirs []string, removed map[string]bool) error {
	dirs = append([]string(nil), dirs...)
	sort.SliceStable(dirs, func(i, j int) bool {
		return strings.Count(dirs[i], string(filepath.Separator)) > strings.Count(dirs[j], string(filepath.Separator))
	})
	for _, d := range dirs {
		if !claude.DirEmptyAfter(d, removed) {
			continue
		}
		if !p.dryRun {
			if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing the folder %s: %w", d, err)
			}
		}
		removed[d] = true
		p.add(d, "removed", "empty folder install created")
	}
	return nil
}

// removeCreatedDirs removes the folders Enable created that are now empty, deepest first,
// and then the record.
func (p *plan) removeCreatedDirs(paths auth.Paths, removed map[string]bool) error {
	if err := p.removeEmptyDirs(readRecord(paths).CreatedDirs, removed); err != nil {
		return err
	}
	if _, err := os.Stat(recordPath(paths)); err == nil && !p.dryRun {
		if err := os.Remove(recordPath(paths)); err != nil {
			return fmt.Errorf("removing %s: %w", recordPath(paths), err)
		}
	}
	return nil
}

// removedSet lists the paths a plan removed, for claude.DirEmptyAfter.
func (p *plan) removedSet() map[string]bool {
	m := map[string]bool{}
	for _, c := range p.changes {
		if c.Action == "removed" {
			m[c.Path] = true
		}
	}
	return m
}
