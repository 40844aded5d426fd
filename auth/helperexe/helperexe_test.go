package helperexe

import "testing"

func TestPair(t *testing.T) {
	for _, tc := range []struct{ full, lean string }{
		{"/usr/bin/claude-keytray", "/usr/bin/claude-keytray-key"},
		{"/work/bin/claude-keytray-race", "/work/bin/claude-keytray-race-key"},
		{`C:\Program Files\claude-keytray\claude-keytray.exe`, `C:\Program Files\claude-keytray\claude-keytray-key.exe`},
		{"/opt/it's here/claude-keytray.v2", "/opt/it's here/claude-keytray.v2-key"},
	} {
		if got := Lean(tc.full); got != tc.lean {
			t.Errorf("Lean(%q) = %q, want %q", tc.full, got, tc.lean)
		}
		if got, ok := Full(tc.lean); !ok || got != tc.full {
			t.Errorf("Full(%q) = %q, %v, want %q", tc.lean, got, ok, tc.full)
		}
	}
	for _, bad := range []string{"/usr/bin/claude-keytray", "/usr/bin/-key", "/usr/bin/key"} {
		if got, ok := Full(bad); ok {
			t.Errorf("Full(%q) = %q, want no main program", bad, got)
		}
	}
}
