package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// DefaultBaseURL is the Anthropic API; ANTHROPIC_BASE_URL points Claude Code and this check elsewhere.
const DefaultBaseURL = "https://api.anthropic.com"

// DefaultCheckTimeout bounds one key check.
const DefaultCheckTimeout = 10 * time.Second

// ValidationResult is what the API said about a key.
type ValidationResult string

const (
	ResultValid   ValidationResult = "valid"
	ResultInvalid ValidationResult = "invalid"
	// ResultUnknown: rate limited, overloaded, a server error or no answer say nothing about the key.
	ResultUnknown ValidationResult = "unknown"
	ResultSkipped ValidationResult = "skipped"
)

// Validation is one key check's outcome, as in the status object.
type Validation struct {
	Result     ValidationResult `json:"result"`
	CheckedAt  *time.Time       `json:"checked_at"`
	HTTPStatus int              `json:"http_status,omitempty"`
	// Detail is the API's error message or the network error, redacted.
	Detail string `json:"detail,omitempty"`
}

// Checker asks the API whether a key is accepted, without spending tokens: GET /v1/models.
type Checker struct {
	BaseURL string
	Client  *http.Client
}

// NewChecker checks against ANTHROPIC_BASE_URL when set, else the Anthropic API.
func NewChecker() *Checker {
	base := strings.TrimSpace(os.Getenv("ANTHROPIC_BASE_URL"))
	if base == "" {
		base = DefaultBaseURL
	}
	return &Checker{BaseURL: base, Client: &http.Client{Timeout: DefaultCheckTimeout}}
}

// Check never fails: anything that is not a clear answer about the key is ResultUnknown.
func (c *Checker) Check(ctx context.Context, key Key) Validation {
	now := time.Now().UTC()
	v := Validation{Result: ResultUnknown, CheckedAt: &now}
	url := strings.TrimRight(c.BaseURL, "/") + "/v1/models"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		v.Detail = fmt.Sprintf("ANTHROPIC_BASE_URL %q is not a usable URL: %v", c.BaseURL, err)
		return v
	}
	// Claude Code sends the key both ways, and some gateways read only the second.
	req.Header.Set("x-api-key", key.Secret())
	req.Header.Set("Authorization", "Bearer "+key.Secret())
	req.Header.Set("anthropic-version", "2023-06-01")
	req.Header.Set("User-Agent", "claude-keytray")
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: DefaultCheckTimeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		v.Detail = Redact(fmt.Sprintf("could not reach %s: %v", url, unwrapURLError(err)), key.Secret())
		return v
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	v.HTTPStatus = resp.StatusCode
	switch {
	case resp.StatusCode == http.StatusOK:
		v.Result = ResultValid
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		v.Result = ResultInvalid
		v.Detail = Redact(apiErrorMessage(body, resp.Status), key.Secret())
	default:
		v.Detail = Redact(fmt.Sprintf("%s from %s says nothing about the key: %s", resp.Status, url, apiErrorMessage(body, resp.Status)), key.Secret())
	}
	return v
}

// apiErrorMessage pulls error.message out of an Anthropic error body.
func apiErrorMessage(body []byte, fallback string) string {
	var e struct {
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		if e.Error.Type != "" {
			return e.Error.Type + ": " + e.Error.Message
		}
		return e.Error.Message
	}
	return fallback
}

func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap()
	}
	return err
}
