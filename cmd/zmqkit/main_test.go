package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/internal/freeport"
)

// The end-to-end tests run the zmqkit binary, built once here with
// CGO_ENABLED=0 as users get it, against itself and against pyzmq
// (Debian's python3-zmq, i.e. libzmq; scripts/prereq/30-cli.sh installs
// it). With CI=true a missing pyzmq fails the tests instead of skipping
// them.

var (
	zkBin   string // the built binary
	pyBin   string // a python3 that imports zmq, or ""
	tmpRoot string
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "zmqkit-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	tmpRoot = dir
	zkBin = filepath.Join(dir, "zmqkit")
	build := exec.Command("go", "build", "-o", zkBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building zmqkit: %v\n%s", err, out)
		return 1
	}
	// libzmq's perf tools' ports, for bench's agreement with them.
	for _, tool := range []string{"local_thr", "remote_thr", "zmqkit-plugin-tcp"} {
		b := exec.Command("go", "build", "-o", filepath.Join(dir, tool), "../"+tool)
		b.Env = build.Env
		if out, err := b.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", tool, err, out)
			return 1
		}
	}
	pyBin = findPython()
	return m.Run()
}

func findPython() string {
	cands := []string{os.Getenv("ZMQKIT_PYTHON"), "/usr/bin/python3", "python3"}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if exec.Command(c, "-c", "import zmq, zmq.auth.thread").Run() == nil {
			return c
		}
	}
	return ""
}

// needPython skips (or, with CI=true, fails) tests that need pyzmq.
func needPython(t *testing.T) {
	t.Helper()
	if pyBin != "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("pyzmq (python3-zmq) is missing; scripts/prereq/30-cli.sh installs it")
	}
	t.Skip("pyzmq (python3-zmq) not installed")
}

// syncBuffer is a bytes.Buffer safe for a process to write while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{}
	code   atomic.Int32
	stdin  *os.File // write end when the stdin is a pipe
}

// start runs name args with stdin as input ("" for an empty stdin; use
// startPipe to write later).
func start(t *testing.T, stdin string, name string, args ...string) *proc {
	t.Helper()
	p := newProc(t, name, args...)
	p.cmd.Stdin = strings.NewReader(stdin)
	p.run()
	return p
}

// startPipe runs name args with a stdin pipe that the test writes to.
func startPipe(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := newProc(t, name, args...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdin = r
	p.stdin = w
	p.run()
	r.Close()
	return p
}

func newProc(t *testing.T, name string, args ...string) *proc {
	bin := name
	switch name {
	case "zmqkit":
		bin = zkBin
	case "local_thr", "remote_thr", "zmqkit-plugin-tcp":
		bin = filepath.Join(tmpRoot, name)
	case "python":
		needPython(t)
		bin = pyBin
		args = append([]string{filepath.Join("testdata", "peer.py")}, args...)
	}
	p := &proc{t: t, name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	return p
}

func (p *proc) run() {
	t := p.t
	t.Helper()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		p.code.Store(int32(code))
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
			t.Logf("%s killed at the end of the test; stdout:\n%s\nstderr:\n%s", p.name, p.stdout.String(), p.stderr.String())
		}
		if p.stdin != nil {
			p.stdin.Close()
		}
	})
}

// wait waits for the process to end and returns its exit status.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return int(p.code.Load())
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("%s %q did not end within %v; stdout:\n%s\nstderr:\n%s", p.name, p.cmd.Args, timeout, p.stdout.String(), p.stderr.String())
		return -1
	}
}

// expect waits for the end and checks the exit status.
func (p *proc) expect(code int, timeout time.Duration) {
	p.t.Helper()
	if got := p.wait(timeout); got != code {
		p.t.Fatalf("%s %q exited %d, want %d; stdout:\n%s\nstderr:\n%s", p.name, p.cmd.Args[1:], got, code, p.stdout.String(), p.stderr.String())
	}
}

// waitOut waits until stdout contains s.
func (p *proc) waitOut(s string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.stdout.String(), s) {
		select {
		case <-p.done:
			if strings.Contains(p.stdout.String(), s) {
				return
			}
			p.t.Fatalf("%s ended (status %d) before printing %q; stdout:\n%s\nstderr:\n%s", p.name, p.code.Load(), s, p.stdout.String(), p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not print %q within %v; stdout:\n%s\nstderr:\n%s", p.name, s, timeout, p.stdout.String(), p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// signal sends sig. The process must be past its signal.Notify: before
// it, SIGINT kills a Go program (status -1), so tests wait for a sign of
// life first (a bind, a connection).
func (p *proc) signal(sig os.Signal) {
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// zk runs zmqkit to its end and returns its outputs and status.
func zk(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	p := start(t, stdin, "zmqkit", args...)
	code = p.wait(20 * time.Second)
	return p.stdout.String(), p.stderr.String(), code
}

// tcpEP returns a tcp endpoint on a free loopback port (freeport: not
// one an outgoing connection may take before the peer binds it).
func tcpEP(t *testing.T) string {
	t.Helper()
	return "tcp://" + freeport.MustTCP(t)
}

// ipcEP returns an ipc endpoint in the test's temporary directory.
func ipcEP(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp(tmpRoot, "ipc")
	if err != nil {
		t.Fatal(err)
	}
	return "ipc://" + filepath.Join(d, "s")
}

// waitPort waits until something listens on a tcp endpoint.
func waitPort(t *testing.T, ep string) {
	t.Helper()
	addr := strings.TrimPrefix(ep, "tcp://")
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", ep, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitIPC waits until an ipc endpoint's socket file exists.
func waitIPC(t *testing.T, ep string) {
	t.Helper()
	path := strings.TrimPrefix(ep, "ipc://")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitBound(t *testing.T, ep string) {
	t.Helper()
	if strings.HasPrefix(ep, "tcp://") {
		waitPort(t, ep)
	} else {
		waitIPC(t, ep)
	}
}

// runInProcess runs the command line in this process (for the fast
// usage checks).
func runInProcess(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := &env{ctx: ctx, stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, interrupted: new(atomic.Bool)}
	code = run(e, args)
	return out.String(), errb.String(), code
}

var _ = syscall.SIGINT
