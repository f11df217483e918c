// Package scripts holds the repository's shell scripts; its test checks
// what scripts/test.sh promises its callers.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// lastLine runs test.sh with env and returns its last line of output.
func lastLine(t *testing.T, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", "test.sh")
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	return lines[len(lines)-1], err
}

// test.sh ends with one summary line: PASS or FAIL, what ran, how long.
func TestTestShEndsWithSummary(t *testing.T) {
	line, err := lastLine(t, "ZMQKIT_STEPS=1")
	if err != nil {
		t.Fatalf("test.sh step 1: %v (%s)", err, line)
	}
	if !regexp.MustCompile(`^test\.sh: PASS: gofmt; \d+m\d\ds$`).MatchString(line) {
		t.Fatalf("last line %q", line)
	}
	// a failure names the step and still ends the output
	line, err = lastLine(t, "ZMQKIT_STEPS=1", "PATH="+pathWithoutGo())
	if err == nil {
		t.Fatal("test.sh without go succeeded")
	}
	if !regexp.MustCompile(`^test\.sh: FAIL in \S.* after \d+m\d\ds; passed before it: nothing$`).MatchString(line) {
		t.Fatalf("last line %q", line)
	}
}

// pathWithoutGo is $PATH without the directories that hold a go command.
func pathWithoutGo() string {
	var keep []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(d, "go")); err != nil {
			keep = append(keep, d)
		}
	}
	return strings.Join(keep, string(filepath.ListSeparator))
}
