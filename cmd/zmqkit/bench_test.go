package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zmqkit/zmqkit/internal/freeport"
)

func benchJSON(t *testing.T, out string) benchReport {
	t.Helper()
	var r benchReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench JSON %q: %v", out, err)
	}
	return r
}

func TestBenchInProcess(t *testing.T) {
	t.Parallel()
	for _, ep := range []string{"tcp://127.0.0.1:*", "inproc://bench"} {
		out, errOut, code := zk(t, "", "bench", "-e", ep, "--size", "64,2048", "--count", "20000", "--roundtrips", "500", "--json")
		if code != 0 {
			t.Fatalf("%s: %d %q", ep, code, errOut)
		}
		r := benchJSON(t, out)
		if len(r.Results) != 2 {
			t.Fatalf("%s: %+v", ep, r)
		}
		for _, x := range r.Results {
			if x.Count != 20000 || x.MsgsPerSec <= 0 || x.Roundtrips != 500 || x.LatencyUS <= 0 || x.P50US <= 0 || x.P99US < x.P50US || x.MaxUS < x.P99US {
				t.Errorf("%s: %+v", ep, x)
			}
			if want := x.MsgsPerSec * float64(x.Size) * 8 / 1e6; want != x.MbitsPerSec {
				t.Errorf("Mb/s %v, want %v", x.MbitsPerSec, want)
			}
		}
	}
	// The other end in a child process (--spawn), as the perf tools run.
	out, errOut, code := zk(t, "", "bench", "--spawn", "-e", "ipc://*", "--count", "20000", "--roundtrips", "300", "--json")
	if code != 0 {
		t.Fatalf("--spawn: %d %q", code, errOut)
	}
	if r := benchJSON(t, out).Results[0]; r.Count != 20000 || r.MsgsPerSec <= 0 || r.Roundtrips != 300 || r.LatencyUS <= 0 || r.P99US <= 0 {
		t.Errorf("--spawn: %+v", r)
	}
	// The table.
	out, _, code = zk(t, "", "bench", "-e", "ipc://*", "--test", "lat", "--roundtrips", "200")
	if code != 0 || !strings.Contains(out, "p99 µs") || !strings.Contains(out, "64 B") {
		t.Errorf("table: %d %q", code, out)
	}
}

// bench speaks the perf tools' protocol: against cmd/local_thr and
// cmd/remote_thr (libzmq's tools' ports), against pyzmq (libzmq) in both
// roles, and against another bench, with CURVE too.
func TestBenchRemoteEnds(t *testing.T) {
	t.Parallel()
	ep := tcpEP(t)
	local := start(t, "", "zmqkit", "bench", "--bind", ep, "--count", "50000", "--json")
	waitBound(t, ep)
	start(t, "", "remote_thr", ep, "64", "50000").expect(0, procTimeout)
	local.expect(0, procTimeout)
	if r := benchJSON(t, local.stdout.String()); r.Role != "local" || r.Results[0].Count != 50000 || r.Results[0].MsgsPerSec <= 0 {
		t.Errorf("bench --bind with remote_thr: %+v", r)
	}

	ep = tcpEP(t)
	lt := start(t, "", "local_thr", ep, "1024", "20000", "1")
	waitBound(t, ep)
	remote := start(t, "", "zmqkit", "bench", "--connect", ep, "--size", "1024", "--count", "20000", "--curve")
	remote.expect(0, procTimeout)
	lt.expect(0, procTimeout)
	if !strings.Contains(lt.stdout.String(), "message count: 20000") || !strings.Contains(remote.stdout.String(), "sent 20000 messages") {
		t.Errorf("local_thr with bench --connect --curve: %q / %q", lt.stdout.String(), remote.stdout.String())
	}

	ep = ipcEP(t)
	local = start(t, "", "zmqkit", "bench", "--bind", ep, "--test", "lat", "--roundtrips", "300")
	waitBound(t, ep)
	remote = start(t, "", "zmqkit", "bench", "--connect", ep, "--test", "lat", "--roundtrips", "300", "--json")
	remote.expect(0, procTimeout)
	local.expect(0, procTimeout)
	if r := benchJSON(t, remote.stdout.String()); r.Results[0].Roundtrips != 300 || r.Results[0].LatencyUS <= 0 {
		t.Errorf("lat between benches: %+v", r)
	}

	// Nothing at the other end: --timeout ends it.
	_, errOut, code := zk(t, "", "bench", "--bind", ipcEP(t), "-t", "500ms")
	if code != 1 || !strings.Contains(errOut, "timed out: no message moved for 500ms") {
		t.Errorf("timeout: %d %q", code, errOut)
	}
	for _, args := range [][]string{{"bench", "--bind", "x", "--connect", "y"}, {"bench", "--bind", "tcp://127.0.0.1:1", "--size", "1,2"}, {"bench", "--size", "big"}} {
		if _, errOut, code := zk(t, "", args...); code != 2 {
			t.Errorf("%q: %d %q", args, code, errOut)
		}
	}
}

func TestBenchPyzmq(t *testing.T) {
	needPython(t)
	t.Parallel()
	ep := tcpEP(t)
	local := start(t, "", "zmqkit", "bench", "--bind", ep, "--size", "100", "--count", "20000", "--json")
	waitBound(t, ep)
	start(t, "", "python", "push", "connect", ep, "--thr", "100", "20000").expect(0, procTimeout)
	local.expect(0, procTimeout)
	if r := benchJSON(t, local.stdout.String()); r.Results[0].Count != 20000 {
		t.Errorf("bench --bind with a pyzmq sender: %+v", r)
	}
	// A sender of another size is caught, as local_thr does.
	ep = tcpEP(t)
	local = start(t, "", "zmqkit", "bench", "--bind", ep, "--size", "64", "--count", "10")
	waitBound(t, ep)
	start(t, "", "python", "push", "connect", ep, "--thr", "10", "10").expect(0, procTimeout)
	local.expect(1, procTimeout)
	if !strings.Contains(local.stderr.String(), "incorrect size") {
		t.Errorf("size mismatch: %q", local.stderr.String())
	}
	// Latency against a pyzmq REP echo (local_lat's role).
	ep = tcpEP(t)
	py := start(t, "", "python", "rep", "bind", ep, "--echo", "200")
	py.waitOut("READY", procTimeout)
	remote := start(t, "", "zmqkit", "bench", "--connect", ep, "--test", "lat", "--roundtrips", "200", "--json")
	remote.expect(0, procTimeout)
	py.expect(0, procTimeout)
	if r := benchJSON(t, remote.stdout.String()); r.Results[0].Roundtrips != 200 || r.Results[0].LatencyUS <= 0 {
		t.Errorf("lat against pyzmq: %+v", r)
	}
}

// BenchmarkAgreesWithPerfTools runs, b.N times each and interleaved,
// libzmq's perf tools' ports (local_thr ← remote_thr) and two benches
// (bench --bind ← bench --connect), as separate processes over tcp at
// 64 B, and reports the ratio of the medians of the receivers' msg/s and
// of the CPU time per message of the two processes together. It fails
// when they disagree beyond a tolerance: CPU per message is robust on a
// loaded machine (±25%), wall-clock throughput is not (0.5-2×); with
// b.N of 5 or more.
//
//	go test -run '^$' -bench AgreesWithPerfTools -benchtime 5x ./cmd/zmqkit
func BenchmarkAgreesWithPerfTools(b *testing.B) {
	const size, count = 64, 500000
	type run struct{ rate, cpuNS float64 }
	pair := func(local, remote func(ep string) []string, rate func(out string) float64) run {
		ep := "tcp://" + freeport.MustTCP(b)
		la, ra := local(ep), remote(ep)
		l := exec.Command(la[0], la[1:]...)
		r := exec.Command(ra[0], ra[1:]...)
		var out strings.Builder
		l.Stdout = &out
		if err := l.Start(); err != nil {
			b.Fatal(err)
		}
		if err := r.Run(); err != nil {
			l.Process.Kill()
			l.Wait()
			b.Fatalf("%v: %v", ra, err)
		}
		if err := l.Wait(); err != nil {
			b.Fatalf("%v: %v", la, err)
		}
		cpu := l.ProcessState.UserTime() + l.ProcessState.SystemTime() + r.ProcessState.UserTime() + r.ProcessState.SystemTime()
		return run{rate(out.String()), float64(cpu.Nanoseconds()) / count}
	}
	n, sz := strconv.Itoa(count), strconv.Itoa(size)
	perfRate := func(out string) float64 {
		var v float64
		for _, line := range strings.Split(out, "\n") {
			if s, ok := strings.CutPrefix(line, "mean throughput: "); ok && strings.HasSuffix(s, "[msg/s]") {
				v, _ = strconv.ParseFloat(strings.Fields(s)[0], 64)
			}
		}
		return v
	}
	benchRate := func(out string) float64 {
		var rep benchReport
		if json.Unmarshal([]byte(out), &rep) != nil || len(rep.Results) != 1 {
			b.Fatalf("bench output %q", out)
		}
		return rep.Results[0].MsgsPerSec
	}
	tool := func(name string) func(string) []string {
		return func(ep string) []string { return []string{filepath.Join(tmpRoot, name), ep, sz, n} }
	}
	benchEnd := func(flag string) func(string) []string {
		return func(ep string) []string {
			return []string{zkBin, "bench", "--size", sz, "--count", n, "--json", "--no-progress", flag, ep}
		}
	}
	// Both ends in one bench process, for the record (not asserted: the
	// two ends share one Go runtime and its GOMAXPROCS there).
	one := func() run {
		c := exec.Command(zkBin, "bench", "--test", "thr", "--size", sz, "--count", n, "--json", "--no-progress")
		out, err := c.Output()
		if err != nil {
			b.Fatalf("bench in one process: %v", err)
		}
		cpu := c.ProcessState.UserTime() + c.ProcessState.SystemTime()
		return run{benchRate(string(out)), float64(cpu.Nanoseconds()) / count}
	}
	var perf, bench, single []run
	for i := 0; i < b.N; i++ {
		perf = append(perf, pair(tool("local_thr"), tool("remote_thr"), perfRate))
		bench = append(bench, pair(benchEnd("--bind"), benchEnd("--connect"), benchRate))
		single = append(single, one())
	}
	med := func(rs []run, f func(run) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	rate := func(r run) float64 { return r.rate }
	cpu := func(r run) float64 { return r.cpuNS }
	thr := med(bench, rate) / med(perf, rate)
	cpuRatio := med(bench, cpu) / med(perf, cpu)
	b.ReportMetric(med(perf, rate), "perf-msg/s")
	b.ReportMetric(med(bench, rate), "bench-msg/s")
	b.ReportMetric(thr, "thr-ratio")
	b.ReportMetric(med(perf, cpu), "perf-cpu-ns/msg")
	b.ReportMetric(med(bench, cpu), "bench-cpu-ns/msg")
	b.ReportMetric(cpuRatio, "cpu-ratio")
	b.ReportMetric(med(single, rate)/med(perf, rate), "one-process-thr-ratio")
	b.ReportMetric(med(single, cpu)/med(perf, cpu), "one-process-cpu-ratio")
	if b.N < 5 {
		return // one or two samples on a loaded machine say little (go test runs b.N=1 first)
	}
	if cpuRatio < 0.8 || cpuRatio > 1.25 || thr < 0.5 || thr > 2 {
		b.Errorf("bench and the perf tools disagree: throughput %.2f×, CPU per message %.2f× (medians of %d runs)", thr, cpuRatio, b.N)
	}
}

// On a terminal, bench draws a progress bar on stderr (every 100 ms) and
// wipes it at the end; --no-progress and a non-terminal draw none. The
// local end waits for a sender that never comes until --timeout, so the
// bar is drawn a few times whatever the machine's speed.
func TestBenchProgressBar(t *testing.T) {
	for _, tc := range []struct {
		tty, flag, want bool
	}{{true, false, true}, {true, true, false}, {false, false, false}} {
		var stdout, stderr syncBuffer
		e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
			getenv: func(string) string { return "" }, stderrTTY: tc.tty, interrupted: new(atomic.Bool)}
		args := []string{"bench", "--bind", "inproc://progress", "--timeout", "350ms"}
		if tc.flag {
			args = append(args, "--no-progress")
		}
		if code := run(e, args); code != 1 || !strings.Contains(stderr.String(), "no message moved for 350ms") {
			t.Fatalf("%v: status %d, %q", args, code, stderr.String())
		}
		bar := strings.Contains(stderr.String(), "\rthr 64 B   [..............................]   0% 0/s")
		if bar != tc.want {
			t.Errorf("tty %v --no-progress %v: bar drawn %v, want %v: %q", tc.tty, tc.flag, bar, tc.want, stderr.String())
		}
		if stdout.String() != "" {
			t.Errorf("stdout: %q", stdout.String())
		}
		if wiped := strings.HasSuffix(stderr.String(), "\r"+strings.Repeat(" ", 79)+"\rzmqkit bench: timed out: no message moved for 350ms\n"); wiped != tc.want {
			t.Errorf("bar wiped %v, want %v: %q", wiped, tc.want, stderr.String())
		}
	}
}
