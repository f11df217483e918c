package core_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The package doc draws the layers and says where a newcomer starts, and
// every file it points to exists (so the map stays true as files move).
func TestPackageDocMapsTheLayers(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var doc string
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil {
			doc += f.Doc.Text()
		}
	}
	for _, want := range []string{"# Layers", "Socket API", "pattern", "pipe", "engine", "wire", "# Where to start reading"} {
		if !strings.Contains(doc, want) {
			t.Errorf("package doc does not mention %q", want)
		}
	}
	files := regexp.MustCompile(`\b[a-z][a-z_]*\.go\b`).FindAllString(doc, -1)
	if len(files) < 10 {
		t.Fatalf("package doc names %d files", len(files))
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue // "conformance_*_test.go" families
		}
		if _, err := os.Stat(f); err != nil {
			t.Errorf("package doc names %s, which does not exist", f)
		}
	}
}
