package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth/internal/atomicfile"
	"github.com/tidwall/sjson"
)

// DefaultProfile is the profile that always exists: today's key, keychain account "default".
const DefaultProfile = "default"

// ProfileEnv names a profile for every command, like the global --profile flag.
const ProfileEnv = "CLAUDE_KEYTRAY_PROFILE"

// profileNameRE is DESIGN's pattern for profile names; a name is also a keychain account and
// part of a state file's name, so it stays short and plain.
var profileNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// ProfileConfig is one entry of config.json's "profiles".
type ProfileConfig struct {
	// SourceCommand prints this profile's key, like the top-level source_command does for default.
	SourceCommand string `json:"source_command,omitempty"`
	// BaseURL is the API host its key is checked against (default: ANTHROPIC_BASE_URL or the API).
	BaseURL string `json:"base_url,omitempty"`
}

// Binding makes Claude Code started in Dir, or below it, use Profile.
type Binding struct {
	Dir     string `json:"dir"`
	Profile string `json:"profile"`
}

// ErrUnknownProfile is what every *UnknownProfileError is.
var ErrUnknownProfile = errors.New("unknown profile")

// UnknownProfileError names a profile that config.json does not have.
type UnknownProfileError struct {
	Name  string
	Known []string
}

func (e *UnknownProfileError) Error() string {
	return fmt.Sprintf("no profile named %q; the profiles are %s (see claude-keytray profile list, or profile add %s)", e.Name, strings.Join(e.Known, ", "), e.Name)
}

// Is makes errors.Is(err, ErrUnknownProfile) true.
func (e *UnknownProfileError) Is(target error) bool { return target == ErrUnknownProfile }

// CheckProfileName says why name cannot be a profile's name, or nil.
func CheckProfileName(name string) error {
	if !profileNameRE.MatchString(name) {
		return fmt.Errorf("profile name %q: use 1 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// ProfileNames lists the profiles: default first, then the others in name order.
func (c Config) ProfileNames() []string {
	names := []string{DefaultProfile}
	for n := range c.Profiles {
		names = append(names, n)
	}
	sort.Strings(names[1:])
	return names
}

// HasProfile reports whether name is a profile.
func (c Config) HasProfile(name string) bool {
	if name == DefaultProfile {
		return true
	}
	_, ok := c.Profiles[name]
	return ok
}

// CurrentProfile is the profile a folder without a binding gets.
func (c Config) CurrentProfile() string {
	if c.DefaultProfile == "" || !c.HasProfile(c.DefaultProfile) {
		return DefaultProfile
	}
	return c.DefaultProfile
}

// LookupProfile returns name's settings, or an *UnknownProfileError.
func (c Config) LookupProfile(name string) (ProfileConfig, error) {
	if name == DefaultProfile {
		return ProfileConfig{SourceCommand: c.SourceCommand}, nil
	}
	pc, ok := c.Profiles[name]
	if !ok {
		return pc, &UnknownProfileError{Name: name, Known: c.ProfileNames()}
	}
	return pc, nil
}

// ForProfile is c as the engine of profile name uses it: another profile's source command
// replaces the top-level one. "" is the default profile.
func (c Config) ForProfile(name string) (Config, error) {
	if name == "" || name == DefaultProfile {
		return c, nil
	}
	pc, err := c.LookupProfile(name)
	if err != nil {
		return c, err
	}
	c.SourceCommand = pc.SourceCommand
	return c, nil
}

// BindingsOf lists the folders bound to name.
func (c Config) BindingsOf(name string) []string {
	var dirs []string
	for _, b := range c.Bindings {
		if b.Profile == name {
			dirs = append(dirs, b.Dir)
		}
	}
	return dirs
}

// checkProfiles validates the profile fields of a config read from path.
func (c Config) checkProfiles(path string) error {
	for name, pc := range c.Profiles {
		if name == DefaultProfile {
			return fmt.Errorf("profiles in %s: %q always exists and is set by the top-level fields; remove it from \"profiles\"", path, name)
		}
		if err := CheckProfileName(name); err != nil {
			return fmt.Errorf("profiles in %s: %w", path, err)
		}
		if pc.BaseURL != "" && !strings.HasPrefix(pc.BaseURL, "http://") && !strings.HasPrefix(pc.BaseURL, "https://") {
			return fmt.Errorf("profiles.%s.base_url=%q in %s: want an http:// or https:// URL", name, pc.BaseURL, path)
		}
	}
	if c.DefaultProfile != "" && !c.HasProfile(c.DefaultProfile) {
		return fmt.Errorf("default_profile=%q in %s: %w", c.DefaultProfile, path, &UnknownProfileError{Name: c.DefaultProfile, Known: c.ProfileNames()})
	}
	for i, b := range c.Bindings {
		if !filepath.IsAbs(b.Dir) {
			return fmt.Errorf("bindings[%d].dir=%q in %s: want an absolute folder", i, b.Dir, path)
		}
		if !c.HasProfile(b.Profile) {
			return fmt.Errorf("bindings[%d] in %s (%s): %w", i, path, b.Dir, &UnknownProfileError{Name: b.Profile, Known: c.ProfileNames()})
		}
	}
	return nil
}

// BindingDir is the folder a binding is recorded under: absolute and clean. It is not resolved:
// a link keeps working when what it points at moves, and matching resolves it (ResolveProfile).
func BindingDir(dir string) (string, error) {
	if strings.HasPrefix(dir, "~/") || dir == "~" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding the home folder for %s: %w", dir, err)
		}
		dir = filepath.Join(home, strings.TrimPrefix(dir, "~"))
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("folder %s: %w", dir, err)
	}
	return abs, nil
}

// Config edits: each reads config.json, changes only its own fields with sjson (every other
// byte stays as the user wrote it), checks the result as LoadConfig would and replaces the file
// in one rename.

// AddProfile creates profile name with its settings.
func AddProfile(path, name string, pc ProfileConfig) error {
	if err := CheckProfileName(name); err != nil {
		return err
	}
	return editConfig(path, func(c Config, b []byte) ([]byte, error) {
		if c.HasProfile(name) {
			return nil, fmt.Errorf("profile %q already exists in %s", name, path)
		}
		raw, _ := json.Marshal(pc)
		return sjson.SetRawBytes(b, "profiles."+sjsonKey(name), raw)
	})
}

// RemoveProfile removes profile name and every binding that names it; when it was the default
// profile, default becomes the default again.
func RemoveProfile(path, name string) error {
	if name == DefaultProfile {
		return errors.New(`the profile "default" always exists and cannot be removed`)
	}
	return editConfig(path, func(c Config, b []byte) ([]byte, error) {
		if !c.HasProfile(name) {
			return nil, &UnknownProfileError{Name: name, Known: c.ProfileNames()}
		}
		b, err := sjson.DeleteBytes(b, "profiles."+sjsonKey(name))
		if err != nil {
			return nil, err
		}
		if c.DefaultProfile == name {
			if b, err = sjson.DeleteBytes(b, "default_profile"); err != nil {
				return nil, err
			}
		}
		kept := c.Bindings[:0:0]
		for _, bd := range c.Bindings {
			if bd.Profile != name {
				kept = append(kept, bd)
			}
		}
		return setBindings(b, c.Bindings, kept)
	})
}

// UseProfile makes name the profile of every folder without a binding.
func UseProfile(path, name string) error {
	return editConfig(path, func(c Config, b []byte) ([]byte, error) {
		if !c.HasProfile(name) {
			return nil, &UnknownProfileError{Name: name, Known: c.ProfileNames()}
		}
		if name == DefaultProfile {
			return sjson.DeleteBytes(b, "default_profile")
		}
		return sjson.SetBytes(b, "default_profile", name)
	})
}

// BindFolder makes Claude Code started in dir or below use name; an earlier binding of the
// same folder is replaced.
func BindFolder(path, dir, name string) error {
	return editConfig(path, func(c Config, b []byte) ([]byte, error) {
		if !c.HasProfile(name) {
			return nil, &UnknownProfileError{Name: name, Known: c.ProfileNames()}
		}
		kept := c.Bindings[:0:0]
		for _, bd := range c.Bindings {
			if !sameDir(bd.Dir, dir) {
				kept = append(kept, bd)
			}
		}
		return setBindings(b, c.Bindings, append(kept, Binding{Dir: dir, Profile: name}))
	})
}

// UnbindFolder removes dir's binding; it is an error when dir has none.
func UnbindFolder(path, dir string) error {
	return editConfig(path, func(c Config, b []byte) ([]byte, error) {
		kept := c.Bindings[:0:0]
		for _, bd := range c.Bindings {
			if !sameDir(bd.Dir, dir) {
				kept = append(kept, bd)
			}
		}
		if len(kept) == len(c.Bindings) {
			return nil, fmt.Errorf("no binding for %s in %s (see claude-keytray profile list)", dir, path)
		}
		return setBindings(b, c.Bindings, kept)
	})
}

func setBindings(b []byte, before, after []Binding) ([]byte, error) {
	if len(after) == len(before) && len(before) == 0 {
		return b, nil
	}
	if len(after) == 0 {
		return sjson.DeleteBytes(b, "bindings")
	}
	raw, _ := json.Marshal(after)
	return sjson.SetRawBytes(b, "bindings", raw)
}

func sameDir(a, b string) bool {
	if runtime.GOOS == "windows" {
		return strings.EqualFold(filepath.Clean(a), filepath.Clean(b))
	}
	return filepath.Clean(a) == filepath.Clean(b)
}

// sjsonKey escapes a profile name for an sjson path: '.' would otherwise nest.
func sjsonKey(name string) string { return strings.ReplaceAll(name, ".", `\.`) }

func editConfig(path string, edit func(c Config, b []byte) ([]byte, error)) error {
	b, err := os.ReadFile(path)
	mode := fs.FileMode(0o600)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		b = []byte("{}\n")
	case err != nil:
		return fmt.Errorf("reading the config %s: %w", path, err)
	default:
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	}
	var c Config
	if err := decodeConfig(b, &c); err != nil {
		return fmt.Errorf("the config %s is not valid: %w; fix it before changing profiles", path, err)
	}
	out, err := edit(c, b)
	if err != nil {
		return err
	}
	var after Config
	if err := decodeConfig(out, &after); err != nil {
		return fmt.Errorf("changing %s would make it invalid: %w", path, err)
	}
	if err := after.checkProfiles(path); err != nil {
		return err
	}
	if bytes.Equal(out, b) {
		return nil
	}
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n')
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the config folder %s: %w", filepath.Dir(path), err)
	}
	if err := atomicfile.WriteFile(path, out, mode); err != nil {
		return fmt.Errorf("writing the config %s: %w", path, err)
	}
	return nil
}

func decodeConfig(b []byte, c *Config) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(c)
}
