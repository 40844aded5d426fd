package claude

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/claude-keytray/claude-keytray/auth/internal/atomicfile"
	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
)

// InstallOptions tune Install.
type InstallOptions struct {
	// Exe is claude-keytray's absolute path, run by the helper; empty means this program.
	Exe string
	// Force replaces an apiKeyHelper that points at another command.
	Force bool
	// DryRun reports the changes and writes nothing.
	DryRun bool
	// Moved are keys found in the settings in plain text (FindPlaintextKeys) that the caller
	// has put into the keychain: their "env" entries are removed from the settings.
	Moved []string
}

// UninstallOptions tune Uninstall.
type UninstallOptions struct {
	// DryRun reports the changes and writes nothing.
	DryRun bool
}

// Change is one thing install or uninstall did (or, in a dry run, would do) to a path.
type Change struct {
	Path string `json:"path"`
	// Action is "created", "wrote", "backed up to", "removed", "restored" or "kept".
	Action string `json:"action"`
	Detail string `json:"detail,omitempty"`
}

func (c Change) String() string {
	if c.Detail == "" {
		return c.Action + " " + c.Path
	}
	return c.Action + " " + c.Path + " (" + c.Detail + ")"
}

// InstallResult lists the changes in the order they were made. Empty means nothing needed doing.
type InstallResult struct {
	Changes []Change `json:"changes"`
}

// BackupSuffix names the copy of settings.json that install keeps before its edit.
const BackupSuffix = ".claude-keytray.bak"

// installRecord is what install changed, kept in Files.InstallRecord so that uninstall can
// put back exactly what was there.
type installRecord struct {
	Version     int       `json:"version"`
	InstalledAt time.Time `json:"installed_at"`
	Exe         string    `json:"exe"`
	HelperPath  string    `json:"helper_path"`

	SettingsPath    string `json:"settings_path"`
	SettingsExisted bool   `json:"settings_existed"`
	// PreviousHelper is apiKeyHelper before the edit; PreviousHelperJSON its exact JSON text.
	PreviousHelperPresent bool   `json:"previous_api_key_helper_present"`
	PreviousHelperJSON    string `json:"previous_api_key_helper_json,omitempty"`
	// PreviousHelperInBackup is set instead of PreviousHelperJSON when the old command held
	// something shaped like a key (records of older versions, whose backups kept it).
	PreviousHelperInBackup bool `json:"previous_api_key_helper_in_backup,omitempty"`
	// PreviousHelperHeldKey: the old command printed a key in plain text. It is not kept
	// anywhere and uninstall does not put it back.
	PreviousHelperHeldKey bool `json:"previous_api_key_helper_held_key,omitempty"`
	// BackupScrubbed: the backup has every plaintext key replaced by its fingerprint, so it is
	// a record of the other settings, never restored byte for byte.
	BackupScrubbed bool `json:"backup_scrubbed,omitempty"`
	// SettingsSHA256 is the hash of settings.json right after the edit: while it still
	// matches, nobody else has changed the file and the backup can be restored as is.
	SettingsSHA256 string `json:"settings_sha256"`
	BackupPath     string `json:"backup_path,omitempty"`
	BackupSHA256   string `json:"backup_sha256,omitempty"`
	// CreatedDirs are folders install created, deepest first; uninstall removes them if empty.
	CreatedDirs []string `json:"created_dirs,omitempty"`
}

const installRecordVersion = 1

// step is one planned change and the function that makes it.
type step struct {
	change Change
	do     func() error
}

// runSteps makes the planned changes in order (none in a dry run) and reports those made.
func runSteps(steps []step, dryRun bool) (InstallResult, error) {
	res := InstallResult{Changes: []Change{}}
	for _, s := range steps {
		if !dryRun && s.do != nil {
			if err := s.do(); err != nil {
				return res, err
			}
		}
		res.Changes = append(res.Changes, s.change)
	}
	return res, nil
}

// Install writes the helper script and points Claude Code's apiKeyHelper at it, keeping a
// backup of settings.json and a record of what changed. Running it again changes nothing.
func Install(p Files, opt InstallOptions) (InstallResult, error) {
	exe := opt.Exe
	if exe == "" {
		e, err := os.Executable()
		if err != nil {
			return InstallResult{}, fmt.Errorf("finding this program's path for the helper script: %w", err)
		}
		exe = e
	}
	if !filepath.IsAbs(exe) {
		return InstallResult{}, fmt.Errorf("the program path %q is not absolute; the helper script needs the full path of claude-keytray", exe)
	}
	if !Runnable(exe) {
		return InstallResult{}, fmt.Errorf("the program %s is missing or not executable, and the helper script would run it; install claude-keytray there first, or run install from where it is", exe)
	}
	helperPath, err := filepath.Abs(p.Helper)
	if err != nil {
		return InstallResult{}, fmt.Errorf("resolving the helper path %s: %w", p.Helper, err)
	}
	settingsPath, err := filepath.Abs(p.Settings)
	if err != nil {
		return InstallResult{}, fmt.Errorf("resolving the settings path %s: %w", p.Settings, err)
	}
	recordPath := recordFor(p, settingsPath)
	prev, _, err := readInstallRecord(recordPath)
	if err != nil {
		return InstallResult{}, err
	}
	if prev != nil && !samePath(prev.SettingsPath, settingsPath) {
		prev = nil // another Claude folder's record: not ours to build on
	}
	doc, err := readSettings(settingsPath)
	if err != nil {
		return InstallResult{}, err
	}
	if err := checkWritable(settingsPath, doc, helperPath); err != nil {
		return InstallResult{}, err
	}

	// Decide everything before writing anything, so a refusal leaves no trace.
	wired := doc.runsHelper(helperPath)
	newSettings := doc.raw
	value := HelperSettingValue(helperPath)
	if !wired {
		if doc.pointsSomewhere() && !opt.Force {
			return InstallResult{}, fmt.Errorf("%s already sets apiKeyHelper to %s, which is not claude-keytray's helper; run claude-keytray install --force to replace it (the old value is kept in a backup and put back by claude-keytray uninstall)",
				settingsPath, keyshape.Mask(strconv.Quote(doc.helperValue())))
		}
		if newSettings, err = setHelperBytes(settingsPath, doc.raw, jsonString(value)); err != nil {
			return InstallResult{}, err
		}
	}
	var movedOut []string
	if len(opt.Moved) > 0 {
		moved := map[string]bool{}
		for _, m := range opt.Moved {
			moved[m] = true
		}
		if newSettings, movedOut, err = withoutEnvKeys(settingsPath, newSettings, moved); err != nil {
			return InstallResult{}, err
		}
	}
	settingsChange := !bytes.Equal(newSettings, doc.raw) || !doc.exists && !wired
	helperNeeded := !helperFileOK(helperPath, exe)
	staleBackup := false
	if prev != nil && prev.BackupPath != "" {
		if b, err := os.ReadFile(prev.BackupPath); err == nil {
			_, staleBackup = scrubbed(prev.BackupPath, b)
		}
	}
	if !settingsChange && !helperNeeded && !staleBackup {
		return InstallResult{Changes: []Change{}}, nil
	}

	var steps []step
	var created []string
	dirs := missingDirs(filepath.Dir(helperPath))
	if settingsChange {
		dirs = append(dirs, missingDirs(filepath.Dir(settingsPath))...)
	}
	dirs = uniqueDeepestFirst(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		steps = append(steps, step{Change{Path: d, Action: "created"}, func() error {
			if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("creating the folder %s: %w", d, err)
			}
			created = append([]string{d}, created...)
			return nil
		}})
	}
	if helperNeeded {
		steps = append(steps, step{Change{Path: helperPath, Action: "wrote", Detail: "apiKeyHelper script running " + exe + " key"}, func() error {
			return WriteHelper(helperPath, exe)
		}})
	}
	if !settingsChange && !staleBackup {
		return runSteps(steps, opt.DryRun)
	}
	if wired && prev == nil {
		// Wired without a record (it was lost, or the user set it by hand): nothing to undo
		// later but the edit itself, which uninstall finds from the settings alone.
		steps = append(steps, step{Change{Path: settingsPath, Action: "wrote", Detail: "removed " + strings.Join(movedOut, ", ") + " (the key is in the keychain now)"}, func() error {
			return writeSettings(settingsPath, newSettings, doc.perm)
		}})
		return runSteps(steps, opt.DryRun)
	}

	var rec installRecord
	if prev != nil && wired {
		// Already wired by an earlier install: its record (and backup) stay the reference;
		// only the hash of the edited file and a backup without keys change.
		rec = *prev
	} else {
		rec = installRecord{
			Version:               installRecordVersion,
			Exe:                   exe,
			HelperPath:            helperPath,
			SettingsPath:          settingsPath,
			SettingsExisted:       doc.exists,
			PreviousHelperPresent: doc.helperPresent,
			PreviousHelperJSON:    doc.helperRaw,
		}
		if keyshape.Mask(doc.helperRaw) != doc.helperRaw {
			rec.PreviousHelperJSON, rec.PreviousHelperHeldKey = "", true
		}
	}
	rec.SettingsSHA256 = sha256Hex(newSettings)
	backupFrom := doc.raw
	if rec.BackupPath != "" {
		if b, err := os.ReadFile(rec.BackupPath); err == nil {
			backupFrom = b
		}
	}
	if doc.exists || rec.BackupPath != "" {
		backupBytes, dirty := scrubbed(settingsPath, backupFrom)
		backup := rec.BackupPath
		if backup == "" {
			if backup, err = chooseBackup(settingsPath, backupBytes, prev); err != nil {
				return InstallResult{}, err
			}
		}
		rec.BackupScrubbed = rec.BackupScrubbed || dirty
		rec.BackupPath, rec.BackupSHA256 = backup, sha256Hex(backupBytes)
		detail := "copy of " + filepath.Base(settingsPath) + " before the edit"
		if dirty {
			detail += ", with its plaintext keys replaced by their fingerprints"
		}
		steps = append(steps, step{Change{Path: backup, Action: "backed up to", Detail: detail}, func() error {
			if err := atomicfile.WriteFile(backup, backupBytes, 0o600); err != nil {
				return fmt.Errorf("backing up %s to %s: %w", settingsPath, backup, err)
			}
			return nil
		}})
	}
	// The record goes first: an install killed (or out of disk) between the two writes then
	// leaves a record of an edit not yet made, which uninstall handles, rather than an edit
	// without a record, which uninstall could not undo (a replaced apiKeyHelper would be lost).
	steps = append(steps, step{Change{Path: recordPath, Action: "wrote", Detail: "what install changed, for uninstall"}, func() error {
		if rec.InstalledAt.IsZero() {
			rec.InstalledAt = time.Now().UTC().Truncate(time.Second)
		}
		rec.CreatedDirs = append(rec.CreatedDirs, created...)
		return writeInstallRecord(recordPath, rec)
	}})
	if settingsChange {
		action := "wrote"
		if !doc.exists {
			action = "created"
		}
		detail := "apiKeyHelper = " + value
		if wired {
			detail = ""
		}
		if len(movedOut) > 0 {
			detail = strings.TrimPrefix(detail+"; removed "+strings.Join(movedOut, ", ")+" (the key is in the keychain now)", "; ")
		}
		steps = append(steps, step{Change{Path: settingsPath, Action: action, Detail: detail}, func() error {
			return writeSettings(settingsPath, newSettings, doc.perm)
		}})
	}
	return runSteps(steps, opt.DryRun)
}

// Uninstall undoes Install: settings.json gets its old bytes back when nobody changed it since
// (otherwise only apiKeyHelper is put back), and the helper, backup and record are removed.
// Without a record it removes the helper and an apiKeyHelper that runs it. Running it again
// changes nothing.
func Uninstall(p Files, opt UninstallOptions) (InstallResult, error) {
	settingsPath, err := filepath.Abs(p.Settings)
	if err != nil {
		return InstallResult{}, fmt.Errorf("resolving the settings path %s: %w", p.Settings, err)
	}
	recordPath := recordFor(p, settingsPath)
	rec, ok, err := readInstallRecord(recordPath)
	if err != nil {
		return InstallResult{}, err
	}
	if ok && !samePath(rec.SettingsPath, settingsPath) {
		// The record of another Claude folder (an older version kept one for all): leave it.
		rec, ok = nil, false
	}
	p.InstallRecord = recordPath
	var steps []step
	if ok {
		steps, err = planUninstallFromRecord(p, rec)
	} else {
		steps, err = planUninstallWithoutRecord(p)
	}
	if err != nil {
		return InstallResult{}, err
	}
	return runSteps(steps, opt.DryRun)
}

func planUninstallFromRecord(p Files, rec *installRecord) ([]step, error) {
	var steps []step
	removed := map[string]bool{}
	settingsPath, helperPath := rec.SettingsPath, rec.HelperPath
	raw, err := os.ReadFile(settingsPath)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading the Claude settings %s: %w", settingsPath, err)
	}
	perm := fs.FileMode(0o600)
	if fi, err := os.Stat(settingsPath); err == nil {
		perm = fi.Mode().Perm()
	}
	backupOK := false
	var backup []byte
	if rec.BackupPath != "" {
		if b, err := os.ReadFile(rec.BackupPath); err == nil && sha256Hex(b) == rec.BackupSHA256 {
			backupOK, backup = true, b
		}
	}
	unchanged := exists && sha256Hex(raw) == rec.SettingsSHA256
	// A backup without its keys is never written back whole: that would put fingerprints
	// where the user's values were.
	restorable := backupOK && !rec.BackupScrubbed

	switch {
	case unchanged && !rec.SettingsExisted:
		removed[settingsPath] = true
		steps = append(steps, step{Change{Path: settingsPath, Action: "removed", Detail: "install created it"}, func() error {
			return removeSettingsFile(settingsPath)
		}})
	case unchanged && restorable:
		steps = append(steps, step{Change{Path: settingsPath, Action: "restored", Detail: "from " + rec.BackupPath}, func() error {
			return writeSettings(settingsPath, backup, perm)
		}})
	case exists:
		// Someone edited the file since install (or the backup is gone): undo only our key.
		d := settingsDoc{path: settingsPath, raw: raw, exists: true, perm: perm}
		d.helperRaw, d.helperPresent, err = parseSettings(settingsPath, raw)
		if err != nil {
			return nil, fmt.Errorf("%w (it changed since install; uninstall needs to edit it)", err)
		}
		if d.runsHelper(helperPath) {
			var out []byte
			var detail string
			prevJSON, prevKnown := rec.PreviousHelperJSON, true
			heldKey := rec.PreviousHelperHeldKey || rec.PreviousHelperInBackup && rec.BackupScrubbed
			if rec.PreviousHelperInBackup {
				prevJSON, prevKnown = "", false
				if backupOK && !rec.BackupScrubbed {
					if r, present, err := parseSettings(rec.BackupPath, backup); err == nil && present {
						prevJSON, prevKnown = r, true
					}
				}
			}
			switch {
			case heldKey:
				out, err = removeHelperBytes(settingsPath, raw)
				detail = "apiKeyHelper removed; the one before install printed a key in plain text and is not put back"
			case rec.PreviousHelperPresent && prevKnown:
				out, err = setHelperBytes(settingsPath, raw, prevJSON)
				detail = "apiKeyHelper put back to its value before install"
			case rec.PreviousHelperPresent:
				out, err = removeHelperBytes(settingsPath, raw)
				detail = "apiKeyHelper removed; its value before install is lost with the backup, set it again by hand"
			default:
				out, err = removeHelperBytes(settingsPath, raw)
				detail = "apiKeyHelper removed"
			}
			if err != nil {
				return nil, err
			}
			if unchanged && rec.BackupScrubbed {
				detail += "; the rest of the file kept"
			} else if unchanged {
				detail += "; the backup was missing or changed"
			} else {
				detail += "; other changes since install kept"
			}
			steps = append(steps, step{Change{Path: settingsPath, Action: "wrote", Detail: detail}, func() error {
				return writeSettings(settingsPath, out, perm)
			}})
		}
	}

	if rec.BackupPath != "" && fileExists(rec.BackupPath) {
		// A settings file still equal to the backup is one an interrupted install never edited.
		if backupOK && (unchanged || bytes.Equal(raw, backup) || rec.BackupScrubbed) {
			removed[rec.BackupPath] = true
			steps = append(steps, step{Change{Path: rec.BackupPath, Action: "removed", Detail: "backup no longer needed"}, func() error {
				return removeFile(rec.BackupPath)
			}})
		} else {
			steps = append(steps, step{Change{Path: rec.BackupPath, Action: "kept", Detail: "copy of the settings from before install; the settings changed since"}, nil})
		}
	}
	if fileExists(helperPath) {
		removed[helperPath] = true
		steps = append(steps, step{Change{Path: helperPath, Action: "removed"}, func() error { return removeFile(helperPath) }})
	}
	removed[p.InstallRecord] = true
	steps = append(steps, step{Change{Path: p.InstallRecord, Action: "removed"}, func() error { return removeFile(p.InstallRecord) }})

	for _, d := range rec.CreatedDirs {
		if !DirEmptyAfter(d, removed) {
			continue
		}
		removed[d] = true
		steps = append(steps, step{Change{Path: d, Action: "removed", Detail: "empty folder install created"}, func() error {
			if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing the folder %s: %w", d, err)
			}
			return nil
		}})
	}
	return steps, nil
}

func planUninstallWithoutRecord(p Files) ([]step, error) {
	var steps []step
	d, err := readSettings(p.Settings)
	if err != nil {
		return nil, err
	}
	wired := d.runsHelper(p.Helper)
	if wired {
		out, err := removeHelperBytes(p.Settings, d.raw)
		if err != nil {
			return nil, err
		}
		steps = append(steps, step{Change{Path: p.Settings, Action: "wrote", Detail: "apiKeyHelper removed"}, func() error {
			return writeSettings(p.Settings, out, d.perm)
		}})
	}
	// A file at the helper's place is ours when it carries our marker or settings run it;
	// anything else is someone's own script and stays.
	if b, err := os.ReadFile(p.Helper); err == nil && (wired || bytes.Contains(b, []byte(helperMarker))) {
		steps = append(steps, step{Change{Path: p.Helper, Action: "removed"}, func() error { return removeFile(p.Helper) }})
	}
	return steps, nil
}

// helperFileOK is CheckHelper without the advice: the file install would write is in place.
func helperFileOK(path, exe string) bool { return CheckHelper(path, exe).OK }

func readInstallRecord(path string) (*installRecord, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading the install record %s: %w", path, err)
	}
	var rec installRecord
	if err := json.Unmarshal(b, &rec); err != nil || rec.SettingsPath == "" || rec.HelperPath == "" {
		return nil, false, fmt.Errorf("the install record %s is damaged (%v); move it away and run the command again (uninstall then works from the settings alone)", path, errOr(err, "paths missing"))
	}
	return &rec, true, nil
}

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}

func writeInstallRecord(path string, rec installRecord) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the state folder %s: %w", filepath.Dir(path), err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing the install record %s: %w", path, err)
	}
	return nil
}

// chooseBackup picks where to keep the original settings: settings.json.claude-keytray.bak,
// unless that holds something else we did not write, then a numbered name next to it.
func chooseBackup(settingsPath string, original []byte, prev *installRecord) (string, error) {
	base := settingsPath + BackupSuffix
	for n := 1; n < 1000; n++ {
		name := base
		if n > 1 {
			name = base + "." + strconv.Itoa(n)
		}
		b, err := os.ReadFile(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return name, nil
		case err != nil:
			continue
		case bytes.Equal(b, original), prev != nil && prev.BackupPath == name:
			return name, nil
		}
	}
	return "", fmt.Errorf("no free name for a backup of %s; remove old %s* files and run again", settingsPath, base)
}

// missingDirs lists dir and those of its parents that do not exist, deepest first.
func missingDirs(dir string) []string {
	var out []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		out = append(out, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	return out
}

func uniqueDeepestFirst(dirs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.Count(out[i], string(filepath.Separator)) > strings.Count(out[j], string(filepath.Separator))
	})
	return out
}

// DirEmptyAfter reports whether dir exists and will be empty once the paths in removed are gone;
// uninstalls use it to remove only the folders they emptied.
func DirEmptyAfter(dir string, removed map[string]bool) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !removed[filepath.Join(dir, e.Name())] {
			return false
		}
	}
	return true
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	return nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// recordFor is where install keeps its record for the settings at settingsPath: the per-folder
// record, or the single install.json of older versions when that one is this folder's.
func recordFor(p Files, settingsPath string) string {
	if fileExists(p.InstallRecord) {
		return p.InstallRecord
	}
	legacy := filepath.Join(filepath.Dir(p.InstallRecord), legacyRecordName)
	if rec, ok, err := readInstallRecord(legacy); err == nil && ok && samePath(rec.SettingsPath, settingsPath) {
		return legacy
	}
	return p.InstallRecord
}

// removeSettingsFile removes a settings file install created. Created through a link (a
// dotfiles link whose target was missing), the target goes and the link stays as it was.
func removeSettingsFile(path string) error {
	return removeFile(linkTarget(path))
}

// checkWritable finds, before anything is written, what would make install stop halfway: a
// settings file the user made read-only, a link into a read-only place (a Nix store), or a
// link whose target's folder does not exist yet.
func checkWritable(settingsPath string, doc settingsDoc, helperPath string) error {
	target := linkTarget(settingsPath)
	if doc.exists && doc.perm&0o200 == 0 {
		return fmt.Errorf("%s is read-only (mode %04o), so claude-keytray leaves it alone; make it writable (chmod u+w %s) and run install again, or set \"apiKeyHelper\": %s in it yourself",
			settingsPath, doc.perm, shQuoteIfNeeded(target), jsonString(HelperSettingValue(helperPath)))
	}
	dir := filepath.Dir(target)
	if target != settingsPath {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s is a link to %s, whose folder does not exist (are your dotfiles checked out?); check them out, or remove the link, and run install again", settingsPath, target)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		if err := probeWrite(dir); err != nil {
			return fmt.Errorf("cannot write %s: its folder %s is not writable (%v); settings kept in a read-only place (a Nix store, say) must get apiKeyHelper = %s where they are made", settingsPath, dir, err, HelperSettingValue(helperPath))
		}
	}
	return nil
}

// probeWrite creates and removes a file in dir: the one way to learn that a write would work
// there (a read-only mount refuses even root).
func probeWrite(dir string) error {
	f, err := os.CreateTemp(dir, ".claude-keytray-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
