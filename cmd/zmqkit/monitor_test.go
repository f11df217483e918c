package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func monitorEvents(t *testing.T, out string) []eventInfo {
	t.Helper()
	var evs []eventInfo
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var in eventInfo
		if err := json.Unmarshal([]byte(l), &in); err != nil {
			t.Fatalf("bad JSON line %q: %v", l, err)
		}
		evs = append(evs, in)
	}
	return evs
}

func hasEvent(evs []eventInfo, name, detail string) bool {
	for _, e := range evs {
		if e.Event == name && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

func TestMonitor(t *testing.T) {
	t.Parallel()
	// Nothing listening: refused connects, and the reason at the end.
	ep := tcpEP(t)
	out, errOut, code := zk(t, "", "monitor", "req", "-c", ep, "-t", "1s", "--json")
	evs := monitorEvents(t, out)
	if code != 0 || !hasEvent(evs, "CONNECT_RETRIED", "retry in") || !strings.Contains(errOut, "nothing is listening") {
		t.Errorf("no listener: status %d, events %v, stderr %q", code, evs, errOut)
	}

	// A CURVE server probed without CURVE: mechanism mismatch, and
	// --until fails.
	dir := t.TempDir()
	zk(t, "", "keygen", "--cert", dir+"/srv")
	srv := start(t, "", "zmqkit", "cat", "rep", "-b", ep, "--curve-secret", dir+"/srv_secret", "--echo")
	waitBound(t, ep)
	out, errOut, code = zk(t, "", "monitor", "req", "-c", ep, "--until", "handshake_succeeded", "-t", "3s", "--json")
	evs = monitorEvents(t, out)
	if code != 1 || !hasEvent(evs, "HANDSHAKE_FAILED_PROTOCOL", "ZMTP_MECHANISM_MISMATCH") || !strings.Contains(errOut, "no HANDSHAKE_SUCCEEDED within 3s; last problem") {
		t.Errorf("mismatch: status %d, events %v, stderr %q", code, evs, errOut)
	}
	// With the right key, --until ends it at once.
	t0 := time.Now()
	out, errOut, code = zk(t, "", "monitor", "req", "-c", ep, "--curve-serverkey", dir+"/srv", "--until", "handshake_succeeded", "-t", "5s")
	if code != 0 || !strings.Contains(out, "HANDSHAKE_SUCCEEDED") || time.Since(t0) > 3*time.Second {
		t.Errorf("right key: status %d, %q %q", code, out, errOut)
	}
	srv.signal(interruptSignals[0])
	srv.expect(0, procTimeout)
}

func TestMonitorPyzmq(t *testing.T) {
	needPython(t)
	t.Parallel()
	// A bound probe sees a pyzmq peer come, and go away (ipc: waiting
	// for a tcp port would connect too).
	ep := ipcEP(t)
	mon := start(t, "", "zmqkit", "monitor", "router", "-b", ep, "--until", "disconnected", "-t", "10s", "--json")
	waitBound(t, ep)
	py := start(t, "", "python", "dealer", "connect", ep, "--send", "x", "--delay", "0.3")
	py.expect(0, procTimeout)
	mon.expect(0, procTimeout)
	evs := monitorEvents(t, mon.stdout.String())
	for _, want := range []string{"LISTENING", "ACCEPTED", "HANDSHAKE_SUCCEEDED", "DISCONNECTED"} {
		if !hasEvent(evs, want, "") {
			t.Errorf("no %s in %v", want, evs)
		}
	}

	// A pyzmq CURVE server probed with a wrong server key: the server
	// hangs up, and the probe says what that usually means.
	out, _, _ := zk(t, "", "keygen", "--format", "json")
	var srv, other map[string]string
	json.Unmarshal([]byte(out), &srv)
	out, _, _ = zk(t, "", "keygen", "--format", "json")
	json.Unmarshal([]byte(out), &other)
	ep = tcpEP(t)
	py = start(t, "", "python", "rep", "bind", ep, "--curve-server", srv["secret"], "--echo", "1", "--timeout", "10000")
	py.waitOut("READY", procTimeout)
	out, errOut, code := zk(t, "", "monitor", "req", "-c", ep, "--curve-serverkey", other["public"], "--until", "handshake_succeeded", "-t", "3s")
	if code != 1 || !strings.Contains(out, "HANDSHAKE_FAILED_NO_DETAIL") || !strings.Contains(errOut, "hung up during the handshake") {
		t.Errorf("wrong key: status %d, %q, %q", code, out, errOut)
	}
	out, errOut, code = zk(t, "", "monitor", "req", "-c", ep, "--curve-serverkey", srv["public"], "--until", "handshake_succeeded", "-t", "5s")
	if code != 0 {
		t.Errorf("right key: status %d, %q, %q", code, out, errOut)
	}
	py.cmd.Process.Kill()
	py.wait(procTimeout)
}
