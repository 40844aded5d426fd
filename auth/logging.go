package auth

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/claude-keytray/claude-keytray/auth/internal/keyshape"
	"gopkg.in/natefinch/lumberjack.v2"
)

// Redactor masks secrets in text: every key it has been told about, and anything shaped like an
// Anthropic key. It is the last step before a log line is written.
type Redactor struct {
	mu      sync.RWMutex
	secrets map[string]struct{}
}

// Add registers a secret (e.g. a gateway token with no recognisable shape) to be masked.
func (r *Redactor) Add(secret string) {
	if len(secret) < 8 {
		return
	}
	r.mu.Lock()
	if r.secrets == nil {
		r.secrets = map[string]struct{}{}
	}
	r.secrets[secret] = struct{}{}
	r.mu.Unlock()
}

// Redact returns s with every secret replaced by its fingerprint.
func (r *Redactor) Redact(s string) string {
	r.mu.RLock()
	for sec := range r.secrets {
		s = Redact(s, sec)
	}
	r.mu.RUnlock()
	// Anything shaped like a key is masked too, even one the engine never saw (pasted into a
	// source's error, say).
	return keyshape.Mask(s)
}

// redactHandler rewrites every string a record carries (message, attributes, groups) through the
// Redactor before the wrapped handler formats it.
type redactHandler struct {
	next slog.Handler
	r    *Redactor
}

// NewRedactingHandler wraps next so that no record can carry a key into the log.
func NewRedactingHandler(next slog.Handler, r *Redactor) slog.Handler {
	return &redactHandler{next: next, r: r}
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		as := make([]any, len(g))
		for i, x := range g {
			as[i] = h.attr(x)
		}
		return slog.Group(a.Key, as...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, h.r.Redact(err.Error()))
		}
		return slog.String(a.Key, h.r.Redact(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return &redactHandler{next: h.next.WithAttrs(red), r: h.r}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(name), r: h.r}
}

// LogOptions configure NewLogger.
type LogOptions struct {
	// File is the log file; it is rotated at MaxSizeMB and a few old copies kept.
	File      string
	MaxSizeMB int
	// Stderr also writes to standard error (daemon in a terminal or under systemd).
	Stderr io.Writer
	Level  slog.Level
}

// NewLogger returns a logger that writes text records to the rotated log file and stderr,
// every record passing through r. The returned closer closes the file.
func NewLogger(opt LogOptions, r *Redactor) (*slog.Logger, io.Closer, error) {
	var ws []io.Writer
	var closer io.Closer = io.NopCloser(nil)
	if opt.File != "" {
		if err := os.MkdirAll(filepath.Dir(opt.File), 0o700); err != nil {
			return nil, nil, err
		}
		size := opt.MaxSizeMB
		if size <= 0 {
			size = 5
		}
		lj := &lumberjack.Logger{Filename: opt.File, MaxSize: size, MaxBackups: 3}
		ws = append(ws, lj)
		closer = lj
	}
	if opt.Stderr != nil {
		ws = append(ws, opt.Stderr)
	}
	h := slog.NewTextHandler(io.MultiWriter(ws...), &slog.HandlerOptions{Level: opt.Level})
	return slog.New(NewRedactingHandler(h, r)), closer, nil
}
