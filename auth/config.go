package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is config.json merged with the environment. Zero fields take the defaults below.
type Config struct {
	// Store is "keychain" (default) or "file" (the plaintext ~/.claude/api_key, mode 0600).
	Store string `json:"store,omitempty"`
	// SourceCommand is a shell command that prints the current key (CLAUDE_KEYTRAY_SOURCE wins).
	SourceCommand        string `json:"source_command,omitempty"`
	SourceTimeoutSeconds int    `json:"source_timeout_seconds,omitempty"`
	// RefreshIntervalSeconds is the refresh period (CLAUDE_AUTH_REFRESH_INTERVAL wins).
	RefreshIntervalSeconds int `json:"refresh_interval_seconds,omitempty"`
	// CheckIntervalSeconds is how often an unchanged key is checked against the API.
	CheckIntervalSeconds   int   `json:"check_interval_seconds,omitempty"`
	KeychainTimeoutSeconds int   `json:"keychain_timeout_seconds,omitempty"`
	Notifications          *bool `json:"notifications,omitempty"`
	// KeyPattern is a regular expression (Go syntax) a gateway token from the source matches as
	// a whole; such a token is stored even when the API cannot be asked about it.
	KeyPattern string `json:"key_pattern,omitempty"`
	// Profiles are the keys besides "default", by name (profiles.go).
	Profiles map[string]ProfileConfig `json:"profiles,omitempty"`
	// DefaultProfile is what a folder without a binding gets ("default" when empty).
	DefaultProfile string `json:"default_profile,omitempty"`
	// Bindings choose a profile by the folder Claude Code runs in.
	Bindings []Binding `json:"bindings,omitempty"`
}

// Defaults and limits.
const (
	DefaultRefreshInterval = 240 * time.Second
	MinRefreshInterval     = 10 * time.Second
	MaxRefreshInterval     = 86400 * time.Second
	DefaultSourceTimeout   = 30 * time.Second
	DefaultCheckInterval   = time.Hour
)

// LoadConfig reads path (a missing file is an empty config) and applies the environment.
// A bad value is an error that names the variable or field and the allowed range.
func LoadConfig(path string) (Config, error) {
	c, badInterval, err := LoadConfigTolerant(path)
	if err == nil {
		err = badInterval
	}
	return c, err
}

// LoadConfigTolerant is LoadConfig for commands that never use the refresh interval: `key`,
// on the helper's path, must not fail Claude Code over a setting it does not need, and
// `doctor` reports it. A bad CLAUDE_AUTH_REFRESH_INTERVAL or refresh_interval_seconds leaves
// the default in place and comes back as badInterval; err is every other problem.
func LoadConfigTolerant(path string) (c Config, badInterval, err error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return c, nil, fmt.Errorf("reading the config %s: %w", path, err)
	default:
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return c, nil, fmt.Errorf("the config %s is not valid: %w", path, err)
		}
	}
	if v, ok := os.LookupEnv("CLAUDE_AUTH_REFRESH_INTERVAL"); ok && strings.TrimSpace(v) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || !inRange(time.Duration(n)*time.Second, MinRefreshInterval, MaxRefreshInterval) {
			badInterval = fmt.Errorf("CLAUDE_AUTH_REFRESH_INTERVAL=%q: want whole seconds from %d to %d", v, int(MinRefreshInterval.Seconds()), int(MaxRefreshInterval.Seconds()))
			c.RefreshIntervalSeconds = 0
		} else {
			c.RefreshIntervalSeconds = n
		}
	} else if c.RefreshIntervalSeconds != 0 && !inRange(time.Duration(c.RefreshIntervalSeconds)*time.Second, MinRefreshInterval, MaxRefreshInterval) {
		badInterval = fmt.Errorf("refresh_interval_seconds=%d in %s: want whole seconds from %d to %d", c.RefreshIntervalSeconds, path, int(MinRefreshInterval.Seconds()), int(MaxRefreshInterval.Seconds()))
		c.RefreshIntervalSeconds = 0
	}
	if v := strings.TrimSpace(os.Getenv("CLAUDE_KEYTRAY_SOURCE")); v != "" {
		c.SourceCommand = v
	}
	switch c.Store {
	case "", "keychain", "file":
	default:
		return c, badInterval, fmt.Errorf("store=%q in %s: want \"keychain\" or \"file\"", c.Store, path)
	}
	if c.KeyPattern != "" {
		if _, err := regexp.Compile(c.KeyPattern); err != nil {
			return c, badInterval, fmt.Errorf("key_pattern in %s is not a valid regular expression: %v", path, err)
		}
	}
	if err := c.checkProfiles(path); err != nil {
		return c, badInterval, err
	}
	for name, v := range map[string]int{"source_timeout_seconds": c.SourceTimeoutSeconds, "check_interval_seconds": c.CheckIntervalSeconds, "keychain_timeout_seconds": c.KeychainTimeoutSeconds} {
		if v < 0 {
			return c, badInterval, fmt.Errorf("%s=%d in %s: want a positive number of seconds", name, v, path)
		}
	}
	return c, badInterval, nil
}

func inRange(d, lo, hi time.Duration) bool { return d >= lo && d <= hi }

// RefreshInterval is the refresh period with its default.
func (c Config) RefreshInterval() time.Duration {
	return secondsOr(c.RefreshIntervalSeconds, DefaultRefreshInterval)
}

// SourceTimeout bounds one run of the source command.
func (c Config) SourceTimeout() time.Duration {
	return secondsOr(c.SourceTimeoutSeconds, DefaultSourceTimeout)
}

// CheckInterval is how often an unchanged key is re-checked against the API.
func (c Config) CheckInterval() time.Duration {
	return secondsOr(c.CheckIntervalSeconds, DefaultCheckInterval)
}

// KeychainTimeout bounds one keychain call.
func (c Config) KeychainTimeout() time.Duration {
	return secondsOr(c.KeychainTimeoutSeconds, DefaultKeychainTimeout)
}

// KeyPatternMatches reports whether s as a whole matches key_pattern (false when none is set).
func (c Config) KeyPatternMatches(s string) bool {
	if c.KeyPattern == "" {
		return false
	}
	re, err := regexp.Compile(`^(?:` + c.KeyPattern + `)$`)
	return err == nil && re.MatchString(s)
}

// NotificationsOn is true unless the config turns notifications off.
func (c Config) NotificationsOn() bool { return c.Notifications == nil || *c.Notifications }

func secondsOr(n int, d time.Duration) time.Duration {
	if n > 0 {
		return time.Duration(n) * time.Second
	}
	return d
}
