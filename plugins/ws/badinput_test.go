package ws_test

import (
	"encoding/binary"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/ws"
)

// bindPull binds a PULL to a fresh ws endpoint and returns it, its
// endpoint and its monitor events.
func bindPull(t *testing.T, opts ...core.Option) (*core.Socket, string, <-chan core.MonitorEvent) {
	t.Helper()
	pull := sock(t, newCtx(t), core.PULL, opts...)
	ev := watch(t, pull)
	if err := pull.Bind("ws://127.0.0.1:*/zmq"); err != nil {
		t.Fatal(err)
	}
	return pull, pull.LastEndpoint(), ev
}

// A request that is no acceptable upgrade is answered with an HTTP error
// (libzmq only closes) and reported as HANDSHAKE_FAILED_PROTOCOL with
// ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED, as libzmq reports it.
func TestUpgradeRefused(t *testing.T) {
	for _, tc := range []struct {
		name, req string
		status    int
		body      string
	}{
		{"plain GET", "GET /zmq HTTP/1.1\r\nHost: x\r\n\r\n", 400, "not a WebSocket upgrade"},
		{"no subprotocol", upgradeRequest("/zmq", ""), 400, "no acceptable subprotocol"},
		{"unknown subprotocols", upgradeRequest("/zmq", "chat, superchat"), 400, "no acceptable subprotocol"},
		{"other mechanism", upgradeRequest("/zmq", "ZWS2.0/PLAIN"), 400, "ZWS2.0/NULL or ZWS2.0"},
		{"bad version", strings.Replace(upgradeRequest("/zmq", "ZWS2.0"), "Version: 13", "Version: 8", 1), 400, "13"},
		{"no key", strings.Replace(upgradeRequest("/zmq", "ZWS2.0"), "Sec-WebSocket-Key", "X-Key", 1), 400, "Key"},
		{"POST", strings.Replace(upgradeRequest("/zmq", "ZWS2.0"), "GET", "POST", 1), 405, "GET"},
		{"malformed", "GARBAGE\r\n\r\n", 400, "malformed"},
		{"head too large", upgradeRequest("/zmq", "ZWS2.0", "X-Big: "+strings.Repeat("x", 9000)), 431, "8 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pull, ep, ev := bindPull(t)
			r := rawDial(t, ep)
			r.send(tc.req)
			resp, body := r.response()
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.body) {
				t.Fatalf("response %s %q, want %d and %q", resp.Status, body, tc.status, tc.body)
			}
			r.expectEOF()
			got := expectEvents(t, ev, core.EventAccepted, core.EventHandshakeFailedProtocol, core.EventDisconnected)
			if got[1].Value != uint64(core.ProtocolErrorWSUnspecified) {
				t.Errorf("HANDSHAKE_FAILED_PROTOCOL value %#x, want %#x", got[1].Value, core.ProtocolErrorWSUnspecified)
			}
			expectNothing(t, pull, 10*time.Millisecond)
		})
	}
}

// The server takes the first subprotocol of the client's list that its
// mechanism speaks (libzmq's order, not coder/websocket's), declines
// permessage-deflate, and ignores the path when it is alone on its port.
func TestUpgradeAccepted(t *testing.T) {
	for _, tc := range []struct {
		name, path, protocols, want string
		extra                       []string
	}{
		{"client order: bare first", "/zmq", "ZWS2.0, ZWS2.0/NULL", "ZWS2.0", nil},
		{"client order: NULL first", "/zmq", "ZWS2.0/NULL,ZWS2.0", "ZWS2.0/NULL", nil},
		{"unknown ones skipped", "/zmq", "chat, ZWS2.0/PLAIN, ZWS2.0/NULL", "ZWS2.0/NULL", nil},
		{"two headers", "/zmq", "chat", "ZWS2.0", []string{"Sec-WebSocket-Protocol: ZWS2.0"}},
		{"deflate declined", "/zmq", "ZWS2.0", "ZWS2.0",
			[]string{"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"}},
		{"Connection list", "/zmq", "ZWS2.0", "ZWS2.0", []string{"Connection: keep-alive, Upgrade"}},
		{"other path", "/elsewhere", "ZWS2.0", "ZWS2.0", nil},
		{"browser origin", "/zmq", "ZWS2.0", "ZWS2.0", []string{"Origin: http://example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pull, ep, ev := bindPull(t)
			r := rawDial(t, ep)
			req := upgradeRequest(tc.path, tc.protocols, tc.extra...)
			if tc.name == "Connection list" {
				req = strings.Replace(req, "Connection: Upgrade\r\n", "", 1)
			}
			r.send(req)
			resp, body := r.response()
			if resp.StatusCode != 101 {
				t.Fatalf("%s %q", resp.Status, body)
			}
			if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != tc.want {
				t.Fatalf("subprotocol %q, want %q", got, tc.want)
			}
			if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
				t.Fatalf("extension %q accepted", ext)
			}
			if tc.want == "ZWS2.0" {
				r.expectFrame(0x82, "\x00") // the server's (empty) routing id
				r.write(zws(0, ""))         // ours
			} else {
				r.expectFrame(0x82, "\x02\x05READY\x0bSocket-Type\x00\x00\x00\x04PULL")
				r.write(zws(2, "\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH"))
			}
			r.write(zws(1, "multi"))
			r.write(zws(0, "part"))
			if got := recvString(t, pull); len(got) != 2 || got[0] != "multi" || got[1] != "part" {
				t.Fatalf("received %q", got)
			}
			expectEvents(t, ev, core.EventAccepted, core.EventHandshakeSucceeded)
		})
	}
	t.Run("origin refused", func(t *testing.T) {
		pull := sock(t, newCtx(t), core.PULL, core.WithTransportOption(ws.Origins("example.com")))
		if err := pull.Bind("ws://127.0.0.1:*/zmq"); err != nil {
			t.Fatal(err)
		}
		for origin, status := range map[string]int{"http://evil.com": 403, "https://example.com": 101, "": 101} {
			r := rawDial(t, pull.LastEndpoint())
			var extra []string
			if origin != "" {
				extra = append(extra, "Origin: "+origin)
			}
			r.send(upgradeRequest("/zmq", "ZWS2.0", extra...))
			if resp, body := r.response(); resp.StatusCode != status {
				t.Errorf("origin %q: %s %q, want %d", origin, resp.Status, body, status)
			}
		}
	})
}

// After the upgrade: frames RFC 45 or libzmq refuse end the connection
// with a close frame giving the reason; what came before is delivered.
func TestFramesRefused(t *testing.T) {
	ping126 := frame(0x89, true, make([]byte, 126))
	for _, tc := range []struct {
		name  string
		frame []byte
		code  int
	}{
		{"text", frame(0x81, true, []byte("\x00text")), 1003},
		{"fragmented", frame(0x02, true, []byte("\x00frag")), 1002},
		{"continuation", frame(0x80, true, []byte("\x00cont")), 1002},
		{"unmasked", frame(0x82, false, []byte("\x00plain")), 1002},
		{"empty", frame(0x82, true, nil), 1002},
		{"over MAXMSGSIZE", zws(0, strings.Repeat("x", 101)), 1009},
		{"reserved bit", frame(0xC2, true, []byte("\x00deflated?")), 1002},
		{"long control frame", ping126, 1002},
		{"unknown opcode", frame(0x83, true, []byte("\x00")), 1002},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pull, ep, ev := bindPull(t, core.WithMaxMsgSize(100))
			r := rawDial(t, ep)
			r.upgrade("/zmq", "ZWS2.0", "ZWS2.0")
			r.expectFrame(0x82, "\x00")
			r.write(zws(0, ""))
			r.write(zws(0, strings.Repeat("y", 100))) // at MAXMSGSIZE: fine
			r.write(tc.frame)
			if got := recvString(t, pull); len(got) != 1 || len(got[0]) != 100 {
				t.Fatalf("received %q", got)
			}
			r.expectClose(tc.code)
			expectEvents(t, ev, core.EventHandshakeSucceeded, core.EventDisconnected)
			expectNothing(t, pull, 10*time.Millisecond)
		})
	}
}

// Pings are answered, a close is echoed, and commands cross as 0x02.
func TestControlFrames(t *testing.T) {
	pull, ep, ev := bindPull(t)
	r := rawDial(t, ep)
	r.upgrade("/zmq", "ZWS2.0/NULL", "ZWS2.0/NULL")
	r.expectFrame(0x82, "\x02\x05READY\x0bSocket-Type\x00\x00\x00\x04PULL")
	r.write(zws(2, "\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH"))
	r.write(frame(0x89, true, []byte("are you there")))
	r.expectFrame(0x8A, "are you there")
	r.write(zws(0, "m"))
	if got := recvString(t, pull); len(got) != 1 || got[0] != "m" {
		t.Fatalf("received %q", got)
	}
	r.write(frame(0x88, true, binary.BigEndian.AppendUint16(nil, 1000)))
	r.expectClose(1000)
	expectEvents(t, ev, core.EventHandshakeSucceeded, core.EventDisconnected)
}

// HANDSHAKE_IVL bounds the HTTP upgrade (libzmq has no timeout there): a
// slow-loris client is dropped.
func TestSlowLoris(t *testing.T) {
	_, ep, ev := bindPull(t, core.WithHandshakeInterval(200*time.Millisecond))
	r := rawDial(t, ep)
	start := time.Now()
	r.send("GET /zmq HTTP/1.1\r\nHost: x\r\n")
	for i := 0; i < 20; i++ {
		if _, err := r.c.Write([]byte("X")); err != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.expectEOF()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("dropped after %v", d)
	}
	got := expectEvents(t, ev, core.EventAccepted, core.EventHandshakeFailedNoDetail, core.EventDisconnected)
	if got[1].Value != uint64(syscall.ETIMEDOUT) {
		t.Errorf("HANDSHAKE_FAILED_NO_DETAIL value %d, want ETIMEDOUT", got[1].Value)
	}
}

// Heartbeats are WebSocket pings (never ZMTP PING commands, which libzmq
// drops over ws); a peer that stops answering is dropped.
func TestHeartbeatPings(t *testing.T) {
	_, ep, ev := bindPull(t, core.WithHeartbeat(30*time.Millisecond, 0, 200*time.Millisecond))
	r := rawDial(t, ep)
	r.upgrade("/zmq", "ZWS2.0", "ZWS2.0")
	r.expectFrame(0x82, "\x00")
	r.write(zws(0, ""))
	pings := 0
	for pings < 5 {
		b0, p, err := r.readFrame()
		if err != nil {
			t.Fatal(err)
		}
		if b0 != 0x89 {
			t.Fatalf("frame %#x %q, want pings only", b0, p)
		}
		pings++
		r.write(frame(0x8A, true, p))
	}
	noEvent(t, ev, 100*time.Millisecond, core.EventDisconnected)
	// now silent: dropped within HEARTBEAT_TIMEOUT
	expectEvents(t, ev, core.EventDisconnected)
}

// HTTP/1.1 error statuses for the status codes used above.
var _ = http.StatusRequestHeaderFieldsTooLarge
