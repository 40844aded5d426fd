//go:build !windows

package main

import (
	"context"
	"log/slog"
)

// watchStopRequest: SIGTERM is the stop request outside Windows (see runEngine).
func watchStopRequest(ctx context.Context, _ *slog.Logger) (context.Context, func()) {
	return ctx, func() {}
}
