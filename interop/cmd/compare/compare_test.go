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

// TestQuickWS runs the ws and wss PUSH/PULL rows with tiny counts: zmqkit,
// and libzmq when the linked one has ws and wss (the draft build of
// scripts/prereq/20-libzmq-draft.sh; scripts/test.sh links it and sets
// ZMQKIT_COMPARE_LIBZMQ_WS=1, which makes those rows required).
func TestQuickWS(t *testing.T) {
	libs := "zmqkit"
	withLib := libzmqHas != nil && libzmqHas("WS") && libzmqHas("WSS") // libzmq 4.3 spells them in capitals
	if withLib {
		libs += ",libzmq"
	} else if os.Getenv("ZMQKIT_COMPARE_LIBZMQ_WS") == "1" {
		t.Fatal("ZMQKIT_COMPARE_LIBZMQ_WS=1 but the linked libzmq has no ws/wss (link the draft build)")
	}
	var out, errb bytes.Buffer
	code := compareMain([]string{"-quick", "-libs", libs, "-transports", "ws,wss", "-n", "2000",
		"-lat=false", "-raw=false", "-timeout", "60s"}, &out, &errb)
	t.Logf("table:\n%s", out.String())
	if code != 0 {
		t.Fatalf("compare exited %d: %s", code, errb.String())
	}
	table := out.String()
	want := []string{"PUSH/PULL ws 64 B | zmqkit", "PUSH/PULL ws 64 KiB | zmqkit", "PUSH/PULL wss 1 KiB | zmqkit"}
	if withLib {
		want = append(want, "PUSH/PULL ws 1 KiB | libzmq", "PUSH/PULL wss 64 KiB | libzmq")
	}
	for _, w := range want {
		if !strings.Contains(table, w) {
			t.Errorf("table has no %q", w)
		}
	}
	if strings.Contains(table, "failed") {
		t.Errorf("a workload failed:\n%s", errb.String())
	}
}
