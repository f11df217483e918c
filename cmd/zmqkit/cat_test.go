package main

import (
	"encoding/json"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

const procTimeout = 15 * time.Second

func TestCatPushPull(t *testing.T) {
	t.Parallel()
	ep := ipcEP(t)
	pull := start(t, "", "zmqkit", "cat", "pull", "-b", ep, "-n", "3")
	waitBound(t, ep)
	push := start(t, "one\ntwo\nthree\n", "zmqkit", "cat", "push", "-c", ep)
	push.expect(0, procTimeout)
	pull.expect(0, procTimeout)
	if got := pull.stdout.String(); got != "one\ntwo\nthree\n" {
		t.Errorf("pull printed %q", got)
	}
}

func TestCatWebSocket(t *testing.T) {
	t.Parallel()
	ep := tcpEP(t)
	ws := "ws://" + strings.TrimPrefix(ep, "tcp://") + "/zmq"
	rep := start(t, "", "zmqkit", "cat", "rep", "-b", ws, "--echo", "-n", "1")
	waitPort(t, ep)
	req := start(t, "over ws\n", "zmqkit", "cat", "req", "-c", ws, "-t", "5s")
	req.expect(0, procTimeout)
	rep.expect(0, procTimeout)
	if req.stdout.String() != "over ws\n" {
		t.Errorf("req got %q", req.stdout.String())
	}
}

func TestCatFormats(t *testing.T) {
	t.Parallel()
	ep := tcpEP(t)
	// JSON lines out, multipart in with a delimiter, binary frames in hex.
	pull := start(t, "", "zmqkit", "cat", "pull", "-b", ep, "-n", "3", "--out", "json")
	waitBound(t, ep)
	push := start(t, "a|b|\n", "zmqkit", "cat", "push", "-c", ep, "--delim", "|")
	push.expect(0, procTimeout)
	push = start(t, "00ff 41\n", "zmqkit", "cat", "push", "-c", ep, "--in", "hex")
	push.expect(0, procTimeout)
	push = start(t, `{"frames":["x",{"base64":"AAE="}]}`+"\n", "zmqkit", "cat", "push", "-c", ep, "--in", "json")
	push.expect(0, procTimeout)
	pull.expect(0, procTimeout)
	lines := strings.Split(strings.TrimSpace(pull.stdout.String()), "\n")
	want := []string{`["a","b",""]`, `[{"hex":"00ff"},"A"]`, `["x","\u0000\u0001"]`}
	if len(lines) != 3 {
		t.Fatalf("got %q", pull.stdout.String())
	}
	for i, l := range lines {
		var jm struct {
			Frames json.RawMessage   `json:"frames"`
			Meta   map[string]string `json:"meta"`
		}
		if err := json.Unmarshal([]byte(l), &jm); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if string(jm.Frames) != want[i] {
			t.Errorf("frames %s, want %s", jm.Frames, want[i])
		}
		if jm.Meta["Socket-Type"] != "PUSH" || jm.Meta["Peer-Address"] != "127.0.0.1" {
			t.Errorf("meta %v", jm.Meta)
		}
	}
	// JSON round trip: what --out json prints, --in json sends back.
	ep2 := ipcEP(t)
	pull2 := start(t, "", "zmqkit", "cat", "pull", "-b", ep2, "-n", "3", "--out", "hex")
	waitBound(t, ep2)
	push = start(t, pull.stdout.String(), "zmqkit", "cat", "push", "-c", ep2, "--in", "json")
	push.expect(0, procTimeout)
	pull2.expect(0, procTimeout)
	if got := pull2.stdout.String(); got != "61 62 \n00ff 41\n78 0001\n" {
		t.Errorf("round trip gave %q", got)
	}
}

func TestCatReqRepRouterDealer(t *testing.T) {
	t.Parallel()
	ep := ipcEP(t)
	rep := start(t, "", "zmqkit", "cat", "rep", "-b", ep, "--echo", "-n", "2")
	waitBound(t, ep)
	req := start(t, "ping\npong\n", "zmqkit", "cat", "req", "-c", ep)
	req.expect(0, procTimeout)
	rep.expect(0, procTimeout)
	if req.stdout.String() != "ping\npong\n" || rep.stdout.String() != "ping\npong\n" {
		t.Errorf("req printed %q, rep %q", req.stdout.String(), rep.stdout.String())
	}

	// ROUTER sees the DEALER's routing id and answers it by that id.
	ep = tcpEP(t)
	router := startPipe(t, "zmqkit", "cat", "router", "-b", ep, "--delim", "|")
	waitBound(t, ep)
	dealer := start(t, "hello\n", "zmqkit", "cat", "dealer", "-c", ep, "--identity", "d1", "-n", "1", "--out", "json")
	router.waitOut("d1|hello\n", procTimeout)
	router.stdin.WriteString("d1|world\n")
	dealer.expect(0, procTimeout)
	router.signal(syscall.SIGINT)
	router.expect(0, procTimeout)
	if !strings.Contains(dealer.stdout.String(), `"frames":["world"]`) {
		t.Errorf("dealer got %q", dealer.stdout.String())
	}
}

func TestCatPubSub(t *testing.T) {
	t.Parallel()
	ep := tcpEP(t)
	sub := start(t, "", "zmqkit", "cat", "sub", "-b", ep, "--subscribe", "w.", "-n", "2")
	waitBound(t, ep)
	pub := start(t, "x.skip\nw.one\nz.skip\nw.two\n", "zmqkit", "cat", "pub", "-c", ep, "--delay", "1s")
	pub.expect(0, procTimeout)
	sub.expect(0, procTimeout)
	if got := sub.stdout.String(); got != "w.one\nw.two\n" {
		t.Errorf("sub printed %q", got)
	}
}

func TestCatCurveAndPlain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := dir + "/srv"
	cli := dir + "/cli"
	for _, c := range []string{srv, cli} {
		if _, _, code := zk(t, "", "keygen", "--cert", c); code != 0 {
			t.Fatal("keygen")
		}
	}
	// Server with an allow list holding the client's certificate; client
	// with its secret certificate and the server's public one.
	ep := ipcEP(t)
	pull := start(t, "", "zmqkit", "cat", "pull", "-b", ep, "--curve-secret", srv+"_secret", "--curve-allow", cli, "-n", "1", "--out", "json")
	waitBound(t, ep)
	push := start(t, "secret\n", "zmqkit", "cat", "push", "-c", ep, "--curve-serverkey", srv, "--curve-secret", cli+"_secret")
	push.expect(0, procTimeout)
	pull.expect(0, procTimeout)
	pubKey, _, _ := zk(t, "", "keygen", "--public", cli+"_secret", "--format", "json")
	var kp map[string]string
	json.Unmarshal([]byte(pubKey), &kp)
	if !strings.Contains(pull.stdout.String(), `"User-Id":"`+kp["public"]+`"`) {
		t.Errorf("pull got %q, want User-Id %s", pull.stdout.String(), kp["public"])
	}

	// A client with another key is refused by the allow list, and the
	// client cannot deliver: both say why and exit 1.
	ep = ipcEP(t)
	pull = start(t, "", "zmqkit", "cat", "pull", "-b", ep, "--curve-secret", srv+"_secret", "--curve-allow", cli, "-n", "1", "-t", "8s")
	waitBound(t, ep)
	push = start(t, "secret\n", "zmqkit", "cat", "push", "-c", ep, "--curve-serverkey", srv, "-t", "1500ms")
	push.expect(1, procTimeout)
	pull.expect(1, procTimeout)
	if !strings.Contains(push.stderr.String(), "delivered") {
		t.Errorf("push stderr %q", push.stderr.String())
	}
	if !strings.Contains(pull.stderr.String(), "HANDSHAKE_FAILED_AUTH") || !strings.Contains(pull.stderr.String(), "timed out") {
		t.Errorf("pull stderr %q", pull.stderr.String())
	}

	// A wrong server key: the server cannot open the HELLO.
	ep = ipcEP(t)
	pull = start(t, "", "zmqkit", "cat", "pull", "-b", ep, "--curve-secret", srv+"_secret", "-n", "1", "-t", "8s")
	waitBound(t, ep)
	push = start(t, "secret\n", "zmqkit", "cat", "push", "-c", ep, "--curve-serverkey", cli, "-t", "1500ms")
	push.expect(1, procTimeout)
	pull.expect(1, procTimeout)
	if !strings.Contains(pull.stderr.String(), "ZMTP_CRYPTOGRAPHIC") {
		t.Errorf("pull stderr %q", pull.stderr.String())
	}

	// PLAIN from the environment; a wrong password is refused.
	ep = ipcEP(t)
	rep := start(t, "", "zmqkit", "cat", "rep", "-b", ep, "--plain-allow", "admin:secret", "--echo", "-n", "1", "--out", "json")
	waitBound(t, ep)
	req := newProc(t, "zmqkit", "cat", "req", "-c", ep, "-t", "5s")
	req.cmd.Env = append(os.Environ(), "ZMQKIT_PLAIN_USERNAME=admin", "ZMQKIT_PLAIN_PASSWORD=secret")
	req.cmd.Stdin = strings.NewReader("hi\n")
	req.run()
	req.expect(0, procTimeout)
	rep.expect(0, procTimeout)
	if !strings.Contains(rep.stdout.String(), `"User-Id":"admin"`) || req.stdout.String() != "hi\n" {
		t.Errorf("rep %q req %q", rep.stdout.String(), req.stdout.String())
	}
	bad := start(t, "hi\n", "zmqkit", "cat", "req", "-c", ep, "-t", "3s", "--plain-user", "admin", "--plain-password", "wrong")
	bad.expect(1, procTimeout)
	if !strings.Contains(bad.stderr.String(), "timed out") {
		t.Errorf("bad password: %q", bad.stderr.String())
	}
}

func TestCatEndpointsAndFailures(t *testing.T) {
	t.Parallel()
	// An address in use is a runtime failure.
	ep := tcpEP(t)
	hold := start(t, "", "zmqkit", "cat", "pull", "-b", ep)
	waitBound(t, ep)
	_, errOut, code := zk(t, "", "cat", "pull", "-b", ep)
	if code != 1 || !strings.Contains(errOut, "address already in use") {
		t.Errorf("bind in use: %d %q", code, errOut)
	}
	hold.signal(syscall.SIGINT)
	hold.expect(0, 2*time.Second)

	// Nothing listening: the receive times out and says so.
	_, errOut, code = zk(t, "", "cat", "req", "-c", ep, "-t", "500ms")
	if code != 0 {
		t.Errorf("req with no input: %d %q", code, errOut)
	}
	_, errOut, code = zk(t, "x\n", "cat", "dealer", "-c", ep, "-t", "700ms")
	if code != 1 || !strings.Contains(errOut, "timed out after 700ms") {
		t.Errorf("no peer: %d %q", code, errOut)
	}
	// An unresolvable host or a bad port is bad usage.
	for _, bad := range []string{"tcp://127.0.0.1:notaport", "tcp://no.such.host.invalid:5555"} {
		_, errOut, code = zk(t, "", "cat", "pull", "-c", bad, "-t", "500ms")
		if code != 2 && code != 1 {
			t.Errorf("%s: %d %q", bad, code, errOut)
		}
		t.Logf("%s: status %d: %s", bad, code, strings.TrimSpace(errOut))
	}
}

func TestCatInterrupt(t *testing.T) {
	t.Parallel()
	// A receiver ends at once on Ctrl-C, status 0.
	ep := ipcEP(t)
	pull := start(t, "", "zmqkit", "cat", "pull", "-b", ep)
	waitBound(t, ep)
	t0 := time.Now()
	pull.signal(syscall.SIGINT)
	pull.expect(0, 2*time.Second)
	checkStopTime(t, "pull", time.Since(t0))
	// A sender whose messages cannot leave (a peer that never does its
	// handshake) ends within a second of Ctrl-C, saying what it could not
	// deliver, with status 1. Its connection shows it runs (past its
	// signal.Notify: a SIGINT before that would kill it).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			t.Cleanup(func() { c.Close() })
			accepted <- c
		}
	}()
	push := startPipe(t, "zmqkit", "cat", "push", "-c", "tcp://"+ln.Addr().String())
	select {
	case <-accepted:
	case <-time.After(procTimeout):
		t.Fatal("push did not connect")
	}
	push.stdin.WriteString("a\nb\n")
	time.Sleep(300 * time.Millisecond) // read and queued
	t0 = time.Now()
	push.signal(syscall.SIGINT)
	push.expect(1, 2*time.Second)
	checkStopTime(t, "push", time.Since(t0))
	if !strings.Contains(push.stderr.String(), "interrupted: 2 message(s) not delivered") {
		t.Errorf("push's stderr does not say what it could not deliver:\n%s", push.stderr.String())
	}
}

// checkStopTime checks how long a process took from Ctrl-C to its end.
// The command bounds it at hardExitAfter (0.9 s); the test allows for a
// loaded CI machine (race detector, parallel packages) reaping it late.
func checkStopTime(t *testing.T, what string, d time.Duration) {
	t.Helper()
	t.Logf("%s stopped %v after Ctrl-C", what, d)
	if d > 1500*time.Millisecond {
		t.Errorf("%s took %v to stop after Ctrl-C", what, d)
	}
}
