package perftool

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
)

// The command lines: -h/--help print the usage and exit 0; anything that
// is not libzmq's argument list prints the usage on stderr and exits 2
// without making a socket (a bad size or count used to read as 0 and wait
// forever).
func TestParse(t *testing.T) {
	for _, tool := range []Tool{LocalThr, RemoteThr, LocalLat, RemoteLat} {
		for _, tc := range []struct {
			args []string
			code int
			ok   bool
		}{
			{[]string{"-h"}, ExitOK, false},
			{[]string{"--help"}, ExitOK, false},
			{[]string{"-help"}, ExitOK, false},
			{nil, ExitUsage, false},
			{[]string{"tcp://127.0.0.1:5555", "64"}, ExitUsage, false},
			{[]string{"tcp://127.0.0.1:5555", "abc", "10"}, ExitUsage, false},
			{[]string{"tcp://127.0.0.1:5555", "64", "x"}, ExitUsage, false},
			{[]string{"tcp://127.0.0.1:5555", "64", "0"}, ExitUsage, false},
			{[]string{"tcp://127.0.0.1:5555", "-1", "10"}, ExitUsage, false},
			{[]string{"127.0.0.1:5555", "64", "10"}, ExitUsage, false},
			{[]string{"-x", "tcp://127.0.0.1:5555", "64", "10"}, ExitUsage, false},
			{[]string{"tcp://127.0.0.1:5555", "64", "10", "1", "2"}, ExitUsage, false},
			{[]string{"tcp://127.0.0.1:5555", "64", "10", "yes"}, ExitUsage, false},
			{[]string{"tcp://127.0.0.1:5555", "0", "10"}, ExitOK, true},
		} {
			var out, errOut bytes.Buffer
			p, code, ok := tool.Parse(tc.args, &out, &errOut)
			if code != tc.code || ok != tc.ok {
				t.Errorf("%s %q: code %d ok %v, want %d %v (stderr %q)", tool.Name, tc.args, code, ok, tc.code, tc.ok, errOut.String())
				continue
			}
			usage := "usage: " + tool.Name + " <"
			switch {
			case tc.ok:
				if p.Endpoint != tc.args[0] || p.Count != 10 {
					t.Errorf("%s %q: %+v", tool.Name, tc.args, p)
				}
			case tc.code == ExitOK:
				if !strings.HasPrefix(out.String(), usage) || errOut.Len() != 0 {
					t.Errorf("%s %q: stdout %q stderr %q, want the usage on stdout", tool.Name, tc.args, out.String(), errOut.String())
				}
			default:
				if !strings.Contains(errOut.String(), usage) || out.Len() != 0 {
					t.Errorf("%s %q: stdout %q stderr %q, want the usage on stderr", tool.Name, tc.args, out.String(), errOut.String())
				}
			}
		}
	}
	var v bytes.Buffer
	if _, code, ok := RemoteLat.Parse([]string{"--version"}, &v, &bytes.Buffer{}); ok || code != ExitOK || strings.TrimSpace(v.String()) != core.VersionString() {
		t.Fatalf("--version: code %d, %q", code, v.String())
	}
	p, _, ok := LocalThr.Parse([]string{"ipc:///tmp/x", "8", "3", "1"}, &bytes.Buffer{}, &bytes.Buffer{})
	if !ok || !p.Curve || p.Size != 8 || p.Count != 3 {
		t.Fatalf("local_thr with curve: %+v %v", p, ok)
	}
	if _, code, ok := LocalLat.Parse([]string{"ipc:///tmp/x", "8", "3", "1"}, &bytes.Buffer{}, &bytes.Buffer{}); ok || code != ExitUsage {
		t.Fatalf("local_lat takes no <enable_curve>: code %d", code)
	}
}

// freeEndpoint returns a tcp endpoint nobody listens on.
func freeEndpoint(t *testing.T) string {
	zc := core.NewContext()
	defer zc.Term()
	s, err := zc.NewSocket(core.PULL, core.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	return s.LastEndpoint()
}

// remote_thr started before local_thr delivers every message: its close
// waits (default linger) for the receiver to appear. The same for the
// latency pair started in the "wrong" order.
func TestSenderFirst(t *testing.T) {
	for _, pair := range []struct{ first, second Tool }{{RemoteThr, LocalThr}, {RemoteLat, LocalLat}} {
		ep := freeEndpoint(t)
		args := []string{ep, "100", "500"}
		firstDone := make(chan int, 1)
		var firstOut bytes.Buffer
		go func() { firstDone <- pair.first.Main(args, &firstOut, &firstOut) }()
		time.Sleep(500 * time.Millisecond)
		select {
		case code := <-firstDone:
			t.Fatalf("%s exited (%d) before %s started: %s", pair.first.Name, code, pair.second.Name, firstOut.String())
		default:
		}
		var out bytes.Buffer
		if code := pair.second.Main(args, &out, &out); code != ExitOK {
			t.Fatalf("%s: exit %d: %s", pair.second.Name, code, out.String())
		}
		select {
		case code := <-firstDone:
			if code != ExitOK {
				t.Fatalf("%s: exit %d: %s", pair.first.Name, code, firstOut.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not exit", pair.first.Name)
		}
		if pair.second.Name == "local_thr" && !strings.Contains(out.String(), "message count: 500") {
			t.Fatalf("local_thr printed %q", out.String())
		}
		if pair.first.Name == "remote_lat" && !strings.Contains(firstOut.String(), "roundtrip count: 500") {
			t.Fatalf("remote_lat printed %q", firstOut.String())
		}
	}
}

// A message of the wrong size ends local_thr with libzmq's line and 255.
func TestWrongSize(t *testing.T) {
	ep := freeEndpoint(t)
	done := make(chan int, 1)
	go func() { done <- RemoteThr.Main([]string{ep, "10", "5"}, &bytes.Buffer{}, &bytes.Buffer{}) }()
	var out bytes.Buffer
	if code := LocalThr.Main([]string{ep, "20", "5"}, &out, &out); code != ExitFail {
		t.Fatalf("exit %d, want %d", code, ExitFail)
	}
	if !strings.Contains(out.String(), "message of incorrect size received") {
		t.Fatalf("output %q", out.String())
	}
	<-done
	var bad bytes.Buffer
	if code := LocalThr.Main([]string{"nosuch://x", "1", "1"}, &bad, &bad); code != ExitFail || !strings.HasPrefix(bad.String(), "error in zmq_bind: ") {
		t.Fatalf("bad transport: exit %d, %q", code, bad.String())
	}
}

// The tools' CURVE keys pair up: a CurveClient socket talks to a
// CurveServer socket, and a NULL client can not.
func TestCurveKeysPairUp(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	pull, err := zc.NewSocket(core.PULL, append(CurveServer(true), core.WithLinger(0))...)
	if err != nil {
		t.Fatal(err)
	}
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	push, err := zc.NewSocket(core.PUSH, append(CurveClient(true), core.WithLinger(0))...)
	if err != nil {
		t.Fatal(err)
	}
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := push.SendString(c, "x"); err != nil {
		t.Fatal(err)
	}
	m, err := pull.Recv(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Frames[0]) != "x" {
		t.Fatalf("got %q", m.Frames)
	}
	plain, err := zc.NewSocket(core.PUSH, core.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	plain.SendString(c, "y")
	short, stop := context.WithTimeout(c, 300*time.Millisecond)
	defer stop()
	if m, err := pull.Recv(short); err == nil {
		t.Fatalf("a NULL client got %q through to a CURVE server", m.Frames)
	}
	if CurveServer(false) != nil || CurveClient(false) != nil {
		t.Fatal("helpers without CURVE")
	}
}
