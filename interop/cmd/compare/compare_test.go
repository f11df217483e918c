package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary act as the peer processes: compare
// re-executes os.Executable, which under go test is this binary.
func TestMain(m *testing.M) {
	if os.Getenv(peerEnv) == "1" {
		os.Exit(peerMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// TestQuick runs the -quick mode with tiny counts on zmqkit and, when it is
// built in, libzmq, and checks that every workload produced a row.
func TestQuick(t *testing.T) {
	libs := "zmqkit"
	if drivers["libzmq"] != nil {
		libs += ",libzmq"
	}
	var out, errb bytes.Buffer
	code := compareMain([]string{"-quick", "-libs", libs, "-n", "2000", "-rt", "200", "-timeout", "20s", "-curve"}, &out, &errb)
	t.Logf("table:\n%s", out.String())
	if code != 0 {
		t.Fatalf("compare exited %d: %s", code, errb.String())
	}
	table := out.String()
	for _, want := range []string{
		"PUSH/PULL tcp 64 B", "PUSH/PULL ipc 1 KiB", "PUSH/PULL inproc 64 KiB", "REQ/REP tcp 64 B",
		"raw TCP", "| zmqkit |", "PUSH/PULL tcp 64 KiB CURVE",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table has no %q", want)
		}
	}
	if strings.Contains(table, "failed") {
		t.Errorf("a workload failed:\n%s", errb.String())
	}
	if drivers["libzmq"] != nil && !strings.Contains(table, "× |") {
		t.Errorf("no ratio against libzmq in the table")
	}
}
