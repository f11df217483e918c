package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqkit/zmqkit/cmd/internal/perftool"
	"github.com/zmqkit/zmqkit/core"
)

var benchCmd = &command{
	name:    "bench",
	summary: "measure throughput and latency, in one process or against a remote bench or libzmq perf tool",
	long: `Measures message throughput (PUSH to PULL) and latency (REQ/REP round trips)
the way libzmq's perf tools do, so that the figures compare with
local_thr/remote_thr and local_lat/remote_lat (libzmq's or cmd/ ports):
throughput is counted by the receiver from the first message on, latency
is half the mean round trip. Percentiles of the half round trips are
given too.

Without --bind/--connect, both ends run in this process over --endpoint
(any transport: tcp, ipc, inproc, ...), for every --size, and a summary
table is printed. With --bind this is the measuring "local" end, with
--connect the "remote" end, of one test (--test thr or lat), speaking the
perf tools' protocol: pair "zmqkit bench --bind" with remote_thr, or
local_thr with "zmqkit bench --connect", or two zmqkit benches.

  bind     --test thr: receive (local_thr)   --test lat: echo (local_lat)
  connect  --test thr: send (remote_thr)     --test lat: measure (remote_lat)

A progress bar is drawn on stderr when it is a terminal.

Examples:
  zmqkit bench
  zmqkit bench -e ipc:///tmp/bench.sock --size 64,1024,65536 --json
  zmqkit bench --bind 'tcp://*:5555' --size 64 --count 1000000       # against remote_thr
  remote_thr tcp://127.0.0.1:5555 64 1000000
  zmqkit bench --test lat --connect tcp://127.0.0.1:5556 --roundtrips 10000
`,
	define: func(f *flagSet) func(*env, []string) error {
		b := &benchCfg{test: "both", endpoint: "tcp://127.0.0.1:*", sizes: "64", roundtrips: 10000}
		f.Enum(&b.test, "test", "TEST", "what to measure: thr, lat, or both (both needs no --bind/--connect)", "both", "thr", "lat")
		f.String(&b.endpoint, "e,endpoint", "EP", "endpoint for both ends in this process", "endpoint")
		f.String(&b.bind, "b,bind", "EP", "be the local end (local_thr / local_lat), bound to EP", "endpoint")
		f.String(&b.connect, "c,connect", "EP", "be the remote end (remote_thr / remote_lat), connected to EP", "endpoint")
		f.String(&b.sizes, "s,size", "BYTES", "message size(s), comma-separated", "")
		f.Int(&b.count, "n,count", "N", "messages per throughput test (default: 1000000, fewer above 1 KiB: 1 GB at most)")
		f.Int(&b.roundtrips, "roundtrips", "N", "round trips per latency test")
		f.Bool(&b.spawn, "spawn", "run the sending (thr) or echoing (lat) end as a second zmqkit process, as the perf tools run")
		f.Bool(&b.curve, "curve", "use CURVE with the perf tools' keys (their <enable_curve> argument)")
		f.Duration(&b.timeout, "t,timeout", "D", "fail when no message moves for D")
		f.Bool(&b.json, "json", "print JSON instead of the table")
		f.Bool(&b.noProgress, "no-progress", "no progress bar")
		return func(e *env, pos []string) error { return b.run(e, pos) }
	},
}

type benchCfg struct {
	test, endpoint, bind, connect, sizes string
	count, roundtrips                    int
	curve, json, noProgress, spawn       bool
	timeout                              time.Duration
}

// benchResult is one size's figures.
type benchResult struct {
	Size int `json:"size"`
	// throughput, as local_thr computes it
	Count       int     `json:"count,omitempty"`
	ElapsedUS   int64   `json:"elapsed_us,omitempty"`
	MsgsPerSec  float64 `json:"msgs_per_sec,omitempty"`
	MbitsPerSec float64 `json:"mbits_per_sec,omitempty"`
	// latency, as remote_lat computes it (half the mean round trip), and
	// percentiles of the half round trips
	Roundtrips int     `json:"roundtrips,omitempty"`
	LatencyUS  float64 `json:"latency_us,omitempty"`
	P50US      float64 `json:"latency_p50_us,omitempty"`
	P99US      float64 `json:"latency_p99_us,omitempty"`
	MaxUS      float64 `json:"latency_max_us,omitempty"`
	// the remote sender's own view
	SentCount int `json:"sent,omitempty"`
}

type benchReport struct {
	Role     string        `json:"role"` // both, local, remote
	Test     string        `json:"test"`
	Endpoint string        `json:"endpoint"`
	Curve    bool          `json:"curve"`
	Results  []benchResult `json:"results"`
}

func (b *benchCfg) run(e *env, pos []string) error {
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	var sizes []int
	for _, s := range strings.Split(b.sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return usagef("--size wants sizes in bytes, got %q", s)
		}
		sizes = append(sizes, n)
	}
	if b.count < 0 || b.roundtrips <= 0 {
		return usagef("--count and --roundtrips must be positive")
	}
	if b.bind != "" && b.connect != "" {
		return usagef("--bind and --connect exclude each other: one end each")
	}
	remote := b.bind != "" || b.connect != ""
	if remote {
		if b.test == "both" {
			b.test = "thr"
		}
		if len(sizes) != 1 {
			return usagef("one --size with --bind/--connect (the other end expects one)")
		}
	}
	ctx, cancel := context.WithCancelCause(e.ctx)
	defer cancel(nil)
	prog := &progress{e: e, on: e.stderrTTY && !b.noProgress}
	if b.timeout > 0 {
		go prog.watchdog(ctx, cancel, b.timeout)
	}
	rep := benchReport{Role: "both", Test: b.test, Endpoint: b.endpoint, Curve: b.curve}
	var err error
	switch {
	case b.bind != "":
		rep.Role, rep.Endpoint = "local", b.bind
		err = b.runLocal(ctx, e, prog, sizes[0], &rep)
	case b.connect != "":
		rep.Role, rep.Endpoint = "remote", b.connect
		err = b.runRemote(ctx, e, prog, sizes[0], &rep)
	default:
		err = b.runBoth(ctx, e, prog, sizes, &rep)
	}
	prog.clear()
	if err != nil {
		if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
			return c
		}
		if e.ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	return b.print(e, &rep)
}

// child runs "zmqkit bench --connect ep" for one test and returns its
// result (the sender's view for thr, the measurement for lat).
func (b *benchCfg) child(ctx context.Context, test, ep string, size, n int) (benchResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return benchResult{}, err
	}
	args := []string{"bench", "--connect", ep, "--test", test, "--size", strconv.Itoa(size), "--json", "--no-progress"}
	if test == "lat" {
		args = append(args, "--roundtrips", strconv.Itoa(n))
	} else {
		args = append(args, "--count", strconv.Itoa(n))
	}
	if b.curve {
		args = append(args, "--curve")
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return benchResult{}, fmt.Errorf("the spawned end failed: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var rep benchReport
	if err := json.Unmarshal(out, &rep); err != nil || len(rep.Results) != 1 {
		return benchResult{}, fmt.Errorf("the spawned end's output: %q", out)
	}
	return rep.Results[0], nil
}

func (b *benchCfg) countFor(size int) int {
	if b.count > 0 {
		return b.count
	}
	n := 1_000_000
	if size > 1024 {
		n = max(1000, 1_000_000_000/size)
	}
	return n
}

func (b *benchCfg) runBoth(ctx context.Context, e *env, prog *progress, sizes []int, rep *benchReport) error {
	s := newSession(e)
	defer s.close()
	for _, size := range sizes {
		r := benchResult{Size: size}
		if b.test != "lat" {
			pull, err := s.socket(core.PULL, nil, nil, perftool.CurveServer(b.curve)...)
			if err != nil {
				return err
			}
			if err := pull.Bind(b.endpoint); err != nil {
				return endpointErr(err)
			}
			ep := pull.LastEndpoint()
			rep.Endpoint = ep
			count := b.countFor(size)
			prog.start(fmt.Sprintf("thr %d B", size), count)
			errc := make(chan error, 1)
			var push *core.Socket
			if b.spawn {
				go func() { _, err := b.child(ctx, "thr", ep, size, count); errc <- err }()
			} else {
				push, err = s.socket(core.PUSH, nil, nil, perftool.CurveClient(b.curve)...)
				if err != nil {
					return err
				}
				if err := push.Connect(ep); err != nil {
					return endpointErr(err)
				}
				go func() { _, err := sendThr(ctx, push, size, count, nil); errc <- err }()
			}
			err = recvThr(ctx, pull, size, count, &r, prog)
			if err != nil {
				return err
			}
			if err := <-errc; err != nil {
				return err
			}
			if push != nil {
				push.Close()
			}
			pull.Close()
		}
		if b.test != "thr" {
			repS, err := s.socket(core.REP, nil, nil, perftool.CurveServer(b.curve)...)
			if err != nil {
				return err
			}
			if err := repS.Bind(b.endpoint); err != nil {
				return endpointErr(err)
			}
			ep := repS.LastEndpoint()
			rep.Endpoint = ep
			prog.start(fmt.Sprintf("lat %d B", size), b.roundtrips)
			if b.spawn {
				// The child measures (remote_lat's role); this process echoes.
				type res struct {
					r   benchResult
					err error
				}
				rc := make(chan res, 1)
				go func() { cr, err := b.child(ctx, "lat", ep, size, b.roundtrips); rc <- res{cr, err} }()
				if err := echoLatProgress(ctx, repS, size, b.roundtrips, prog); err != nil {
					return err
				}
				x := <-rc
				if x.err != nil {
					return x.err
				}
				r.Roundtrips, r.LatencyUS, r.P50US, r.P99US, r.MaxUS = x.r.Roundtrips, x.r.LatencyUS, x.r.P50US, x.r.P99US, x.r.MaxUS
			} else {
				req, err := s.socket(core.REQ, nil, nil, perftool.CurveClient(b.curve)...)
				if err != nil {
					return err
				}
				if err := req.Connect(ep); err != nil {
					return endpointErr(err)
				}
				errc := make(chan error, 1)
				go func() { errc <- echoLat(ctx, repS, size, b.roundtrips) }()
				if err := measureLat(ctx, req, size, b.roundtrips, &r, prog); err != nil {
					return err
				}
				if err := <-errc; err != nil {
					return err
				}
				req.Close()
			}
			repS.Close()
		}
		rep.Results = append(rep.Results, r)
	}
	return nil
}

// runLocal is local_thr or local_lat.
func (b *benchCfg) runLocal(ctx context.Context, e *env, prog *progress, size int, rep *benchReport) error {
	s := newSession(e)
	defer s.close()
	t := core.PULL
	if b.test == "lat" {
		t = core.REP
	}
	sock, err := s.socket(t, nil, nil, perftool.CurveServer(b.curve)...)
	if err != nil {
		return err
	}
	s.watchProblems(sock, false)
	if err := sock.Bind(b.bind); err != nil {
		return endpointErr(err)
	}
	rep.Endpoint = sock.LastEndpoint()
	r := benchResult{Size: size}
	if b.test == "lat" {
		prog.start(fmt.Sprintf("echo %d B", size), b.roundtrips)
		if err := echoLatProgress(ctx, sock, size, b.roundtrips, prog); err != nil {
			return err
		}
		r.Roundtrips = b.roundtrips
	} else {
		count := b.countFor(size)
		prog.start(fmt.Sprintf("thr %d B", size), count)
		if err := recvThr(ctx, sock, size, count, &r, prog); err != nil {
			return err
		}
	}
	rep.Results = append(rep.Results, r)
	return nil
}

// runRemote is remote_thr or remote_lat.
func (b *benchCfg) runRemote(ctx context.Context, e *env, prog *progress, size int, rep *benchReport) error {
	s := newSession(e)
	defer s.close()
	t := core.PUSH
	if b.test == "lat" {
		t = core.REQ
	}
	sock, err := s.socket(t, nil, nil, perftool.CurveClient(b.curve)...)
	if err != nil {
		return err
	}
	s.watchProblems(sock, false)
	if err := sock.Connect(b.connect); err != nil {
		return endpointErr(err)
	}
	r := benchResult{Size: size}
	if b.test == "lat" {
		prog.start(fmt.Sprintf("lat %d B", size), b.roundtrips)
		if err := measureLat(ctx, sock, size, b.roundtrips, &r, prog); err != nil {
			return err
		}
	} else {
		count := b.countFor(size)
		prog.start(fmt.Sprintf("send %d B", size), count)
		t0 := time.Now()
		n, err := sendThr(ctx, sock, size, count, prog)
		if err != nil {
			return err
		}
		// As remote_thr: closing waits (linger) until all is handed over.
		sock.Close()
		r.SentCount = n
		r.ElapsedUS = time.Since(t0).Microseconds()
		if r.ElapsedUS > 0 {
			r.MsgsPerSec = float64(n) / float64(r.ElapsedUS) * 1e6
			r.MbitsPerSec = r.MsgsPerSec * float64(size) * 8 / 1e6
		}
	}
	rep.Results = append(rep.Results, r)
	return nil
}

// sendThr sends count messages of size zero bytes as remote_thr does.
func sendThr(ctx context.Context, s *core.Socket, size, count int, prog *progress) (int, error) {
	var msg core.Msg
	for i := 0; i < count; i++ {
		msg.InitSize(size)
		if err := s.SendMsg(ctx, &msg); err != nil {
			return i, err
		}
		if i&1023 == 0 {
			prog.set(i)
		}
	}
	prog.set(count)
	return count, nil
}

// recvThr receives count messages as local_thr does and computes its
// figures: the clock starts at the first message.
func recvThr(ctx context.Context, s *core.Socket, size, count int, r *benchResult, prog *progress) error {
	var msg core.Msg
	check := func() error {
		if len(msg.Frames) != 1 || len(msg.Frames[0]) != size {
			return fmt.Errorf("message of incorrect size received (%d frames, want one of %d bytes)", len(msg.Frames), size)
		}
		return nil
	}
	if err := s.RecvMsg(ctx, &msg); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	prog.set(1)
	start := time.Now()
	for i := 1; i < count; i++ {
		if err := s.RecvMsg(ctx, &msg); err != nil {
			return err
		}
		if err := check(); err != nil {
			return err
		}
		if i&1023 == 0 {
			prog.set(i)
		}
	}
	prog.set(count)
	elapsed := max(time.Since(start).Microseconds(), 1)
	r.Count = count
	r.ElapsedUS = elapsed
	r.MsgsPerSec = float64(count) / float64(elapsed) * 1e6
	r.MbitsPerSec = r.MsgsPerSec * float64(size) * 8 / 1e6
	return nil
}

func echoLat(ctx context.Context, s *core.Socket, size, n int) error {
	return echoLatProgress(ctx, s, size, n, nil)
}

// echoLatProgress answers n requests as local_lat does.
func echoLatProgress(ctx context.Context, s *core.Socket, size, n int, prog *progress) error {
	var msg core.Msg
	for i := 0; i < n; i++ {
		if err := s.RecvMsg(ctx, &msg); err != nil {
			return err
		}
		if len(msg.Frames) != 1 || len(msg.Frames[0]) != size {
			return fmt.Errorf("message of incorrect size received")
		}
		if err := s.Send(ctx, msg); err != nil {
			return err
		}
		if i&63 == 0 {
			prog.set(i)
		}
	}
	prog.set(n)
	return nil
}

// measureLat makes n round trips as remote_lat does, keeping each one's
// time for the percentiles.
func measureLat(ctx context.Context, s *core.Socket, size, n int, r *benchResult, prog *progress) error {
	req := core.NewMsg(make([]byte, size))
	var reply core.Msg
	rtts := make([]time.Duration, n)
	start := time.Now()
	last := start
	for i := 0; i < n; i++ {
		if err := s.Send(ctx, req); err != nil {
			return err
		}
		if err := s.RecvMsg(ctx, &reply); err != nil {
			return err
		}
		if len(reply.Frames) != 1 || len(reply.Frames[0]) != size {
			return fmt.Errorf("message of incorrect size received")
		}
		now := time.Now()
		rtts[i] = now.Sub(last)
		last = now
		if i&63 == 0 {
			prog.set(i)
		}
	}
	prog.set(n)
	elapsed := time.Since(start).Microseconds()
	r.Roundtrips = n
	r.LatencyUS = float64(elapsed) / float64(2*n)
	sort.Slice(rtts, func(i, j int) bool { return rtts[i] < rtts[j] })
	half := func(d time.Duration) float64 { return math.Round(float64(d)/2/1e3*1000) / 1000 }
	r.P50US = half(rtts[n/2])
	r.P99US = half(rtts[min(n-1, n*99/100)])
	r.MaxUS = half(rtts[n-1])
	return nil
}

func (b *benchCfg) print(e *env, rep *benchReport) error {
	if b.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	curve := "off"
	if rep.Curve {
		curve = "on"
	}
	fmt.Fprintf(e.stdout, "zmqkit bench: %s, CURVE %s\n", rep.Endpoint, curve)
	if rep.Role == "remote" && rep.Test == "thr" {
		r := rep.Results[0]
		fmt.Fprintf(e.stdout, "sent %d messages of %d B in %.3f s (%s msg/s as the sender saw it; the receiver's figure is the one that counts)\n",
			r.SentCount, r.Size, float64(r.ElapsedUS)/1e6, thousands(r.MsgsPerSec))
		return nil
	}
	if rep.Role == "local" && rep.Test == "lat" {
		fmt.Fprintf(e.stdout, "echoed %d round trips of %d B (the connecting end measures)\n", rep.Results[0].Roundtrips, rep.Results[0].Size)
		return nil
	}
	fmt.Fprintf(e.stdout, "%9s", "size")
	if rep.Test != "lat" {
		fmt.Fprintf(e.stdout, " %10s %14s %10s %11s", "messages", "msg/s", "MB/s", "Mb/s")
	}
	if rep.Test != "thr" {
		fmt.Fprintf(e.stdout, " %10s %9s %9s %9s %9s", "roundtrips", "lat µs", "p50 µs", "p99 µs", "max µs")
	}
	fmt.Fprintln(e.stdout)
	for _, r := range rep.Results {
		fmt.Fprintf(e.stdout, "%9s", sizeText(r.Size))
		if rep.Test != "lat" {
			fmt.Fprintf(e.stdout, " %10d %14s %10.1f %11.3f", r.Count, thousands(r.MsgsPerSec), r.MsgsPerSec*float64(r.Size)/1e6, r.MbitsPerSec)
		}
		if rep.Test != "thr" {
			fmt.Fprintf(e.stdout, " %10d %9.3f %9.3f %9.3f %9.3f", r.Roundtrips, r.LatencyUS, r.P50US, r.P99US, r.MaxUS)
		}
		fmt.Fprintln(e.stdout)
	}
	return nil
}

func sizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// thousands formats an integer part with thousands separators.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// progress draws a progress bar on a terminal and feeds the watchdog.
type progress struct {
	e     *env
	on    bool
	done  atomic.Int64
	total atomic.Int64
	moved atomic.Int64 // increases with every update, for the watchdog

	mu     sync.Mutex
	label  string
	t0     time.Time
	stop   chan struct{}
	drawer sync.WaitGroup
}

func (p *progress) start(label string, total int) {
	p.clear()
	p.mu.Lock()
	p.label, p.t0 = label, time.Now()
	p.mu.Unlock()
	p.done.Store(0)
	p.total.Store(int64(total))
	if !p.on {
		return
	}
	p.stop = make(chan struct{})
	p.drawer.Add(1)
	go func() {
		defer p.drawer.Done()
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tk.C:
				p.draw()
			}
		}
	}()
}

func (p *progress) set(n int) {
	if p == nil {
		return
	}
	p.done.Store(int64(n))
	p.moved.Add(1)
}

func (p *progress) draw() {
	p.mu.Lock()
	label, t0 := p.label, p.t0
	p.mu.Unlock()
	done, total := p.done.Load(), max(p.total.Load(), 1)
	const width = 30
	fill := int(done * width / total)
	rate := float64(done) / max(time.Since(t0).Seconds(), 1e-9)
	fmt.Fprintf(p.e.stderr, "\r%-10s [%s%s] %3d%% %s/s ", label, strings.Repeat("#", fill), strings.Repeat(".", width-fill), done*100/total, thousands(rate))
}

func (p *progress) clear() {
	if p.stop != nil {
		close(p.stop)
		p.drawer.Wait()
		p.stop = nil
		fmt.Fprintf(p.e.stderr, "\r%s\r", strings.Repeat(" ", 79))
	}
}

// watchdog cancels the run when no message moved for d.
func (p *progress) watchdog(ctx context.Context, cancel context.CancelCauseFunc, d time.Duration) {
	last := p.moved.Load()
	tk := time.NewTicker(d)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			now := p.moved.Load()
			if now == last {
				cancel(fmt.Errorf("timed out: no message moved for %v", d))
				return
			}
			last = now
		}
	}
}
