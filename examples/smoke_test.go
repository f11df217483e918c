//go:build unix

// Package examples_test runs every program under examples/ as a smoke
// test: each is built, started as a user would start it, driven where it
// waits for a client, and must print what its documentation promises and
// exit 0 within a generous timeout. A new example directory fails
// TestEveryExampleIsSmokeTested until it has a row in smokeTests.
package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	_ "github.com/zmqkit/zmqkit/plugins/ipc"
)

// smokeTimeout bounds one example's run; generous, for a loaded machine.
const smokeTimeout = 2 * time.Minute

// A smokeTest starts one example. With drive nil the program must finish
// by itself; otherwise drive talks to the running program (its stdout is
// readable line by line) and returns when the program may be stopped with
// SIGINT.
type smokeTest struct {
	args  func(dir string) []string
	want  []string // substrings of the program's output
	drive func(t *testing.T, dir string, p *program)
}

var smokeTests = map[string]smokeTest{
	"customtransport": {want: []string{"compiled in: pong to ping", "out of process (plugin pid"}},
	"monitor":         {want: []string{"LISTENING", "HANDSHAKE_SUCCEEDED", "CLOSED"}},
	"monitor_dealer":  {want: []string{"CONNECTED", "HANDSHAKE_SUCCEEDED"}},
	"patterns":        {want: []string{"== REQ/REP over tcp", `request "hello" -> reply "HELLO"`}},
	"peer":            {want: []string{`server001 got "HELLO"`, `peer got "WORLD"`, "host unreachable = true"}},
	// pgm's demo builds two network namespaces (root, as in CI)
	"pgm": {args: func(string) []string { return []string{"-demo", "-n", "3"} },
		want: []string{"alice: stocks update 2", "bob: weather update 2"}},
	"pipeline": {want: []string{"ventilator: sent 30 tasks", "sink: 30 results"}},
	"pubsub":   {want: []string{"stocks.ACME", "weather."}},
	"reqrep":   {want: []string{"server bound to tcp://", "request 5: hello -> world #5"}},
	// wsbrowser serves a page until Ctrl-C: fetch the page, then stop it.
	// (The page itself runs in headless Chromium in its own test.)
	"wsbrowser": {
		args: func(string) []string { return []string{"-http", "127.0.0.1:0"} },
		want: []string{"open http://127.0.0.1:"},
		drive: func(t *testing.T, _ string, p *program) {
			line := p.waitLine(t, regexp.MustCompile(`^open (http://\S+)`))
			url := regexp.MustCompile(`^open (http://\S+)`).FindStringSubmatch(line)[1]
			resp, err := http.Get(url)
			if err != nil {
				t.Fatalf("GET %s: %v", url, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("<html")) {
				t.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
			}
		},
	},
	// vmhost needs vsock, which this machine lacks: the agent runs in its
	// Firecracker hybrid-vsock mode (-hybrid PATH, Unix sockets on the
	// host side), and the test plays the Firecracker device delivering a
	// guest's connection to host port 5000: a CURVE DEALER connected to
	// the Unix socket PATH_5000, as the guest's traffic arrives there.
	"vmhost": {
		args: func(dir string) []string {
			return []string{"-agent", "-hybrid", filepath.Join(dir, "fc.sock"), "-bind", "vsock://*:5000"}
		},
		want: []string{"agent: bound vsock://*:5000", "agent: event LISTENING", "report 0"},
		drive: func(t *testing.T, dir string, p *program) {
			re := regexp.MustCompile(`^agent public key: (\S{40})$`)
			key := re.FindStringSubmatch(p.waitLine(t, re))[1]
			p.waitLine(t, regexp.MustCompile(`^agent: event LISTENING`))
			server, err := curve.ParseKey([]byte(key))
			if err != nil {
				t.Fatalf("agent key %q: %v", key, err)
			}
			keys, err := curve.NewKeyPair()
			if err != nil {
				t.Fatal(err)
			}
			zctx := core.NewContext()
			defer zctx.Term()
			d, err := zctx.NewSocket(core.DEALER, core.WithLinger(0),
				core.WithMechanism(curve.ClientKeys(server, keys)))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if err := d.Connect("ipc://" + filepath.Join(dir, "fc.sock_5000")); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), smokeTimeout)
			defer cancel()
			if err := d.SendString(ctx, "report 0"); err != nil {
				t.Fatal(err)
			}
			m, err := d.Recv(ctx)
			if err != nil {
				t.Fatalf("waiting for the agent's ack: %v", err)
			}
			if got := string(m.Frames[0]); got != "ack report 0" {
				t.Fatalf("agent answered %q", got)
			}
		},
	},
}

// Every directory under examples/ holding a program has a smoke test.
func TestEveryExampleIsSmokeTested(t *testing.T) {
	for _, dir := range exampleDirs(t) {
		if _, ok := smokeTests[dir]; !ok {
			t.Errorf("examples/%s has no row in smokeTests (examples/smoke_test.go)", dir)
		}
	}
	dirs := exampleDirs(t)
	for name := range smokeTests {
		if !slices.Contains(dirs, name) {
			t.Errorf("smokeTests names %s, which is not an example program (%v)", name, dirs)
		}
	}
}

func TestExamplesSmoke(t *testing.T) {
	bin := t.TempDir()
	dirs := exampleDirs(t)
	// one go build links every program, in parallel
	build := exec.Command("go", append([]string{"build", "-o", bin + string(filepath.Separator)}, pkgs(dirs)...)...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of the examples: %v\n%s", err, out)
	}
	for _, name := range dirs {
		st, ok := smokeTests[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			exe := filepath.Join(bin, filepath.Base(name))
			dir, err := os.MkdirTemp("", "zmqkit-smoke-")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir) // short: Unix socket paths have a length limit
			var args []string
			if st.args != nil {
				args = st.args(dir)
			}
			p := start(t, exe, args...)
			if st.drive != nil {
				st.drive(t, dir, p)
				p.cmd.Process.Signal(os.Interrupt)
			}
			out, err := p.wait()
			if err != nil {
				t.Fatalf("examples/%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
			}
			for _, w := range st.want {
				if !strings.Contains(out, w) {
					t.Errorf("examples/%s printed no %q:\n%s", name, w, out)
				}
			}
		})
	}
}

// exampleDirs lists the directories under examples/ (at any depth) that
// hold a program: a non-test Go file of package main, whatever its name.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly)
		if err != nil {
			return err
		}
		if dir := filepath.ToSlash(filepath.Dir(path)); f.Name.Name == "main" && !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 5 {
		t.Fatalf("found only %d example programs: %v", len(dirs), dirs)
	}
	return dirs
}

func pkgs(dirs []string) []string {
	var p []string
	for _, d := range dirs {
		p = append(p, "./"+d)
	}
	return p
}

// program is a started example: its output so far, line by line.
type program struct {
	cmd   *exec.Cmd
	done  chan error
	mu    sync.Mutex
	out   bytes.Buffer
	lines chan string
	timer *time.Timer
}

func start(t *testing.T, exe string, args ...string) *program {
	t.Helper()
	p := &program{cmd: exec.Command(exe, args...), done: make(chan error, 1), lines: make(chan string, 1000)}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &lockedWriter{p}
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// the timeout kills the program's process group (customtransport
	// starts a plugin process)
	p.timer = time.AfterFunc(smokeTimeout, func() { syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) })
	t.Cleanup(func() {
		if p.timer.Stop() {
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		close(p.lines)
		p.done <- p.cmd.Wait()
	}()
	return p
}

// waitLine returns the first line (not yet consumed) matching re.
func (p *program) waitLine(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	for line := range p.lines {
		if re.MatchString(line) {
			return line
		}
	}
	t.Fatalf("the program ended without a line matching %s:\n%s", re, p.output())
	return ""
}

func (p *program) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// wait waits for the program's end and returns its output.
func (p *program) wait() (string, error) {
	go func() {
		for range p.lines { // drain, so the reader never blocks
		}
	}()
	err := <-p.done
	if !p.timer.Stop() {
		err = fmt.Errorf("killed after %v (%v)", smokeTimeout, err)
	}
	return p.output(), err
}

type lockedWriter struct{ p *program }

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.out.Write(b)
}
