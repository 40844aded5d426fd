package auth

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// clients are the subpackages of auth that are built over the engine; every other one is a leaf.
var clients = map[string]bool{"authtest": true, "control": true, "run": true}

const module = "github.com/claude-keytray/claude-keytray/"

// TestLeavesImportOnlyLeaves holds DESIGN's layout rule: a subpackage of auth is a leaf that
// imports nothing of ours but other leaves, or a client over the engine; never both.
func TestLeavesImportOnlyLeaves(t *testing.T) {
	leaves := map[string]bool{}
	imports := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || path != "." && clients[strings.Split(path, string(filepath.Separator))[0]]) {
			return filepath.SkipDir
		}
		if d.IsDir() || path == filepath.Base(path) || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		pkg := module + "auth/" + filepath.ToSlash(filepath.Dir(path))
		leaves[pkg] = true
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if strings.HasPrefix(p, module) {
				imports[pkg] = append(imports[pkg], p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(leaves) < 3 {
		t.Fatalf("found only %d leaves under auth: %v", len(leaves), leaves)
	}
	for pkg, ims := range imports {
		for _, im := range ims {
			if !leaves[im] {
				t.Errorf("the leaf %s imports %s, which is not a leaf", pkg, im)
			}
		}
	}
	if _, err := os.Stat("claude/settings.go"); err != nil {
		t.Errorf("Claude Code's settings handling is not in auth/claude: %v", err)
	}
}
