package external_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
)

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(b, ')'); i > 0 && i+2 < len(b) {
		return b[i+2] != 'Z'
	}
	return true
}

func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: plugin process %d still there", what, pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitEvent(t *testing.T, ch <-chan core.MonitorEvent, what string) core.MonitorEvent {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(wait):
		t.Fatalf("no %s", what)
		return core.MonitorEvent{}
	}
}

// kill -9 of the plugin mid-stream: the connections end (DISCONNECTED),
// the plugin restarts, the bound endpoint comes back, the socket
// reconnects and messages sent after the restart arrive.
func TestKillMidStream(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /proc")
	}
	reg, p := load(t, "tcp", external.Options{Replace: true, MinBackoff: 50 * time.Millisecond})
	zctx := newCtx(t, reg)
	pull := sock(t, zctx, core.PULL)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ep := pull.LastEndpoint()
	push := sock(t, zctx, core.PUSH, core.WithReconnectInterval(50*time.Millisecond))
	disc, _ := push.WatchEvents(tctx(t), core.EventDisconnected)
	conn, _ := push.WatchEvents(tctx(t), core.EventConnected)
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, conn, "CONNECTED")
	ctx := tctx(t)
	stop := make(chan struct{})
	sent := make(chan int, 1)
	go func() { // keep the stream busy while the plugin dies
		i := 0
		for {
			select {
			case <-stop:
				sent <- i
				return
			default:
			}
			if push.TrySend(core.NewMsgString("before")) == nil {
				i++
			} else {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for i := 0; i < 100; i++ {
		if _, err := pull.Recv(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pid := p.Pid()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, disc, "DISCONNECTED after kill -9")
	close(stop)
	<-sent
	waitGone(t, pid, "after kill -9") // reaped: no zombie
	waitEvent(t, conn, "CONNECTED after the restart")
	if err := push.SendString(ctx, "after"); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := pull.Recv(ctx)
		if err != nil {
			t.Fatalf("no message after the restart: %v", err)
		}
		if string(m.Frames[0]) == "after" {
			break
		}
	}
	if pull.LastEndpoint() != ep {
		t.Errorf("endpoint changed: %s, was %s", pull.LastEndpoint(), ep)
	}
	st := p.Stats()
	if st.Crashes != 1 || st.Starts < 2 || p.Pid() == pid || p.Pid() == 0 {
		t.Errorf("stats %+v, pid %d (was %d)", st, p.Pid(), pid)
	}
}

// A plugin call that never returns times out; a plugin that stops
// answering altogether is killed and restarted.
func TestHungPlugin(t *testing.T) {
	reg, _ := load(t, "hang", external.Options{CallTimeout: 300 * time.Millisecond})
	zctx := newCtx(t, reg)
	s := sock(t, zctx, core.PULL)
	start := time.Now()
	err := s.Bind("hang://x")
	if err == nil || !errors.Is(err, errDeadline) {
		t.Fatalf("Bind on a plugin that never answers: %v", err)
	}
	if d := time.Since(start); d > wait {
		t.Fatalf("Bind took %v", d)
	}

	if runtime.GOOS != "linux" {
		return
	}
	// IdleTimeout -1: a plugin idle for a second (a loaded machine between
	// Load and the SIGSTOP) would stop by itself and Bind would start a
	// fresh one
	reg2, p := load(t, "tcp", external.Options{Replace: true, CallTimeout: 300 * time.Millisecond, MinBackoff: 10 * time.Millisecond, IdleTimeout: -1})
	zctx2 := newCtx(t, reg2)
	pid := p.Pid()
	syscall.Kill(pid, syscall.SIGSTOP)
	s2 := sock(t, zctx2, core.PULL)
	if err := s2.Bind("tcp://127.0.0.1:*"); err == nil {
		t.Fatal("Bind on a stopped plugin succeeded")
	}
	waitGone(t, pid, "a stopped plugin")
	if err := s2.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatalf("Bind after the restart: %v", err)
	}
}

// A Bind made while the plugin process is dying (killed, its end not yet
// seen) binds in the next process instead of failing: nothing was bound
// in the dead one.
func TestBindAsPluginDies(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("kills the plugin process with SIGKILL (Linux)")
	}
	reg, p := load(t, "tcp", external.Options{MinBackoff: time.Millisecond, IdleTimeout: -1})
	zctx := newCtx(t, reg)
	for i := range 5 {
		keep := sock(t, zctx, core.PULL) // keeps a process running
		if err := keep.Bind("tcp://127.0.0.1:*"); err != nil {
			t.Fatalf("round %d: first Bind: %v", i, err)
		}
		pid := p.Pid()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		s := sock(t, zctx, core.PULL)
		if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
			t.Fatalf("round %d: Bind right after kill -9: %v", i, err)
		}
		if p.Pid() == pid {
			t.Fatalf("round %d: bound in the killed process %d", i, pid)
		}
		waitGone(t, pid, "after kill -9")
	}
}

// Binaries that are not zmqkit plugins fail Load at once with an error
// naming them; so do a checksum mismatch and a protocol version mismatch.
func TestLoadErrors(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "garbage-plugin")
	os.WriteFile(garbage, bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 1000), 0o755)
	sum := sha256.Sum256([]byte("not the binary"))
	for _, tc := range []struct {
		name, path, helper string
		opts               external.Options
		want               error
		text               string
	}{
		{"garbage file", garbage, "", external.Options{}, nil, "exec format error"},
		{"missing", "/nonexistent/zmqkit-plugin", "", external.Options{}, nil, "no such file"},
		{"prints garbage", osArgs0(), "garbage", external.Options{}, external.ErrNotPlugin, "this is not a go-plugin handshake line"},
		{"silent", osArgs0(), "silent", external.Options{StartTimeout: 500 * time.Millisecond}, external.ErrNotPlugin, "no handshake within"},
		{"checksum", osArgs0(), "tcp", external.Options{Checksum: sum[:]}, external.ErrChecksum, "SHA-256"},
		{"version", osArgs0(), "version", external.Options{}, external.ErrVersion, "version"},
		{"inproc", osArgs0(), "inproc", external.Options{}, external.ErrNotPlugin, "in-process only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.helper != "" {
				tc.opts.Env = []string{helperEnv + "=" + tc.helper}
			}
			if tc.opts.StartTimeout == 0 {
				// failing at once, not at the end of a start timeout: no
				// timing assumption, the error must not be the timeout's
				tc.opts.StartTimeout = 5 * time.Minute
			}
			p, err := external.Load(registry.New(), tc.path, tc.opts)
			if err == nil {
				p.Close()
				t.Fatal("Load succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not name %s and say %q", err, tc.path, tc.text)
			}
			if tc.name != "silent" && strings.Contains(err.Error(), "no handshake within") {
				t.Errorf("failed by timing out: %v", err)
			}
		})
	}
	// the right checksum loads
	b, _ := os.ReadFile(osArgs0())
	good := sha256.Sum256(b)
	load(t, "tcp", external.Options{Checksum: good[:]})
}

// A plugin binary run by hand explains itself and exits.
func TestRunByHand(t *testing.T) {
	cmd := exec.Command(osArgs0())
	cmd.Env = append(os.Environ(), helperEnv+"=tcp")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is a zmqkit plugin") {
		t.Fatalf("%v: %s", err, out)
	}
}

// The process stops when nothing uses it (last socket closed, context
// terminated) and starts again when needed.
func TestIdleStop(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /proc")
	}
	reg, p := load(t, "tcp", external.Options{Replace: true, IdleTimeout: 100 * time.Millisecond})
	first := p.Pid()
	waitGone(t, first, "idle after Load")
	zctx := core.NewContext(core.WithRegistry(reg))
	s, _ := zctx.NewSocket(core.PULL)
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	second := p.Pid()
	if second == 0 || second == first {
		t.Fatalf("no new process for Bind (pid %d, was %d)", second, first)
	}
	time.Sleep(300 * time.Millisecond)
	if p.Pid() != second || !alive(second) {
		t.Fatal("the process stopped while a socket used it")
	}
	zctx.Term()
	waitGone(t, second, "after the context's Term")
	if p.Stats().Users != 0 {
		t.Errorf("users %d after Term", p.Stats().Users)
	}
}

// The plugin's log lines reach the host's logger, named after the
// plugin.
func TestPluginLogs(t *testing.T) {
	var buf syncBuffer
	log := hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Trace})
	load(t, "log", external.Options{Logger: log, Name: "myplugin"})
	deadline := time.Now().Add(wait)
	for !strings.Contains(buf.String(), "hello from the plugin") {
		if time.Now().After(deadline) {
			t.Fatalf("the plugin's line did not reach the host's logger:\n%s", buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, "hello from the plugin") && (!strings.Contains(line, "myplugin") || !strings.Contains(line, "answer=42")) {
			t.Errorf("line not named after the plugin or without its fields: %s", line)
		}
	}
}

// The plugin dies with its host, even when the host is killed.
func TestDiesWithHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /proc")
	}
	cmd := exec.Command(osArgs0())
	cmd.Env = append(os.Environ(), helperEnv+"=host")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("host: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	if !alive(pid) {
		t.Fatalf("plugin %q not running", line)
	}
	cmd.Process.Kill()
	cmd.Wait()
	waitGone(t, pid, "after its host was killed")
}

// Loading and unloading 100 times leaves goroutines and descriptors as
// they were.
func TestLoadUnloadCycles(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /proc")
	}
	bin := pluginBinary(t, "tcp")
	cycle := func() {
		reg := registry.New()
		p, err := external.Load(reg, bin, external.Options{})
		if err != nil {
			t.Fatal(err)
		}
		tr, _ := reg.Transport("tcp")
		l, err := tr.Listen(tctx(t), "tcp", "127.0.0.1:0", nil)
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		p.Close()
	}
	cycle()
	time.Sleep(100 * time.Millisecond)
	g0, f0 := runtime.NumGoroutine(), countFDs()
	// 100 cycles take about 15 s; under the race detector, which slows
	// every start down, 3 (scripts/test.sh runs the 100 again without
	// it).
	n := 100
	if testing.Short() || raceEnabled {
		n = 3
	}
	for i := 0; i < n; i++ {
		cycle()
	}
	deadline := time.Now().Add(wait)
	for {
		g, f := runtime.NumGoroutine(), countFDs()
		if g <= g0+2 && f <= f0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d cycles: %d goroutines (was %d), %d descriptors (was %d)", n, g, g0, f, f0)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents)
}
