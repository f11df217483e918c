package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// changelogStd are the standard library packages CHANGELOG.md may name
// (for what was removed from the code).
var changelogStd = map[string]string{"parser": "go/parser", "runtime": "runtime"}

var (
	codeSpan = regexp.MustCompile("`([^`]+)`")
	// a Go name: pkg.Name, pkg.Type.Member, Name or Type.Member, with an
	// optional * and argument list
	changelogName = regexp.MustCompile(`^\*?(?:([a-z][a-z0-9]*)\.)?([A-Z][A-Za-z0-9_]*)(?:\.([A-Z][A-Za-z0-9_]*))?(?:\(.*\))?$`)
	// a path of the repository: dir/name..., no scheme
	changelogPath = regexp.MustCompile(`^[a-z_][a-z0-9_-]*(?:/[A-Za-z0-9_.-]+)+/?$`)
)

// Every Go name and repository path CHANGELOG.md gives in code spans
// exists: pkg.Name in that package, a bare Name (or a method or field of
// that name) or Type.Member in some package of the module, a path as a
// file or directory.
func TestChangelogNamesExist(t *testing.T) {
	b, err := os.ReadFile("../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := modulePackages(t)
	for k, v := range changelogStd {
		pkgs[k] = stdDir(t, v)
	}
	ids := map[string]map[string]bool{}
	idsOf := func(pkg string) map[string]bool {
		if ids[pkg] == nil {
			ids[pkg] = identifiers(t, pkgs[pkg])
		}
		return ids[pkg]
	}
	names, paths := 0, 0
	for i, line := range strings.Split(string(b), "\n") {
		for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
			span := m[1]
			if first := strings.Fields(span); len(first) > 0 && changelogPath.MatchString(first[0]) {
				paths++
				if _, err := os.Stat(filepath.Join("..", first[0])); err != nil {
					t.Errorf("CHANGELOG.md:%d: %s: %v", i+1, span, err)
				}
				continue
			}
			n := changelogName.FindStringSubmatch(span)
			if n == nil || strings.ToUpper(n[2]) == n[2] && n[1] == "" && n[3] == "" && !strings.HasPrefix(n[2], "E") {
				continue // not a Go name (a flag, a scheme, an all-caps option name)
			}
			id := n[2]
			if n[3] != "" {
				id += "." + n[3]
			}
			names++
			if n[1] != "" {
				if _, ok := pkgs[n[1]]; !ok {
					t.Errorf("CHANGELOG.md:%d: %s: no package %q in the module", i+1, span, n[1])
				} else if !idsOf(n[1])[id] {
					t.Errorf("CHANGELOG.md:%d: %s does not exist", i+1, span)
				}
				continue
			}
			found := false
			for pkg := range pkgs {
				if _, std := changelogStd[pkg]; std {
					continue
				}
				for k := range idsOf(pkg) {
					// a bare Name may be a method or field: Socket.Close
					if k == id || n[3] == "" && strings.HasSuffix(k, "."+id) {
						found = true
						break
					}
				}
				if found {
					break
				}
			}
			if !found {
				t.Errorf("CHANGELOG.md:%d: %s is in no package of the module", i+1, span)
			}
		}
	}
	if names < 50 || paths < 15 {
		t.Errorf("checked only %d names and %d paths", names, paths)
	}
}
