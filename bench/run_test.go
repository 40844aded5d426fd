//go:build bench && linux

package bench

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// contender is one way of getting the key: a command line and its environment, and the key
// it must print.
type contender struct {
	name string
	argv []string
	env  []string
	dir  string
	want string
	// before, when set, runs just before each call (e.g. to note whether a refresh is running).
	before func() bool
}

// sample is one call: its wall time as the caller sees it, and what the process (and every
// process it exec'd or waited for) cost, from wait4's rusage.
type sample struct {
	wall   time.Duration
	cpu    time.Duration
	minflt int64
	csw    int64
	flag   bool
}

// callTimeout bounds one call; the helper itself gives up on the daemon after 2 s.
const callTimeout = 30 * time.Second

// once runs c and checks that it printed the key and nothing else.
func (c *contender) once() (sample, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.argv[0], c.argv[1:]...)
	cmd.Env, cmd.Dir = c.env, c.dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	var s sample
	if c.before != nil {
		s.flag = c.before()
	}
	start := time.Now()
	err := cmd.Run()
	s.wall = time.Since(start)
	if err != nil {
		return s, fmt.Errorf("%s: %v (stderr: %q)", c.name, err, strings.TrimSpace(errb.String()))
	}
	if got := strings.TrimRight(out.String(), "\n"); got != c.want {
		return s, fmt.Errorf("%s printed %d bytes that are not the key (stderr: %q)", c.name, len(got), strings.TrimSpace(errb.String()))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		s.minflt = ru.Minflt
		s.csw = ru.Nvcsw + ru.Nivcsw
	}
	return s, nil
}

// interleave runs every contender warm+rounds times, one call each per round, starting each
// round one contender further so no one always goes first. Warm-up calls are dropped.
func interleave(cs []*contender, warm, rounds int, progress func(done, total int)) ([][]sample, error) {
	out := make([][]sample, len(cs))
	for r := 0; r < warm+rounds; r++ {
		for j := range cs {
			i := (j + r) % len(cs)
			s, err := cs[i].once()
			if err != nil {
				return nil, err
			}
			if r >= warm {
				out[i] = append(out[i], s)
			}
		}
		if progress != nil {
			progress(r+1, warm+rounds)
		}
	}
	return out, nil
}

// burst starts n copies of c at once and returns each one's latency and the wall time from
// the start signal until the last one finished. Every one must print the key.
func burst(c *contender, n int) ([]time.Duration, time.Duration, error) {
	var (
		wg    sync.WaitGroup
		ready sync.WaitGroup
		start = make(chan struct{})
		lat   = make([]time.Duration, n)
		errs  = make([]error, n)
	)
	ready.Add(n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready.Done()
			<-start
			s, err := c.once()
			lat[i], errs[i] = s.wall, err
		}()
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	wg.Wait()
	wall := time.Since(t0)
	failed := 0
	var first error
	for _, err := range errs {
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if failed > 0 {
		return lat, wall, fmt.Errorf("%d of %d %s calls failed; the first: %w", failed, n, c.name, first)
	}
	return lat, wall, nil
}

// dist is a set of measurements in milliseconds (or counts).
type dist []float64

func durations(ss []sample, f func(sample) float64) dist {
	d := make(dist, len(ss))
	for i, s := range ss {
		d[i] = f(s)
	}
	slices.Sort(d)
	return d
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func wallMS(s sample) float64 { return ms(s.wall) }
func cpuMS(s sample) float64  { return ms(s.cpu) }
func faults(s sample) float64 { return float64(s.minflt) }
func csw(s sample) float64    { return float64(s.csw) }

// q is the nearest-rank quantile of a sorted dist.
func (d dist) q(p float64) float64 {
	if len(d) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p*float64(len(d)))) - 1
	return d[max(0, min(i, len(d)-1))]
}

func (d dist) median() float64 { return d.q(0.5) }
func (d dist) p99() float64    { return d.q(0.99) }
