package auth

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clockChecker accepts every key and stamps its answers with the engine's (jumping) wall clock,
// as the real checker stamps them with the machine's.
type clockChecker struct {
	now   func() time.Time
	calls atomic.Int32
}

func (c *clockChecker) Check(ctx context.Context, k Key) Validation {
	c.calls.Add(1)
	at := c.now().UTC()
	return Validation{Result: ResultValid, HTTPStatus: 200, CheckedAt: &at}
}

// TestWallClockJumps: the engine stamps what status shows with the wall clock but must pace
// itself with the monotonic one. Here its wall clock jumps by a day or a year, back and forth,
// in the middle of every refresh and every 70 ms besides, while Run refreshes every second and
// checks the key every 3 s. The loop must neither stall (a clock set back) nor refresh or check
// without pause (a clock set forward).
func TestWallClockJumps(t *testing.T) {
	t.Parallel()
	jumps := []time.Duration{-24 * time.Hour, 365 * 24 * time.Hour, -365 * 24 * time.Hour, 24 * time.Hour, 0, -time.Hour, 90 * time.Minute}
	var offset atomic.Int64
	var n atomic.Int32
	jump := func() { offset.Store(int64(jumps[int(n.Add(1))%len(jumps)])) }
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }

	var fetches atomic.Int32
	src := funcSource{fn: func() (string, error) {
		fetches.Add(1)
		jump()
		return key(1), nil
	}}
	chk := &clockChecker{now: now}
	home := t.TempDir()
	p := Paths{Home: home, ClaudeDir: home + "/.claude", HelperPath: home + "/.claude/auth_helper.sh", SettingsPath: home + "/.claude/settings.json", StateDir: home + "/state"}
	e := New(Options{Paths: p, Store: &memStore{secret: key(1)}, Checker: chk, Source: src, Environ: []string{}, Cwd: home,
		Config: Config{RefreshIntervalSeconds: 1, CheckIntervalSeconds: 3}})
	e.now = now
	e.Load(context.Background())

	events, unsubscribe := e.Subscribe()
	var farStamps atomic.Int32
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ev := range events {
			if ev.Status != nil && ev.Status.Refresh.Last != nil {
				if d := time.Since(*ev.Status.Refresh.Last); d > 12*time.Hour || d < -12*time.Hour {
					farStamps.Add(1)
				}
			}
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 4500*time.Millisecond)
	defer cancel()
	go func() {
		tick := time.NewTicker(70 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				jump()
			}
		}
	}()
	start := time.Now()
	if err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	unsubscribe()
	wg.Wait()

	// Refreshes at 0, 1, 2, 3 and 4 s; checks at 0 and 3 s.
	refreshes, checks := fetches.Load(), chk.calls.Load()
	t.Logf("in %v with the wall clock jumping %d times: %d refreshes, %d key checks, %d status stamps a day or more off", took.Round(time.Millisecond), n.Load(), refreshes, checks, farStamps.Load())
	if refreshes < 4 || refreshes > 6 {
		t.Errorf("%d refreshes in %v at a 1 s interval: the wall-clock jumps %s the loop", refreshes, took.Round(time.Millisecond), map[bool]string{true: "stalled", false: "rushed"}[refreshes < 4])
	}
	if checks != 2 {
		t.Errorf("%d key checks in %v at a 3 s check interval, want 2: the wall-clock jumps moved the check schedule", checks, took.Round(time.Millisecond))
	}
	if farStamps.Load() == 0 {
		t.Error("no status stamp was a day off the real time: the engine did not read the test's clock, so nothing was tested")
	}
}

// TestCheckOverdueAfterClockWentBack: a last check read back from state.json lies in the future
// when the clock was set back since; that must count as overdue, not postpone the check.
func TestCheckOverdueAfterClockWentBack(t *testing.T) {
	t.Parallel()
	wall := time.Now().Round(0) // no monotonic reading, as after a JSON round trip
	for _, tc := range []struct {
		last time.Time
		want bool
	}{
		{time.Now(), false},
		{time.Now().Add(-2 * time.Hour), true},
		{wall.Add(-30 * time.Minute), false},
		{wall.Add(-2 * time.Hour), true},
		{wall.Add(24 * time.Hour), true},
		{time.Time{}, true},
	} {
		if got := checkOverdue(tc.last, time.Hour); got != tc.want {
			t.Errorf("checkOverdue(last check %v from now, every hour) = %v, want %v", time.Until(tc.last).Round(time.Minute), got, tc.want)
		}
	}
}
