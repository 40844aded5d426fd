package auth

import (
	"errors"
	"fmt"

	"github.com/claude-keytray/claude-keytray/auth/claude"
)

// ErrSourceIsAuthority means a key was offered by hand (update-key, the tray, the control API,
// an import) while a source command gives the key: storing it would only last until the next
// refresh put the source's key back, so it is refused and the old key kept.
var ErrSourceIsAuthority = errors.New("a source command gives the key")

// sourceRefusal is the error for a key offered by hand while a source is configured; nil when
// no source is configured or k is the key already in use.
func (e *Engine) sourceRefusal(k Key) error {
	if e.opts.Source == nil {
		return nil
	}
	e.mu.Lock()
	same := e.key.Secret() == k.Secret()
	e.mu.Unlock()
	if same {
		return nil
	}
	return fmt.Errorf("%w (%s), so key %s was not stored: the next refresh would put the source's key back. Update the key where the source reads it (your secret manager) and refresh, or remove %s to manage the key here", ErrSourceIsAuthority, e.SourceSetting(), k.Fingerprint(), e.SourceSetting())
}

// SourceSetting names where the engine's source command is configured; "" when there is none.
func (e *Engine) SourceSetting() string {
	if e.opts.Source == nil {
		return ""
	}
	return SourceSetting(e.opts.Environ, e.opts.Paths.ConfigFile)
}

// SourceSetting names where a source command is configured, for messages: the environment
// variable when it is set (it wins over the config), else the config file's field.
func SourceSetting(environ []string, configFile string) string {
	if v, _ := claude.LookupEnv(environ, "CLAUDE_KEYTRAY_SOURCE"); v != "" {
		return "CLAUDE_KEYTRAY_SOURCE"
	}
	return "source_command in " + configFile
}
