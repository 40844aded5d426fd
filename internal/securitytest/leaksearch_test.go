//go:build linux

package securitytest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// leakSearch finds keys in text. Besides each whole key it looks for three 24-character windows
// of the random part (start, middle, end), so a key that was cut, wrapped or stripped of its
// prefix is still found. The fingerprint shows only the last four characters, so it never matches.
type leakSearch struct {
	needles []needle
}

type needle struct {
	b   []byte
	key string
}

func newLeakSearch(keys ...string) *leakSearch {
	s := &leakSearch{}
	for _, k := range keys {
		body := k[strings.LastIndexByte(k, '-')+1:]
		for _, w := range []string{k, body[:24], body[len(body)/2-12 : len(body)/2+12], body[len(body)-24:]} {
			s.needles = append(s.needles, needle{[]byte(w), k})
		}
	}
	return s
}

// find returns the key whose text occurs in data, or "".
func (s *leakSearch) find(data []byte) string {
	for _, n := range s.needles {
		if bytes.Contains(data, n.b) {
			return n.key
		}
	}
	return ""
}

// scanFiles reads every regular file under root (not following symlinks) and returns the paths
// that hold a key, and how many files it read. skip says which paths are allowed to (the
// keyring's own encrypted store); a skipped folder is not entered.
func (s *leakSearch) scanFiles(root string, skip func(path string, d fs.DirEntry) bool, maxSize int64) (hits []string, files int) {
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file that vanished mid-walk (another test's temp file) is not ours
		}
		if skip != nil && skip(path, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if fi, err := d.Info(); err != nil || fi.Size() > maxSize {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		files++
		if k := s.find(b); k != "" {
			hits = append(hits, path+" holds key "+fp(k))
		}
		return nil
	})
	return hits, files
}

// procWatch samples every process's argv (/proc/*/cmdline) and environment (/proc/*/environ)
// every 20 ms while a flow runs. A key may sit in the environment only of a process below a pid
// given to allowEnvBelow (the child of `run --env`); in argv, never.
type procWatch struct {
	search *leakSearch
	stop   chan struct{}
	done   chan struct{}
	// envRoot is the pid whose descendants may carry a key in their environment (0: none).
	envRoot atomic.Int64
	// lastArgv and envReads belong to the sampling goroutine.
	lastArgv map[int]string
	envReads int
	started  time.Time

	mu         sync.Mutex
	sweeps     int
	cmdlines   map[string]struct{}
	envHits    []string
	allowedEnv int
}

func startProcWatch(t testing.TB, s *leakSearch) *procWatch {
	t.Helper()
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Fatalf("sampling argv needs /proc: %v", err)
	}
	w := &procWatch{search: s, stop: make(chan struct{}), done: make(chan struct{}), cmdlines: map[string]struct{}{}, started: time.Now()}
	go w.loop()
	t.Cleanup(w.Stop)
	return w
}

func (w *procWatch) allowEnvBelow(pid int) { w.envRoot.Store(int64(pid)) }

// Stop ends sampling after one last sweep; calling it again is harmless.
func (w *procWatch) Stop() {
	select {
	case <-w.done:
		return
	default:
	}
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func (w *procWatch) loop() {
	defer close(w.done)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		w.sweep()
		select {
		case <-w.stop:
			w.sweep()
			return
		case <-tick.C:
		}
	}
}

func (w *procWatch) sweep() {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	var lines []string
	seen := make(map[int]string, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := "/proc/" + e.Name()
		b, err := os.ReadFile(dir + "/cmdline")
		if err != nil {
			continue
		}
		line := string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '}))
		if line != "" {
			lines = append(lines, line)
		}
		seen[pid] = line
		// The environment block is fixed at exec, so a process already read under the same
		// argv is not read again; an exec gives a new argv and a new read.
		if prev, ok := w.lastArgv[pid]; ok && prev == line {
			continue
		}
		if b, err := os.ReadFile(dir + "/environ"); err == nil {
			w.envReads++
			if k := w.search.find(b); k != "" {
				w.envHit(pid, k)
			}
		}
	}
	w.lastArgv = seen
	w.mu.Lock()
	w.sweeps++
	for _, l := range lines {
		w.cmdlines[l] = struct{}{}
	}
	w.mu.Unlock()
}

func (w *procWatch) envHit(pid int, key string) {
	root := int(w.envRoot.Load())
	chain := ancestry(pid)
	w.mu.Lock()
	defer w.mu.Unlock()
	if root != 0 {
		for _, a := range chain {
			if a.pid == root {
				w.allowedEnv++
				return
			}
		}
	}
	var desc []string
	for _, a := range chain {
		desc = append(desc, strconv.Itoa(a.pid)+" "+a.cmd)
	}
	w.envHits = append(w.envHits, "the environment of pid "+strings.Join(desc, " < ")+" holds key "+fp(key))
}

type procID struct {
	pid int
	cmd string
}

// ancestry is pid and its parents up to pid 1, each with its argv.
func ancestry(pid int) []procID {
	var out []procID
	for i := 0; pid > 1 && i < 64; i++ {
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		out = append(out, procID{pid, string(bytes.ReplaceAll(bytes.TrimRight(cmd, "\x00"), []byte{0}, []byte{' '}))})
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			break
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses, so cut at the last ')'.
		rest := stat[bytes.LastIndexByte(stat, ')')+1:]
		f := strings.Fields(string(rest))
		if len(f) < 2 {
			break
		}
		pid, _ = strconv.Atoi(f[1])
	}
	return out
}

// result stops sampling and returns what it saw: argv lines holding a key, forbidden environment hits, how many
// sweeps ran and every distinct argv seen.
func (w *procWatch) result() (argvHits, envHits []string, sweeps, allowedEnv int, cmdlines []string) {
	w.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for l := range w.cmdlines {
		cmdlines = append(cmdlines, l)
		if k := w.search.find([]byte(l)); k != "" {
			argvHits = append(argvHits, "argv "+strconv.Quote(redactAll(l, w.search))+" holds key "+fp(k))
		}
	}
	sort.Strings(cmdlines)
	return argvHits, append([]string(nil), w.envHits...), w.sweeps, w.allowedEnv, cmdlines
}

// redactAll masks every whole key in s, for failure messages.
func redactAll(s string, ls *leakSearch) string {
	for _, n := range ls.needles {
		s = strings.ReplaceAll(s, string(n.b), "<KEY "+fp(n.key)+">")
	}
	return s
}
