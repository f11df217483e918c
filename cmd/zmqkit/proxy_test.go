package main

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestProxyPyzmqSteerable(t *testing.T) {
	needPython(t)
	t.Parallel()
	front, back, ctl := ipcEP(t), ipcEP(t), ipcEP(t)
	proxy := start(t, "", "zmqkit", "proxy", "router", "dealer", "--frontend-bind", front, "--backend-bind", back, "--control-bind", ctl, "--json")
	waitBound(t, ctl)
	// pyzmq REP worker behind the proxy; zmqkit REQ client in front.
	worker := start(t, "", "python", "rep", "connect", back, "--echo", "2")
	worker.waitOut("READY", procTimeout)
	req := start(t, "one\ntwo\n", "zmqkit", "cat", "req", "-c", front, "-t", "5s")
	req.expect(0, procTimeout)
	worker.expect(0, procTimeout)
	if req.stdout.String() != "one\ntwo\n" {
		t.Errorf("req got %q", req.stdout.String())
	}
	// SIGUSR1 prints the statistics: REQ sends [empty, body], the ROUTER
	// adds the id: 3 frames per request in at the frontend.
	proxy.signal(syscall.SIGUSR1)
	proxy.waitOut(`"frontend"`, procTimeout)
	var r proxyReport
	if err := json.Unmarshal([]byte(firstLine(proxy.stdout.String())), &r); err != nil {
		t.Fatalf("stats %q: %v", proxy.stdout.String(), err)
	}
	if r.Frontend.RecvMsgs != 6 || r.Backend.SentMsgs != 6 || r.Backend.RecvMsgs != 6 || r.Frontend.SentMsgs != 6 || r.Frontend.RecvBytes != 3+3+2*5 {
		t.Errorf("stats %+v", r)
	}
	// STATISTICS and TERMINATE on the control socket.
	out, _, code := zk(t, "STATISTICS\n", "cat", "req", "-c", ctl, "--out", "hex", "-t", "5s")
	if code != 0 || len(strings.Fields(out)) != 8 || !strings.HasPrefix(out, "0600000000000000 ") {
		t.Errorf("STATISTICS: %d %q", code, out)
	}
	out, _, code = zk(t, "PAUSE\n", "cat", "req", "-c", ctl, "--out", "hex", "-t", "5s")
	if code != 0 || out != "\n" {
		t.Errorf("PAUSE: %d %q", code, out)
	}
	zk(t, "TERMINATE\n", "cat", "req", "-c", ctl, "-t", "5s")
	proxy.expect(0, procTimeout)
	if !strings.Contains(proxy.stderr.String(), "TERMINATE") || strings.Count(proxy.stdout.String(), `"frontend"`) != 2 {
		t.Errorf("proxy stdout %q stderr %q", proxy.stdout.String(), proxy.stderr.String())
	}
}

func TestProxyWorkerComesAndGoes(t *testing.T) {
	needPython(t)
	t.Parallel()
	front, back := tcpEP(t), ipcEP(t)
	proxy := start(t, "", "zmqkit", "proxy", "pull", "push", "--frontend-bind", front, "--backend-bind", back)
	waitBound(t, back)
	// A worker takes one message and disappears; the next one gets the
	// rest. The pyzmq sender never notices.
	w1 := start(t, "", "zmqkit", "cat", "pull", "-c", back, "-n", "1")
	src := startPipe(t, "zmqkit", "cat", "push", "-c", front)
	src.stdin.WriteString("m1\n")
	w1.expect(0, procTimeout)
	if w1.stdout.String() != "m1\n" {
		t.Errorf("first worker got %q", w1.stdout.String())
	}
	py := start(t, "", "python", "push", "connect", front, "--send", "m2", "--send", "m3")
	w2 := start(t, "", "zmqkit", "cat", "pull", "-c", back, "-n", "2", "-t", "5s")
	w2.expect(0, procTimeout)
	py.expect(0, procTimeout)
	if w2.stdout.String() != "m2\nm3\n" {
		t.Errorf("second worker got %q", w2.stdout.String())
	}
	src.stdin.Close()
	src.expect(0, procTimeout)
	// Ctrl-C: statistics, then the end within a second.
	t0 := time.Now()
	proxy.signal(syscall.SIGINT)
	proxy.expect(0, procTimeout)
	checkStopTime(t, "proxy", time.Since(t0))
	if !strings.Contains(proxy.stdout.String(), "frontend") || !strings.Contains(proxy.stdout.String(), "frames in") {
		t.Errorf("no statistics at the end: %q", proxy.stdout.String())
	}
}

func TestProxyCurveFrontend(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	zk(t, "", "keygen", "--cert", dir+"/srv")
	zk(t, "", "keygen", "--cert", dir+"/other")
	front, back := ipcEP(t), ipcEP(t)
	proxy := start(t, "", "zmqkit", "proxy", "xsub", "xpub", "--frontend-bind", front, "--frontend-curve-secret", dir+"/srv_secret", "--backend-bind", back)
	waitBound(t, back)
	sub := start(t, "", "zmqkit", "cat", "sub", "-c", back, "-n", "1", "-t", "5s")
	// A publisher with the wrong server key is refused (the proxy says
	// so); one with the right key gets through.
	bad := start(t, "x\n", "zmqkit", "cat", "pub", "-c", front, "--curve-serverkey", dir+"/other", "--delay", "300ms", "-t", "3s")
	bad.expect(1, procTimeout)
	good := start(t, "news\n", "zmqkit", "cat", "pub", "-c", front, "--curve-serverkey", dir+"/srv", "--delay", "1500ms")
	good.expect(0, procTimeout)
	sub.expect(0, procTimeout)
	if sub.stdout.String() != "news\n" {
		t.Errorf("sub got %q", sub.stdout.String())
	}
	proxy.signal(syscall.SIGINT)
	proxy.expect(0, procTimeout)
	if !strings.Contains(proxy.stderr.String(), "ZMTP_CRYPTOGRAPHIC") {
		t.Errorf("proxy stderr %q", proxy.stderr.String())
	}
	// Bad usage.
	for _, args := range [][]string{{"proxy", "router"}, {"proxy", "router", "dealer", "--backend-bind", back}, {"proxy", "router", "dealer", "--frontend-bind", "bogus://x", "--backend-bind", "inproc://b"}} {
		if _, errOut, code := zk(t, "", args...); code != 2 {
			t.Errorf("%q: %d %q", args, code, errOut)
		}
	}
}
