// Command compare runs the same ZeroMQ workloads on zmqkit, on libzmq and on
// github.com/go-zeromq/zmq4 in one run and prints one Markdown table.
//
//	go run ./cmd/compare            # full run (about a minute)
//	go run ./cmd/compare -quick     # smoke run with small counts
//	go run ./cmd/compare -libs zmqkit,libzmq -n 200000 -rt 20000
//
// Workloads: PUSH/PULL throughput over tcp, ipc and inproc at 64 B, 1 KiB
// and 64 KiB, and REQ/REP round-trip latency over tcp. As with libzmq's
// perf tools (local_thr/remote_thr, local_lat/remote_lat), the sender and
// the receiver of each tcp/ipc workload run in two separate processes (this
// binary re-executes itself as the peer), over loopback; inproc runs both
// ends in one peer process. The receiver's clock starts at the first
// message, as in local_thr.
//
// Libraries ("-libs"):
//
//	zmqkit  this module, zero-allocation paths (Send of a prebuilt Msg, RecvMsg)
//	libzmq  libzmq itself: the perf tools' loops written in C and called once
//	        through cgo, so no per-message Go or cgo cost (the baseline)
//	pebbe   libzmq through the github.com/pebbe/zmq4 Go binding (SendBytes,
//	        RecvBytes: one cgo round and one Go copy per message)
//	gozmq   github.com/go-zeromq/zmq4 (pure Go)
//	raw     plain net.Conn over loopback TCP, 64 KiB writes (tcp 64 KiB only):
//	        the bandwidth ceiling
//
// The ratio column is each library's figure over libzmq's for the same
// workload (throughput: higher is better; latency: lower is better).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// peerEnv marks a child process started as a peer.
const peerEnv = "ZMQKIT_COMPARE_PEER"

type workload struct {
	kind      string // "thr" or "lat"
	transport string // tcp, ipc, inproc
	size      int
	count     int // messages (thr) or round trips (lat)
	curve     bool
}

func (w workload) String() string {
	if w.curve {
		return fmt.Sprintf("PUSH/PULL %s %s CURVE", w.transport, sizeName(w.size))
	}
	if w.kind == "lat" {
		return fmt.Sprintf("REQ/REP %s %s", w.transport, sizeName(w.size))
	}
	return fmt.Sprintf("PUSH/PULL %s %s", w.transport, sizeName(w.size))
}

func sizeName(n int) string {
	switch {
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

type result struct {
	w       workload
	lib     string
	elapsed time.Duration // receiver's clock (thr) or client's clock (lat)
	err     error
}

func (r result) msgsPerSec() float64 {
	n := r.w.count
	if r.w.kind == "thr" {
		// As local_thr: count / elapsed, the clock having started at the first message.
		return float64(n) / r.elapsed.Seconds()
	}
	return float64(n) / r.elapsed.Seconds()
}

func (r result) usPerRT() float64 {
	return float64(r.elapsed.Nanoseconds()) / 1e3 / float64(r.w.count)
}

var libNames = map[string]string{
	"zmqkit": "zmqkit",
	"libzmq": "libzmq 4.3 (C loop)",
	"pebbe":  "libzmq via pebbe/zmq4",
	"gozmq":  "go-zeromq/zmq4",
	"raw":    "raw TCP (net.Conn)",
}

func main() {
	if os.Getenv(peerEnv) == "1" {
		os.Exit(peerMain(os.Args[1:]))
	}
	os.Exit(compareMain(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	libs       []string
	transports []string
	sizes      []int
	counts     map[int]int
	rt         int
	runs       int
	timeout    time.Duration
	raw        bool
	lat        bool
	curve      bool
	verbose    bool
}

func compareMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "smoke mode: small message counts (seconds, for CI)")
	libs := fs.String("libs", "zmqkit,libzmq,pebbe,gozmq", "comma-separated libraries: zmqkit, libzmq, pebbe, gozmq")
	transports := fs.String("transports", "tcp,ipc,inproc", "comma-separated transports for PUSH/PULL: tcp, ipc, inproc, ws, wss (ws and wss need a libzmq built with them for the libzmq rows)")
	sizes := fs.String("sizes", "64,1024,65536", "comma-separated message sizes in bytes for PUSH/PULL")
	n := fs.Int("n", 0, "messages per PUSH/PULL workload (0: 1,000,000 for 64 B, 400,000 for 1 KiB, 20,000 for 64 KiB; -quick: 50x fewer)")
	rt := fs.Int("rt", 0, "round trips for the REQ/REP latency workload (0: 20,000; -quick: 1,000)")
	runs := fs.Int("runs", 1, "runs per cell, alternating between the libraries; the median is reported")
	timeout := fs.Duration("timeout", 2*time.Minute, "limit for one workload run")
	raw := fs.Bool("raw", true, "add a raw loopback TCP row (net.Conn, 64 KiB writes) to tcp 64 KiB")
	lat := fs.Bool("lat", true, "run the REQ/REP tcp latency workload")
	verbose := fs.Bool("v", false, "log each run to stderr")
	withCurve := fs.Bool("curve", false, "add CURVE PUSH/PULL tcp rows (zmqkit and libzmq) at each size")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fullStderr = *verbose
	cfg := config{
		libs:       splitList(*libs),
		transports: splitList(*transports),
		counts:     map[int]int{},
		rt:         *rt,
		runs:       *runs,
		timeout:    *timeout,
		raw:        *raw,
		lat:        *lat,
		curve:      *withCurve,
		verbose:    *verbose,
	}
	for _, l := range cfg.libs {
		if _, ok := libNames[l]; !ok || l == "raw" {
			fmt.Fprintf(stderr, "compare: unknown library %q\n", l)
			return 2
		}
	}
	for _, t := range cfg.transports {
		switch t {
		case "tcp", "ipc", "inproc", "ws":
		case "wss":
			if err := setupWSS(); err != nil {
				fmt.Fprintf(stderr, "compare: wss certificate: %v\n", err)
				return 2
			}
		default:
			fmt.Fprintf(stderr, "compare: unknown transport %q\n", t)
			return 2
		}
	}
	for _, s := range splitList(*sizes) {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			fmt.Fprintf(stderr, "compare: bad size %q\n", s)
			return 2
		}
		cfg.sizes = append(cfg.sizes, v)
	}
	div := 1
	if *quick {
		div = 50
	}
	for _, s := range cfg.sizes {
		c := *n
		if c == 0 {
			switch {
			case s <= 256:
				c = 1000000 / div
			case s <= 8192:
				c = 400000 / div
			default:
				c = 20000 / div
			}
		}
		cfg.counts[s] = c
	}
	if cfg.rt == 0 {
		cfg.rt = 20000
		if *quick {
			cfg.rt = 1000
		}
	}
	if cfg.runs < 1 {
		cfg.runs = 1
	}

	results, failed := run(cfg, stderr)
	printTable(stdout, cfg, results)
	if failed {
		return 1
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func workloads(cfg config) []workload {
	var ws []workload
	for _, t := range cfg.transports {
		for _, s := range cfg.sizes {
			ws = append(ws, workload{kind: "thr", transport: t, size: s, count: cfg.counts[s]})
		}
	}
	if cfg.lat {
		ws = append(ws, workload{kind: "lat", transport: "tcp", size: 64, count: cfg.rt})
	}
	if cfg.curve {
		for _, s := range cfg.sizes {
			ws = append(ws, workload{kind: "thr", transport: "tcp", size: s, count: cfg.counts[s] / 4, curve: true})
		}
	}
	return ws
}

// run executes every workload for every library, cfg.runs times each, and
// returns the median result of each cell.
func run(cfg config, logw io.Writer) ([]result, bool) {
	var out []result
	failed := false
	for _, w := range workloads(cfg) {
		libs := append([]string(nil), cfg.libs...)
		if w.curve { // only these two drivers do CURVE
			libs = libs[:0]
			for _, l := range cfg.libs {
				if l == "zmqkit" || l == "libzmq" {
					libs = append(libs, l)
				}
			}
		}
		if cfg.raw && !w.curve && w.kind == "thr" && w.transport == "tcp" && w.size == 64<<10 {
			libs = append(libs, "raw")
		}
		// Runs alternate between the libraries (run 1 of each, then run 2
		// of each, ...), so that a slow phase of a shared machine does not
		// land on one library's runs only.
		rs := make([][]result, len(libs))
		bad := make([]bool, len(libs))
		for i := 0; i < cfg.runs; i++ {
			for j, lib := range libs {
				if bad[j] {
					continue
				}
				r := runOne(cfg, lib, w)
				if cfg.verbose || r.err != nil {
					if r.err != nil {
						fmt.Fprintf(logw, "compare: %s %s: %v\n", w, lib, r.err)
					} else {
						fmt.Fprintf(logw, "compare: %s %s: %v\n", w, lib, r.elapsed)
					}
				}
				if r.err != nil {
					failed, bad[j] = true, true
					rs[j] = []result{r}
					continue
				}
				rs[j] = append(rs[j], r)
			}
		}
		for _, r := range rs {
			sort.Slice(r, func(i, j int) bool { return r[i].elapsed < r[j].elapsed })
			out = append(out, r[len(r)/2])
		}
	}
	return out, failed
}

// runOne runs one workload once: two peer processes (receiver or server
// bound first, then sender or client), or one for inproc.
func runOne(cfg config, lib string, w workload) result {
	res := result{w: w, lib: lib}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()

	ep, cleanup, err := endpointFor(lib, w.transport)
	if err != nil {
		res.err = err
		return res
	}
	defer cleanup()

	common := []string{"-lib", lib, "-ep", ep, "-size", strconv.Itoa(w.size), "-count", strconv.Itoa(w.count)}
	if w.curve {
		common = append(common, "-curve")
	}
	if w.transport == "inproc" {
		p, err := startPeer(ctx, append([]string{"-role", w.kind + "-inproc"}, common...))
		if err != nil {
			res.err = err
			return res
		}
		p.stdin.Close()
		res.elapsed, res.err = p.result()
		return res
	}

	bindRole, connRole := "thr-recv", "thr-send"
	if w.kind == "lat" {
		bindRole, connRole = "lat-serve", "lat-client"
	}
	bound, err := startPeer(ctx, append([]string{"-role", bindRole}, common...))
	if err != nil {
		res.err = err
		return res
	}
	bound.stdin.Close()
	if err := bound.waitReady(); err != nil {
		bound.kill()
		res.err = err
		return res
	}
	conn, err := startPeer(ctx, append([]string{"-role", connRole}, common...))
	if err != nil {
		bound.kill()
		res.err = err
		return res
	}
	// Wait for both; if one fails, stop the other rather than let it
	// block until the timeout.
	type out struct {
		el  time.Duration
		err error
	}
	bch, cch := make(chan out, 1), make(chan out, 1)
	go func() { el, err := bound.result(); bch <- out{el, err} }()
	go func() { el, err := conn.result(); cch <- out{el, err} }()
	var b, c out
	for got := 0; got < 2; got++ {
		select {
		case b = <-bch:
			conn.stdin.Close() // a thr sender waits for this before exiting
			if b.err != nil {
				conn.kill()
			}
		case c = <-cch:
			if c.err != nil {
				bound.kill()
			}
		}
	}
	if w.kind == "thr" {
		res.elapsed = b.el
	} else {
		res.elapsed = c.el
	}
	res.err = errors.Join(b.err, c.err)
	return res
}

// endpointFor returns an endpoint for transport and a cleanup function.
func endpointFor(lib, transport string) (string, func(), error) {
	switch transport {
	case "inproc":
		return "inproc://compare", func() {}, nil
	case "ipc":
		dir, err := os.MkdirTemp("", "zcmp")
		if err != nil {
			return "", nil, err
		}
		return "ipc://" + filepath.Join(dir, "s"), func() { os.RemoveAll(dir) }, nil
	default:
		// A free loopback port, chosen here so every library can bind it
		// (not all of them support "tcp://127.0.0.1:*").
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if lib == "raw" {
			return fmt.Sprintf("127.0.0.1:%d", port), func() {}, nil
		}
		if transport == "ws" || transport == "wss" {
			return fmt.Sprintf("%s://127.0.0.1:%d/compare", transport, port), func() {}, nil
		}
		return fmt.Sprintf("tcp://127.0.0.1:%d", port), func() {}, nil
	}
}

type peer struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *strings.Builder
	done   chan error
}

func startPeer(ctx context.Context, args []string) (*peer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), peerEnv+"=1")
	// At the timeout, ask for a goroutine dump (SIGQUIT) before killing.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGQUIT) }
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	p := &peer{cmd: cmd, stdin: stdin, lines: make(chan string, 16), stderr: &strings.Builder{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.done <- cmd.Wait()
	}()
	return p, nil
}

func (p *peer) kill() {
	if p.cmd.Process != nil {
		p.cmd.Process.Kill()
	}
}

func (p *peer) fail(line string) error {
	err := <-p.done
	msg := strings.TrimSpace(strings.TrimPrefix(line, "ERROR "))
	if msg == "" {
		msg = "peer exited without a result"
	}
	if err != nil {
		msg += " (" + err.Error() + ")"
	}
	if s := strings.TrimSpace(p.stderr.String()); s != "" {
		msg += "; stderr: " + lastLines(s, 5)
	}
	return errors.New(msg)
}

// fullStderr, when set (-v), puts a failing peer's whole stderr (with the
// goroutine dump of a timed-out peer) in its error.
var fullStderr bool

func lastLines(s string, n int) string {
	if fullStderr {
		return "\n" + s
	}
	ls := strings.Split(s, "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " | ")
}

func (p *peer) waitReady() error {
	for line := range p.lines {
		if line == "READY" {
			return nil
		}
		if strings.HasPrefix(line, "ERROR") {
			return p.fail(line)
		}
	}
	return p.fail("")
}

func (p *peer) result() (time.Duration, error) {
	var el time.Duration
	got := false
	for line := range p.lines {
		switch {
		case strings.HasPrefix(line, "RESULT "):
			ns, err := strconv.ParseInt(strings.TrimPrefix(line, "RESULT "), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("bad peer line %q", line)
			}
			el, got = time.Duration(ns), true
		case strings.HasPrefix(line, "ERROR"):
			return 0, p.fail(line)
		}
	}
	if err := <-p.done; err != nil {
		return 0, fmt.Errorf("peer: %v; stderr: %s", err, lastLines(strings.TrimSpace(p.stderr.String()), 5))
	}
	if !got {
		return 0, errors.New("peer exited without a result")
	}
	return el, nil
}

// printTable writes the results as one Markdown table.
func printTable(w io.Writer, cfg config, rs []result) {
	base := map[workload]result{}
	for _, r := range rs {
		if r.lib == "libzmq" && r.err == nil {
			base[r.w] = r
		}
	}
	fmt.Fprintln(w, "| workload | library | msgs/s | MB/s | µs/round trip | vs libzmq |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|")
	var kit64k, raw64k float64
	for _, r := range rs {
		if r.err != nil {
			msg := strings.Join(strings.Fields(r.err.Error()), " ")
			if len(msg) > 70 {
				msg = msg[:70] + "…"
			}
			msg = strings.ReplaceAll(msg, "|", "/")
			fmt.Fprintf(w, "| %s | %s | failed: %s | | | |\n", r.w, libNames[r.lib], msg)
			continue
		}
		msgs := r.msgsPerSec()
		mbs := msgs * float64(r.w.size) / 1e6
		ratio := "–"
		if b, ok := base[r.w]; ok {
			if r.w.kind == "thr" {
				ratio = fmt.Sprintf("%.2f×", msgs/b.msgsPerSec())
			} else {
				ratio = fmt.Sprintf("%.2f×", r.usPerRT()/b.usPerRT())
			}
		}
		if r.w.kind == "thr" {
			fmt.Fprintf(w, "| %s | %s | %s | %.1f | – | %s |\n", r.w, libNames[r.lib], commas(msgs), mbs, ratio)
			if r.w.transport == "tcp" && r.w.size == 64<<10 && !r.w.curve {
				switch r.lib {
				case "zmqkit":
					kit64k = mbs
				case "raw":
					raw64k = mbs
				}
			}
		} else {
			fmt.Fprintf(w, "| %s | %s | %s | %.1f | %.1f | %s |\n", r.w, libNames[r.lib], commas(msgs), mbs, r.usPerRT(), ratio)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Throughput rows: higher is better; the ratio is msgs/s over libzmq's. Latency rows: msgs/s counts round trips, the ratio is µs over libzmq's (lower is better).")
	if kit64k > 0 && raw64k > 0 {
		fmt.Fprintf(w, "zmqkit PUSH/PULL tcp 64 KiB: %.0f%% of raw loopback TCP bandwidth.\n", 100*kit64k/raw64k)
	}
}

func commas(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
