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
	times stamps
}

func (c *clockChecker) Check(ctx context.Context, k Key) Validation {
	c.times.add()
	at := c.now().UTC()
	return Validation{Result: ResultValid, HTTPStatus: 200, CheckedAt: &at}
}

// stamps records when something happened, on the monotonic clock.
type stamps struct {
	mu sync.Mutex
	at []time.Time
}

func (s *stamps) add() {
	s.mu.Lock()
	s.at = append(s.at, time.Now())
	s.mu.Unlock()
}

func (s *stamps) all() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.at...)
}

// gaps are the intervals between consecutive stamps.
func gaps(at []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(at); i++ {
		out = append(out, at[i].Sub(at[i-1]).Round(time.Millisecond))
	}
	return out
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

	var fetches stamps
	src := funcSource{fn: func() (string, error) {
		fetches.add()
		jump()
		return key(1), nil
	}}
	chk := &clockChecker{now: now}
	home := t.TempDir()
	p := testPaths(home, home+"/state")
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

	// Refreshes about every second (each wait starts when the previous refresh ends); checks
	// at the first refresh and at the first one 3 s or more after it. A busy machine may delay
	// a timer, so the bounds are loose; a wall-clock-driven loop is off by hours, not by 1 s.
	refreshes, checks := fetches.all(), chk.times.all()
	t.Logf("in %v with the wall clock jumping %d times: refreshes %v apart, key checks %v apart, %d status stamps a day or more off",
		took.Round(time.Millisecond), n.Load(), gaps(refreshes), gaps(checks), farStamps.Load())
	if len(refreshes) < 3 {
		t.Fatalf("%d refreshes in %v at a 1 s interval: the wall-clock jumps stalled the loop", len(refreshes), took.Round(time.Millisecond))
	}
	for _, g := range gaps(refreshes) {
		if g < 900*time.Millisecond || g > 2500*time.Millisecond {
			t.Errorf("refreshes %v apart at a 1 s interval: the wall-clock jumps moved the loop", g)
		}
	}
	if len(checks) == 0 {
		t.Fatal("the key was never checked")
	}
	for _, g := range gaps(checks) {
		if g < 2900*time.Millisecond {
			t.Errorf("key checks %v apart at a 3 s check interval: the wall-clock jumps made them early", g)
		}
	}
	if last := refreshes[len(refreshes)-1]; last.Sub(checks[len(checks)-1]) >= 3100*time.Millisecond {
		t.Errorf("the refresh %v after the last key check did not check the key (3 s interval): the wall-clock jumps postponed it", last.Sub(checks[len(checks)-1]).Round(time.Millisecond))
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
