//go:build bench && linux

package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// profileConfig writes a config.json with profiles (besides default) and bindings bindings, in a
// config dir of its own, and returns that dir. Every profile reads the world's key file, so each
// has the key the helper must print; the bindings are spread over the profiles.
func (w *world) profileConfig(name string, profiles, bindings int) (dir, bound string) {
	w.t.Helper()
	cfg := map[string]any{}
	ps := map[string]any{}
	for i := range profiles {
		ps[fmt.Sprintf("p%d", i)] = map[string]string{"source_command": "cat " + shQuote(w.sourceFile)}
	}
	cfg["profiles"] = ps
	var bs []map[string]string
	for i := range bindings {
		d := filepath.Join(w.env.Home(), "src", fmt.Sprintf("project-%02d", i))
		bs = append(bs, map[string]string{"dir": d, "profile": fmt.Sprintf("p%d", i%profiles)})
	}
	cfg["bindings"] = bs
	dir = filepath.Join(w.dir, "config-"+name)
	if err := os.MkdirAll(filepath.Join(dir, "claude-keytray"), 0o700); err != nil {
		w.t.Fatal(err)
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "claude-keytray", "config.json"), b, 0o600); err != nil {
		w.t.Fatal(err)
	}
	// The helper is called from deep inside the last binding's folder: the daemon reads the
	// caller's folder and matches every binding.
	bound = filepath.Join(w.env.Home(), "src", fmt.Sprintf("project-%02d", bindings-1), "pkg", "sub")
	if err := os.MkdirAll(bound, 0o700); err != nil {
		w.t.Fatal(err)
	}
	return dir, bound
}

// profilesPhase measures what profiles cost the helper: a daemon with 1 and one with 10 profiles
// and 50 bindings, asked from a bound folder, next to today's single-key daemon asked from HOME;
// and each daemon's RSS.
func profilesPhase(t *testing.T, w *world, rep *report, single *engineProc) {
	type setup struct {
		name     string
		profiles int
		p        *engineProc
		dir      string
	}
	setups := []*setup{{name: "1 profile + default, 50 bindings", profiles: 1}, {name: "10 profiles + default, 50 bindings", profiles: 10}}
	cs := []*contender{w.sh("helper → daemon, no profiles (today's single key), from HOME", w.helper, w.vars(nil))}
	for i, s := range setups {
		over := w.instanceDirs(fmt.Sprintf("profiles%d", i))
		cfgDir, bound := w.profileConfig(fmt.Sprintf("p%d", s.profiles), s.profiles, 50)
		over["XDG_CONFIG_HOME"] = cfgDir
		env := w.vars(over)
		s.p = w.startEngine(fmt.Sprintf("daemon-profiles-%d", s.profiles), w.release.path, env, "daemon")
		s.p.waitReady(t, time.Minute)
		s.dir = bound
		c := w.sh("helper → daemon, "+s.name+", from a bound folder", w.helper, env)
		c.dir = bound
		cs = append(cs, c)
	}
	// Every profile's first refresh (a source run and a key check each) ends before measuring.
	time.Sleep(5 * time.Second)
	progress("profiles: %d contenders × %d rounds", len(cs), *warmup+*rounds)
	res, err := interleave(cs, *warmup, *rounds, roundProgress("profiles"))
	if err != nil {
		t.Fatal(err)
	}
	rep.printf("\n## Profiles\n\nThe helper as Claude Code runs it, against a daemon without profiles (asked from HOME) and daemons with profiles and 50 bound folders, asked from inside the last bound folder: the daemon reads the caller's working folder and matches it against every binding before it answers.\n\n")
	rep.printf("| contender | median ms | p99 ms | × single key (median) | daemon RSS MiB |\n|---|---:|---:|---:|---:|\n")
	base := durations(res[0], wallMS).median()
	procs := []*engineProc{single, setups[0].p, setups[1].p}
	ok := true
	for i, c := range cs {
		wall := durations(res[i], wallMS)
		ratio := wall.median() / base
		if i > 0 && ratio > 1.05 {
			ok = false
		}
		rep.printf("| %s | %.2f | %.2f | %.3f | %s |\n", c.name, wall.median(), wall.p99(), ratio, mib(procs[i].sample(t).rssKiB))
	}
	for _, s := range setups {
		s.p.stop()
	}
	rep.printf("\nGoal: with profiles and bindings the helper stays within 5 %% of the single-key helper at the median: %s.\n", verdict(ok))
}
