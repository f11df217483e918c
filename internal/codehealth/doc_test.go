// Package codehealth_test holds the repository-wide checks that no
// compiler or vet makes: every exported identifier of the main module is
// documented (the API map's check is in docs/).
package codehealth_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// moduleRoot is the main module's directory (this package is two below).
const moduleRoot = "../.."

// goFiles returns the non-test Go files of the main module by directory,
// skipping the interop module, testdata and hidden directories.
func goFiles(t *testing.T, moduleRoot string) map[string][]string {
	t.Helper()
	files := map[string][]string{}
	err := filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != moduleRoot && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != moduleRoot {
				return filepath.SkipDir // another module (interop)
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			files[filepath.Dir(path)] = append(files[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Every exported identifier of every package of the main module (commands
// and examples included) has a doc comment: types, functions, methods of
// exported types, and constants and variables (a group's comment covers
// its members). Every package has a package comment.
func TestExportedIdentifiersHaveDocComments(t *testing.T) {
	dirs := goFiles(t, moduleRoot)
	if len(dirs) < 30 {
		t.Fatalf("found Go files in only %d directories", len(dirs))
	}
	for _, m := range undocumented(t, moduleRoot, dirs) {
		t.Error("undocumented: " + m)
	}
}

// The check finds what it is meant to find.
func TestDocCheckFindsUndocumented(t *testing.T) {
	root := t.TempDir()
	src := `package p

// Documented is documented.
func Documented() {}

func Bare() {}

// T is documented.
type T struct{}

func (T) M() {}

func (T) m() {}

type U int

const (
	// A is documented.
	A = 1
	B = 2 // B is documented on its line.
	C = 3
)

// Grouped constants share the group's comment.
const (
	D = 4
)

var V int

func unexported() {}
`
	if err := os.MkdirAll(filepath.Join(root, "p"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "p", "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(undocumented(t, root, goFiles(t, root)), "\n")
	want := strings.Join([]string{
		"p/p.go:6: func Bare",
		"p/p.go:11: method T.M",
		"p/p.go:15: type U",
		"p/p.go:21: const C",
		"p/p.go:29: var V",
		"p: no package comment",
	}, "\n")
	if got != want {
		t.Errorf("the check found\n%s\nwant\n%s", got, want)
	}
}

// undocumented lists the exported identifiers of dirs (from goFiles) that
// lack a doc comment, and the packages without a package comment.
func undocumented(t *testing.T, moduleRoot string, dirs map[string][]string) []string {
	t.Helper()
	fset := token.NewFileSet()
	var missing []string
	report := func(pos token.Pos, what string) {
		p := fset.Position(pos)
		rel, _ := filepath.Rel(moduleRoot, p.Filename)
		missing = append(missing, rel+":"+itoa(p.Line)+": "+what)
	}
	var dirNames []string
	for dir := range dirs {
		dirNames = append(dirNames, dir)
	}
	sort.Strings(dirNames)
	for _, dir := range dirNames {
		names := dirs[dir]
		hasPkgDoc := false
		for _, name := range names {
			f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if f.Doc != nil {
				hasPkgDoc = true
			}
			generated := ast.IsGenerated(f)
			for _, decl := range f.Decls {
				switch d := decl.(type) {
				case *ast.FuncDecl:
					if !d.Name.IsExported() || d.Doc != nil || generated {
						continue
					}
					if d.Recv != nil {
						recv := recvName(d.Recv.List[0].Type)
						if !ast.IsExported(recv) {
							continue
						}
						report(d.Pos(), "method "+recv+"."+d.Name.Name)
						continue
					}
					report(d.Pos(), "func "+d.Name.Name)
				case *ast.GenDecl:
					if generated || d.Tok == token.IMPORT {
						continue
					}
					for _, spec := range d.Specs {
						switch s := spec.(type) {
						case *ast.TypeSpec:
							if s.Name.IsExported() && d.Doc == nil && s.Doc == nil {
								report(s.Pos(), "type "+s.Name.Name)
							}
						case *ast.ValueSpec:
							for _, n := range s.Names {
								if n.IsExported() && d.Doc == nil && s.Doc == nil && s.Comment == nil {
									report(n.Pos(), d.Tok.String()+" "+n.Name)
								}
							}
						}
					}
				}
			}
		}
		if !hasPkgDoc {
			rel, _ := filepath.Rel(moduleRoot, dir)
			missing = append(missing, rel+": no package comment")
		}
	}
	return missing
}

func recvName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return recvName(x.X)
	case *ast.IndexExpr:
		return recvName(x.X)
	case *ast.IndexListExpr:
		return recvName(x.X)
	case *ast.Ident:
		return x.Name
	}
	return ""
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
