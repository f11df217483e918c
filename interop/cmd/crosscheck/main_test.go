package main

import (
	"strings"
	"testing"
)

// testdata/mod: a package whose arm64 kernel has no assembly and no
// generic body, and one that names something undefined on Windows.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		target string
		want   []string // substrings, one per problem
	}{
		{"linux/amd64", nil},
		{"linux/386", nil},
		{"linux/arm64", []string{"kern_arm64.go:3:1: missing function body: sum"}},
		{"windows/amd64", []string{"sys_windows.go:4:14: undefined: windowsKind"}},
		{"darwin/arm64", []string{"missing function body: sum"}},
	} {
		goos, goarch, _ := strings.Cut(tc.target, "/")
		n, problems, err := check("testdata/mod", goos, goarch, []string{"./..."})
		if err != nil {
			t.Fatalf("%s: %v", tc.target, err)
		}
		if n != 2 {
			t.Errorf("%s: %d packages checked, want 2", tc.target, n)
		}
		if len(problems) != len(tc.want) {
			t.Errorf("%s: problems %q, want %d", tc.target, problems, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(problems[i], w) {
				t.Errorf("%s: problem %q, want it to say %q", tc.target, problems[i], w)
			}
		}
	}
}
