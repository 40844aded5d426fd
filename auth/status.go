package auth

import (
	"time"

	"github.com/claude-keytray/claude-keytray/auth/claude"
)

// State is the one-word summary of the status object.
type State string

const (
	StateOK         State = "ok"
	StateUnverified State = "unverified"
	StateInvalid    State = "invalid"
	StateNoKey      State = "no_key"
	StateError      State = "error"
)

// Status is DESIGN.md's status object: `status --json`, GET /api/auth/status and what the
// tray shows. Fields may be added, never renamed.
type Status struct {
	State          State                 `json:"state"`
	Key            KeyStatus             `json:"key"`
	Validation     Validation            `json:"validation"`
	Helper         claude.HelperStatus   `json:"helper"`
	ClaudeSettings claude.SettingsStatus `json:"claude_settings"`
	Refresh        RefreshStatus         `json:"refresh"`
	AuthFailures   AuthFailures          `json:"auth_failures"`
	Daemon         DaemonStatus          `json:"daemon"`
	// Store says where the key lives; a plaintext file is called out in Warnings.
	Store    StoreStatus `json:"store"`
	Warnings []string    `json:"warnings,omitempty"`

	// Profile names the profile this status is about (DESIGN "Profiles"); set by a Fleet.
	Profile string `json:"profile,omitempty"`
	// Default marks the profile a folder without a binding gets.
	Default bool `json:"default,omitempty"`
	// BaseURL is the API host the profile's key is checked against.
	BaseURL string `json:"base_url,omitempty"`
	// Bindings are the folders bound to the profile.
	Bindings []string `json:"bindings,omitempty"`
	// Profiles is every profile's status, default first, each shaped like the top level; only
	// at the top level.
	Profiles []Status `json:"profiles,omitempty"`
	// Problems lists everything that keeps state from ok, and warnings, the worst first.
	Problems []Problem `json:"problems"`
	// EffectiveCredential is what Claude Code started now in the user's home will use.
	EffectiveCredential claude.Credential `json:"effective_credential"`
	// Seq orders the statuses of one Fleet (later ones are greater); 0 when unknown. Not sent:
	// it only lets a subscriber drop a status older than the one it shows.
	Seq uint64 `json:"-"`
}

// KeyStatus describes the key without revealing it.
type KeyStatus struct {
	Present     bool       `json:"present"`
	Fingerprint string     `json:"fingerprint,omitempty"`
	Source      string     `json:"source,omitempty"` // keychain | command | env | file
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
	Kind        KeyKind    `json:"kind,omitempty"`
	Note        string     `json:"note,omitempty"`
}

// RefreshStatus is the refresh loop's bookkeeping.
type RefreshStatus struct {
	IntervalSeconds int        `json:"interval_seconds"`
	Last            *time.Time `json:"last"`
	Next            *time.Time `json:"next"`
	Count           int        `json:"count"`
	LastError       string     `json:"last_error"`
}

// AuthFailures counts 401 episodes: one per Claude Code process (or `run` retry) per rejected
// key, kept in state.json so the count is the same with or without a daemon and across restarts.
type AuthFailures struct {
	Count int        `json:"count"`
	Last  *time.Time `json:"last"`
	// LastFingerprint is the key the last episode's 401 rejected.
	LastFingerprint string `json:"last_fingerprint,omitempty"`
}

// DaemonStatus says whether a daemon (or tray) owns the engine.
type DaemonStatus struct {
	Running bool   `json:"running"`
	PID     int    `json:"pid,omitempty"`
	Socket  string `json:"socket,omitempty"`
	// Tray is "registered", "headless" (no tray host) or "" for the plain daemon.
	Tray string `json:"tray,omitempty"`
	// ControlAPI is "on" when the control API serves on Socket, "off" when it cannot listen
	// (ControlAPIProblem says why, e.g. no AF_UNIX sockets): the engine works either way, and
	// other commands then work as with no daemon.
	ControlAPI        string `json:"control_api,omitempty"`
	ControlAPIProblem string `json:"control_api_problem,omitempty"`
}

// StoreStatus says where the key is kept and whether that store answers.
type StoreStatus struct {
	Kind      string `json:"kind"`
	Where     string `json:"where"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
}
