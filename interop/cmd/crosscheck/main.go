// Command crosscheck type-checks packages of the main module for other
// systems and architectures, from source, the way the compiler's front
// end would: every file a target's build constraints select, with every
// dependency (the standard library included) type-checked for that
// target too. It catches what a cross-build catches in practice (a name
// missing on one system, a build-tagged file that no longer fits, an
// unused import) in a fraction of a cold cross-build's time, because it
// generates no code: scripts/test.sh step 3 runs it for the targets no
// test runs on, after one full build for the host. The one error of the
// compiler's it adds to the type checker's is a function declared
// without a body in a package with no assembly for the target ("missing
// function body": an assembly kernel without its generic fallback), in
// the packages of the module that holds -dir.
//
//	go run ./cmd/crosscheck -dir .. -targets windows/amd64,darwin/arm64 ./registry/external/... ./cmd/zmqkit-plugin-*/
//
// Patterns are resolved in -dir (the main module) for each target. It
// prints each problem as "GOOS/GOARCH: package: error" and exits 1 if
// there was any.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"os"
	"strings"
	"time"

	"golang.org/x/tools/go/packages"
)

func main() {
	dir := flag.String("dir", ".", "directory of the module whose packages are checked")
	targets := flag.String("targets", "", "comma-separated GOOS/GOARCH pairs")
	flag.Parse()
	if *targets == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: crosscheck [-dir DIR] -targets GOOS/GOARCH,... PATTERN...")
		os.Exit(2)
	}
	failed := false
	for _, target := range strings.Split(*targets, ",") {
		goos, goarch, ok := strings.Cut(target, "/")
		if !ok {
			fmt.Fprintf(os.Stderr, "crosscheck: bad target %q (want GOOS/GOARCH)\n", target)
			os.Exit(2)
		}
		start := time.Now()
		n, problems, err := check(*dir, goos, goarch, flag.Args())
		if err != nil {
			fmt.Fprintf(os.Stderr, "crosscheck: %s: %v\n", target, err)
			os.Exit(1)
		}
		for _, p := range problems {
			fmt.Printf("%s: %s\n", target, p)
		}
		failed = failed || len(problems) > 0
		fmt.Printf("%s: %d packages type-checked, %d problems (%.1fs)\n", target, n, len(problems), time.Since(start).Seconds())
	}
	if failed {
		os.Exit(1)
	}
}

// check loads patterns for goos/goarch with CGO_ENABLED=0 and returns the
// number of packages checked and every error, each naming its package.
func check(dir, goos, goarch string, patterns []string) (int, []string, error) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedImports | packages.NeedDeps |
			packages.NeedTypes | packages.NeedSyntax | packages.NeedTypesInfo | packages.NeedModule,
		Dir: dir,
		Env: append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=-mod=readonly"),
	}
	roots, err := packages.Load(cfg, patterns...)
	if err != nil {
		return 0, nil, err
	}
	if len(roots) == 0 {
		return 0, nil, fmt.Errorf("no packages match %q", patterns)
	}
	var problems []string
	n := 0
	module := roots[0].Module
	packages.Visit(roots, nil, func(p *packages.Package) {
		n++
		for _, e := range p.Errors {
			problems = append(problems, fmt.Sprintf("%s: %v", p.PkgPath, e))
		}
		if module != nil && p.Module != nil && p.Module.Path == module.Path {
			problems = append(problems, missingBodies(p)...)
		}
	})
	return n, problems, nil
}

// missingBodies reports the functions p declares without a body when p
// has no assembly file for the target, as the compiler does.
func missingBodies(p *packages.Package) []string {
	for _, f := range p.OtherFiles {
		if strings.HasSuffix(f, ".s") {
			return nil
		}
	}
	var problems []string
	for _, f := range p.Syntax {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body == nil {
				problems = append(problems, fmt.Sprintf("%s: %v: missing function body: %s (no assembly for this target)",
					p.PkgPath, p.Fset.Position(fd.Pos()), fd.Name.Name))
			}
		}
	}
	return problems
}
