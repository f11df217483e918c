package main

import (
	"bytes"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	want := "tcp monitor endpoint: zmq: monitor tcp://127.0.0.1:9999: protocol not supported: monitor endpoints must be inproc://\n" +
		"LISTENING            <bound endpoint>\n" +
		"ACCEPTED             <bound endpoint>\n" +
		"HANDSHAKE_SUCCEEDED  <bound endpoint>\n" +
		"CLOSED               <bound endpoint>\n" +
		"MONITOR_STOPPED      \n"
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}
