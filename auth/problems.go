package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/claude-keytray/claude-keytray/auth/claude"
	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
)

// Problem is one thing that keeps Claude Code from getting this key, or that the user should
// know about, with what to do. Codes are stable: add, never rename.
type Problem struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	// Title is a few words for the tray's status line ("Helper script missing").
	Title   string `json:"title"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// Severity says whether a problem stops Claude Code from using this key (error) or not (warning).
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Problem codes (stable; add, never rename).
const (
	ProblemKeychainUnavailable = "keychain_unavailable"
	ProblemNoKey               = "no_key"
	ProblemKeyRejected         = "key_rejected"
	ProblemKeyUnverified       = "key_unverified"
	ProblemHelperMissing       = "helper_missing"
	ProblemHelperBroken        = "helper_broken"
	ProblemSettingsNotWired    = "settings_not_wired"
	ProblemHelperOverridden    = "helper_overridden"
	ProblemCredentialOverrides = "credential_overrides_helper"
	ProblemProviderOverrides   = "provider_overrides_helper"
	ProblemLoginMethodForced   = "login_method_forced"
	ProblemSettingsConflict    = "settings_conflict"
	ProblemSubscriptionOverrid = "subscription_overridden"
	ProblemRefreshFailing      = "refresh_failing"
)

// Worst is the problem to show first: the first error, else the first warning; nil when none.
func (s Status) Worst() *Problem {
	if len(s.Problems) == 0 {
		return nil
	}
	p := s.Problems[0]
	return &p
}

// problemsOf lists every problem of s, errors first, each group in the order a user should
// fix them (a key before the helper, the helper before what shadows it).
func (e *Engine) problemsOf(s Status, storeErr string) []Problem {
	var out []Problem
	add := func(code string, sev Severity, title, msg, fix string) {
		out = append(out, Problem{Code: code, Severity: sev, Title: title, Message: e.opts.Redactor.Redact(msg), Fix: fix})
	}
	p := e.opts.Paths
	if storeErr != "" {
		sev := SeverityError
		msg := "The keychain cannot be read: " + storeErr
		if s.Key.Present {
			sev, msg = SeverityWarning, msg+". The key held in memory is still served."
		}
		add(ProblemKeychainUnavailable, sev, "Keychain unavailable", msg, keychainHint)
	}
	switch {
	case !s.Key.Present && storeErr == "":
		add(ProblemNoKey, SeverityError, "No key", "No key is stored, so Claude Code gets none.", "Choose Update key… in the tray, or run claude-keytray update-key.")
	case s.Validation.Result == ResultInvalid:
		add(ProblemKeyRejected, SeverityError, "Key rejected", fmt.Sprintf("The API rejects key %s (HTTP %d).", s.Key.Fingerprint, s.Validation.HTTPStatus), "Create a new key in the Anthropic Console and choose Update key…, or run claude-keytray update-key.")
	case s.Key.Present && s.Validation.Result != ResultValid:
		msg := fmt.Sprintf("The API has not confirmed key %s yet.", s.Key.Fingerprint)
		if s.Validation.Detail != "" {
			msg += " " + s.Validation.Detail
		}
		add(ProblemKeyUnverified, SeverityWarning, "Not verified", msg, "Check the network (or ANTHROPIC_BASE_URL), then choose Refresh now.")
	}
	wired := s.ClaudeSettings.Wired
	if wired && !s.Helper.OK {
		if _, err := os.Lstat(p.Claude.Helper); errors.Is(err, fs.ErrNotExist) {
			add(ProblemHelperMissing, SeverityError, "Helper script missing", "The helper script "+p.Claude.Helper+" that Claude Code's settings name is missing, so Claude Code cannot get the key.", "Run claude-keytray install --no-autostart (the running app rewrites it by itself).")
		} else {
			add(ProblemHelperBroken, SeverityError, "Helper script broken", s.Helper.Problem, "Run claude-keytray install --no-autostart to write it again.")
		}
	}
	if !wired {
		add(ProblemSettingsNotWired, SeverityError, "Not installed", s.ClaudeSettings.Path+" does not point apiKeyHelper at "+p.Claude.Helper+", so Claude Code does not ask claude-keytray.", "Run claude-keytray install.")
	}
	c := s.EffectiveCredential
	switch {
	case c.APIProvider != "" && c.APIProvider != "firstParty":
		add(ProblemProviderOverrides, SeverityError, "Another provider wins", fmt.Sprintf("Claude Code uses %s (set in %s) and never runs the helper.", c.APIProvider, orUnknown(c.Where)), "Unset the CLAUDE_CODE_USE_* variable there to use the helper.")
	case c.AuthMethod == "oauth_token":
		add(ProblemCredentialOverrides, SeverityError, "Auth token wins", fmt.Sprintf("ANTHROPIC_AUTH_TOKEN (set in %s) wins over apiKeyHelper: Claude Code sends that token, not this key.", orUnknown(c.Where)), "Delete ANTHROPIC_AUTH_TOKEN there (and unset it in open terminals).")
	case c.APIKeySource == keyshape.EnvAPIKey:
		add(ProblemCredentialOverrides, SeverityError, "ANTHROPIC_API_KEY wins", fmt.Sprintf("ANTHROPIC_API_KEY (set in %s) wins over apiKeyHelper: Claude Code uses, and bills, that key instead of this one.", orUnknown(c.Where)), "Delete ANTHROPIC_API_KEY there (after claude-keytray import if it is your only copy), and unset it in open terminals.")
	case wired && c.Helper != "" && !c.UsesHelper(p.Claude.Helper):
		add(ProblemHelperOverridden, SeverityError, "Another helper wins", fmt.Sprintf("apiKeyHelper in %s runs %q, which wins over claude-keytray's helper.", orUnknown(c.Where), c.Helper), "Remove apiKeyHelper from that file, or set it to "+claude.HelperSettingValue(p.Claude.Helper)+".")
	}
	credentialShown := len(out) > 0 && (out[len(out)-1].Code == ProblemCredentialOverrides || out[len(out)-1].Code == ProblemProviderOverrides)
	if c.ForcedLoginMethod == "claudeai" {
		add(ProblemLoginMethodForced, SeverityError, "API keys blocked", "The managed settings set forceLoginMethod to \"claudeai\": Claude Code accepts only a claude.ai login, not an API key.", "Ask your administrator, or log in with /login instead of using an API key.")
	}
	for _, conflict := range s.ClaudeSettings.Conflicts {
		if !credentialShown || !coveredByCredential(conflict) {
			add(ProblemSettingsConflict, SeverityError, "Settings conflict", conflict, "Edit the file or variable it names, then choose Refresh now.")
		}
	}
	if c.Subscription != "" && c.AuthMethod == "api_key_helper" {
		add(ProblemSubscriptionOverrid, SeverityWarning, "Subscription unused", fmt.Sprintf("You are logged in to claude.ai (%s), but apiKeyHelper wins: Claude Code bills this API key's Console organization per token instead of your subscription, and turns off Remote Control, /schedule and claude.ai connectors.", c.Subscription), "Keep it if you mean to pay by API key; otherwise run claude-keytray uninstall and use your claude.ai login.")
	}
	if s.Refresh.LastError != "" {
		// The refresh reads the source command when one is set, else the keychain.
		fix := "Fix the source command in the config (or CLAUDE_KEYTRAY_SOURCE); the current key stays in use meanwhile."
		if has, _ := e.sourceConfigured(); !has {
			fix = "Unlock the keychain (or start it), then choose Refresh now; the current key stays in use meanwhile."
			if e.opts.Store.Kind() == "file" {
				fix = "Make " + e.opts.Store.Where() + " yours and readable, then choose Refresh now; the current key stays in use meanwhile."
			}
		}
		add(ProblemRefreshFailing, SeverityWarning, "Refresh failing", "The last refresh failed: "+s.Refresh.LastError, fix)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity == SeverityError && out[j].Severity != SeverityError })
	return out
}

func orUnknown(where string) string {
	if where == "" {
		return "the environment Claude Code starts with"
	}
	return where
}

// coveredByCredential reports whether a conflict is one the effective credential already
// reports as its own problem (a credential variable or a provider), so it is not listed twice.
func coveredByCredential(conflict string) bool {
	for _, name := range keyshape.ClaudeEnvVars {
		if strings.HasPrefix(conflict, name+" is set") {
			return true
		}
	}
	return strings.HasPrefix(conflict, "CLAUDE_CODE_USE_")
}

// stateOf is DESIGN's state: ok only when Claude Code started now would get this key and the
// API accepts it.
func stateOf(s Status, storeErr string) State {
	switch {
	case !s.Key.Present && storeErr != "":
		return StateError
	case !s.Key.Present:
		return StateNoKey
	case s.Validation.Result == ResultInvalid:
		return StateInvalid
	}
	for _, p := range s.Problems {
		if p.Severity == SeverityError {
			return StateError
		}
	}
	if s.Validation.Result == ResultValid {
		return StateOK
	}
	return StateUnverified
}
