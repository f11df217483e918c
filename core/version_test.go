package core_test

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/zmqkit/zmqkit/core"
)

func TestZMQVersion(t *testing.T) {
	major, minor, patch := core.ZMQVersion()
	if major != 4 || minor != 3 || patch < 5 {
		t.Errorf("ZMQVersion() = %d.%d.%d, want 4.3.5 or later 4.3", major, minor, patch)
	}
	v := core.BuildVersion()
	if v.Version != core.Version || v.ZMQ != [3]int{major, minor, patch} || len(v.Draft) != len(core.DraftAPI) {
		t.Errorf("BuildVersion() = %+v", v)
	}
	s := core.VersionString()
	if !strings.HasPrefix(s, "zmqkit "+core.Version+" (libzmq 4.3.") || !strings.Contains(s, "+ draft)") {
		t.Errorf("VersionString() = %q", s)
	}
	// test binaries are built from the main module: "(devel)" is not shown
	if strings.Contains(s, "devel") {
		t.Errorf("VersionString() = %q shows the (devel) module version", s)
	}
	if got := (core.VersionInfo{Version: "v1.2.3", Module: "v1.2.4-0.20270101000000-abcdef123456", ZMQ: [3]int{4, 3, 5}}).String(); got != "zmqkit v1.2.3 (libzmq 4.3.5 API) [module v1.2.4-0.20270101000000-abcdef123456]" {
		t.Errorf("String() = %q", got)
	}
}

var semver = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// TestVersionMatchesChangelog ties core.Version to CHANGELOG.md: its newest
// version heading (after an optional [Unreleased]) is core.Version.
func TestVersionMatchesChangelog(t *testing.T) {
	if !semver.MatchString(core.Version) {
		t.Fatalf("core.Version %q is not a semantic version vMAJOR.MINOR.PATCH", core.Version)
	}
	f, err := os.Open("../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	heading := regexp.MustCompile(`^## \[([^\]]+)\]`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := heading.FindStringSubmatch(sc.Text())
		if m == nil || m[1] == "Unreleased" {
			continue
		}
		if "v"+m[1] != core.Version {
			t.Fatalf("CHANGELOG.md's newest version is %s but core.Version is %s: "+
				"when you release, set core.Version (core/version.go) and the CHANGELOG heading together", m[1], core.Version)
		}
		return
	}
	t.Fatal("CHANGELOG.md has no version heading ## [X.Y.Z]")
}
