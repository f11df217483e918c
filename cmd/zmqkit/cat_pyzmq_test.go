package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// cat against pyzmq (libzmq): both directions, REQ/REP, ROUTER, CURVE
// with the right and a wrong key, PLAIN, and a peer that disappears.

func TestCatPyzmq(t *testing.T) {
	needPython(t)
	t.Parallel()

	// pyzmq PUSH (multipart) -> zmqkit PULL.
	ep := tcpEP(t)
	pull := start(t, "", "zmqkit", "cat", "pull", "-b", ep, "-n", "2", "--out", "json")
	waitBound(t, ep)
	py := start(t, "", "python", "push", "connect", ep, "--send", "a|b", "--send", "c")
	py.expect(0, procTimeout)
	pull.expect(0, procTimeout)
	lines := strings.Split(strings.TrimSpace(pull.stdout.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"frames":["a","b"]`) || !strings.HasPrefix(lines[1], `{"frames":["c"]`) {
		t.Errorf("pull printed %q", pull.stdout.String())
	}

	// zmqkit PUB -> pyzmq SUB with a topic.
	ep = ipcEP(t)
	sub := start(t, "", "python", "sub", "bind", ep, "--sub", "t.", "--recv", "1", "--timeout", "5000")
	sub.waitOut("READY", procTimeout)
	pub := start(t, "x\nt.yes\n", "zmqkit", "cat", "pub", "-c", ep, "--delay", "1s")
	pub.expect(0, procTimeout)
	sub.expect(0, procTimeout)
	if !strings.Contains(sub.stdout.String(), `["t.yes"]`) {
		t.Errorf("sub printed %q", sub.stdout.String())
	}

	// pyzmq REP echo <- zmqkit REQ, then the REP goes away: the next
	// request times out.
	ep = tcpEP(t)
	rep := start(t, "", "python", "rep", "bind", ep, "--echo", "1")
	rep.waitOut("READY", procTimeout)
	req := startPipe(t, "zmqkit", "cat", "req", "-c", ep, "-t", "3s")
	req.stdin.WriteString("one\n")
	req.waitOut("one\n", procTimeout)
	rep.expect(0, procTimeout)
	req.stdin.WriteString("two\n")
	req.expect(1, procTimeout)
	if !strings.Contains(req.stderr.String(), "timed out after 3s waiting for a message") {
		t.Errorf("req stderr %q", req.stderr.String())
	}

	// zmqkit ROUTER <- pyzmq DEALER: the routing id is shown, and used.
	ep = tcpEP(t)
	router := startPipe(t, "zmqkit", "cat", "router", "-b", ep, "--out", "json", "--in", "json")
	waitBound(t, ep)
	dealer := start(t, "", "python", "dealer", "connect", ep, "--send", "hi", "--recv", "1", "--timeout", "5000")
	router.waitOut(`"frames":["hi"]`, procTimeout)
	var jm struct {
		RoutingID any `json:"routing_id"`
	}
	json.Unmarshal([]byte(firstLine(router.stdout.String())), &jm)
	id, _ := json.Marshal(jm.RoutingID)
	router.stdin.WriteString(`{"routing_id":` + string(id) + `,"frames":["back"]}` + "\n")
	dealer.expect(0, procTimeout)
	if !strings.Contains(dealer.stdout.String(), `["back"]`) {
		t.Errorf("dealer got %q (routing id %s)", dealer.stdout.String(), id)
	}
	router.signal(interruptSignals[0])
	router.expect(0, procTimeout)
}

func TestCatPyzmqSecurity(t *testing.T) {
	needPython(t)
	t.Parallel()
	out, _, _ := zk(t, "", "keygen", "--format", "json")
	var srv map[string]string
	json.Unmarshal([]byte(out), &srv)
	out, _, _ = zk(t, "", "keygen", "--format", "json")
	var other map[string]string
	json.Unmarshal([]byte(out), &other)

	// pyzmq CURVE server; zmqkit client with the key from the environment.
	ep := tcpEP(t)
	py := start(t, "", "python", "pull", "bind", ep, "--curve-server", srv["secret"], "--recv", "1", "--timeout", "5000")
	py.waitOut("READY", procTimeout)
	push := newProc(t, "zmqkit", "cat", "push", "-c", ep, "-t", "5s")
	push.cmd.Env = append(push.cmd.Environ(), "ZMQKIT_CURVE_SERVERKEY="+srv["public"])
	push.cmd.Stdin = strings.NewReader("sealed\n")
	push.run()
	push.expect(0, procTimeout)
	py.expect(0, procTimeout)
	if !strings.Contains(py.stdout.String(), `["sealed"]`) {
		t.Errorf("pyzmq got %q", py.stdout.String())
	}

	// zmqkit CURVE server; pyzmq client with a wrong server key: the
	// server reports the failed handshake and times out.
	// pyzmq starts first (python is slow to start on a loaded machine)
	// and connects before the bind; libzmq retries until it is there.
	ep = ipcEP(t)
	py = start(t, "", "python", "push", "connect", ep, "--curve-client", other["public"], "--send", "x")
	py.waitOut("READY", procTimeout)
	pull := start(t, "", "zmqkit", "cat", "pull", "-b", ep, "--curve-secret", srv["secret"], "-n", "1", "-t", "5s")
	pull.expect(1, procTimeout)
	py.wait(procTimeout)
	if !strings.Contains(pull.stderr.String(), "HANDSHAKE_FAILED_PROTOCOL: ZMTP_CRYPTOGRAPHIC") {
		t.Errorf("pull stderr %q", pull.stderr.String())
	}

	// pyzmq PLAIN server (with its ZAP authenticator): right and wrong
	// passwords.
	ep = tcpEP(t)
	rep := start(t, "", "python", "rep", "bind", ep, "--plain-server", "admin:pw", "--echo", "1")
	rep.waitOut("READY", procTimeout)
	bad := start(t, "x\n", "zmqkit", "cat", "req", "-c", ep, "--plain-user", "admin", "--plain-password", "nope", "-t", "3s")
	bad.expect(1, procTimeout)
	if !strings.Contains(bad.stderr.String(), "HANDSHAKE_FAILED_AUTH") {
		t.Errorf("wrong password: %q", bad.stderr.String())
	}
	good := start(t, "ok\n", "zmqkit", "cat", "req", "-c", ep, "--plain-user", "admin", "--plain-password", "pw", "-t", "5s")
	good.expect(0, procTimeout)
	rep.expect(0, procTimeout)
	if good.stdout.String() != "ok\n" {
		t.Errorf("req got %q", good.stdout.String())
	}
	_ = time.Second
}
