// Command zmqkit-plugin-ws serves zmqkit's ws transport (the ws:// and
// wss:// schemes, ZWS 2.0) out of process: a program loads it with
// registry/external (or the perf tools' -plugin flag) and its sockets use
// it in place of a compiled-in one. It is the very plugins/ws that init()
// registers in process, wrapped by registry/external/serve: the plugin
// binds, accepts and connects, runs the HTTP upgrade and the WebSocket
// framing, and hands the host each connection's frames over a local
// channel; the upgrade runs when the host's engine asks for it
// (transport.Handshaker), WebSocket pings carry the heartbeats
// (transport.Pinger). Transport options cross when they are plain data
// (ws.CertPEM, KeyPEM, TrustPEM, Hostname, TrustSystem, BareFirst,
// Origins); ws.TLSConfig, a *tls.Config, does not. It does nothing when
// run by hand.
//
//	go build -o zmqkit-plugin-ws ./cmd/zmqkit-plugin-ws
//	local_thr -plugin ./zmqkit-plugin-ws ws://127.0.0.1:5555/zmq 64 1000000
package main

import (
	"github.com/zmqkit/zmqkit/plugins/ws"
	"github.com/zmqkit/zmqkit/registry/external/serve"
)

func main() { serve.Main(ws.New()) }
