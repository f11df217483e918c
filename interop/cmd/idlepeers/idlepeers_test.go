package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestMain lets the test binary act as the child process.
func TestMain(m *testing.M) {
	if lib := os.Getenv(childEnv); lib != "" {
		os.Exit(childMain(lib, os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// TestSmall runs the measurement with 200 peers on zmqkit and, when it is
// built in, libzmq: every library gives a row, and zmqkit's idle peers
// take one goroutine each (the reader), with heartbeats too (a heartbeat's
// timer starts a writer that sends the PING and ends).
func TestSmall(t *testing.T) {
	for _, hb := range []string{"0s", "100ms"} {
		t.Run("heartbeat="+hb, func(t *testing.T) { small(t, hb) })
	}
}

func small(t *testing.T, hb string) {
	libs := "zmqkit"
	if servers["libzmq"] != nil {
		libs += ",libzmq"
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-n", "200", "-libs", libs, "-heartbeat", hb}, &out, &errb); code != 0 {
		t.Fatalf("idlepeers exited %d: %s", code, errb.String())
	}
	t.Logf("\n%s", out.String())
	for _, lib := range strings.Split(libs, ",") {
		var row []string
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, "| "+lib+" |") {
				row = strings.Split(l, "|")
			}
		}
		if row == nil {
			t.Fatalf("no row for %s", lib)
		}
		if lib == "zmqkit" {
			g, err := strconv.ParseFloat(strings.TrimSpace(row[5]), 64)
			if err != nil || g > 1.05 {
				t.Errorf("zmqkit: %s goroutines per idle peer, want at most 1", row[5])
			}
		}
	}
}

// BenchmarkIdlePeers reports what one idle peer costs each ROUTER, at
// b.N peers rounded up to 1000 (go test -bench IdlePeers -benchtime 10000x).
func BenchmarkIdlePeers(b *testing.B) {
	for _, lib := range []string{"zmqkit", "libzmq"} {
		if servers[lib] == nil {
			continue
		}
		b.Run(lib, func(b *testing.B) {
			n := max(b.N, 1000)
			r, err := measure(lib, n, 0)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(r.rssIdle, "rss-B/peer")
			b.ReportMetric(r.rssAfter, "rss-after-data-B/peer")
			b.ReportMetric(r.goroAfter, "goroutines/peer")
			b.ReportMetric(r.heapAfter, "heap-B/peer")
			b.ReportMetric(0, "ns/op")
		})
	}
}
