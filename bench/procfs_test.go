//go:build bench && linux

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's utime and stime; 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// procSample is what /proc says about a process at one moment.
type procSample struct {
	at      time.Time
	rssKiB  int64
	hwmKiB  int64
	ticks   int64 // utime+stime of all threads, in clock ticks
	runNS   int64 // time on a CPU of all threads, from schedstat, in ns
	csw     int64 // voluntary+nonvoluntary context switches of all threads
	threads int
}

// readProc samples process pid. Threads that ended before the sample are not in the context
// switch count; the Go runtime keeps its threads, so that loses nothing in practice.
func readProc(pid int) (procSample, error) {
	s := procSample{at: time.Now()}
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return s, err
	}
	s.rssKiB = statusField(status, "VmRSS:")
	s.hwmKiB = statusField(status, "VmHWM:")
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return s, err
	}
	// The command name in parentheses may hold spaces; fields count from after it.
	rest := stat[bytes.LastIndexByte(stat, ')')+2:]
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return s, fmt.Errorf("%s/stat has %d fields after the name", dir, len(f))
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14, utime
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15, stime
	s.ticks = ut + st
	tasks, err := os.ReadDir(filepath.Join(dir, "task"))
	if err != nil {
		return s, err
	}
	for _, task := range tasks {
		tdir := filepath.Join(dir, "task", task.Name())
		ts, err := os.ReadFile(filepath.Join(tdir, "status"))
		if err != nil {
			continue // the thread just ended
		}
		s.threads++
		s.csw += statusField(ts, "voluntary_ctxt_switches:") + statusField(ts, "nonvoluntary_ctxt_switches:")
		if sched, err := os.ReadFile(filepath.Join(tdir, "schedstat")); err == nil {
			if f := strings.Fields(string(sched)); len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				s.runNS += n
			}
		}
	}
	return s, nil
}

// statusField reads a number field ("VmRSS:  1234 kB") of a /proc status file; -1 if absent.
func statusField(status []byte, name string) int64 {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		f := strings.Fields(line[len(name):])
		if len(f) == 0 {
			return -1
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	return -1
}

// footprint is a process's cost between two samples.
type footprint struct {
	name    string
	rssKiB  int64
	hwmKiB  int64
	cpu     time.Duration // from utime+stime
	runTime time.Duration // from schedstat, finer grained
	wakeups int64
	threads int
	over    time.Duration
}

func between(name string, a, b procSample) footprint {
	return footprint{
		name:    name,
		rssKiB:  b.rssKiB,
		hwmKiB:  b.hwmKiB,
		cpu:     time.Duration(b.ticks-a.ticks) * time.Second / clockTicks,
		runTime: time.Duration(b.runNS - a.runNS),
		wakeups: b.csw - a.csw,
		threads: b.threads,
		over:    b.at.Sub(a.at),
	}
}
