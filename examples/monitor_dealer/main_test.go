package main

import (
	"bytes"
	"testing"
)

// The exact event order on both sides, as libzmq's test_monitor asserts.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	want := `monitor on tcp: zmq: monitor tcp://127.0.0.1:*: protocol not supported: monitor endpoints must be inproc://
client (v1):
  CONNECT_DELAYED             server
  CONNECTED                   server
  HANDSHAKE_SUCCEEDED         server
  DISCONNECTED                server
  CONNECT_RETRIED             server, retry in 3600000ms
  MONITOR_STOPPED             ""
server (v2, local → remote):
  LISTENING                   server → ""
  ACCEPTED                    server → client
  HANDSHAKE_SUCCEEDED         server → client
  CLOSED                      server → ""
  MONITOR_STOPPED             "" → ""
`
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}
