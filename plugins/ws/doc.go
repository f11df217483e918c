// Package ws is the zmqkit transport for the "ws" and "wss" schemes:
// ZeroMQ over WebSocket (ZWS 2.0, RFC 45), wire compatible with libzmq
// 4.3's ws/wss transports (a draft feature there), jszmq, and browsers.
// Importing it (or plugins/all) registers both schemes in
// registry.Default.
//
//	import _ "github.com/zmqkit/zmqkit/plugins/ws"
//
//	pub.Bind("ws://*:8080/feed")
//	sub.Connect("ws://server.example.com:8080/feed")
//
// # Endpoints
//
// "ws://HOST:PORT[/PATH]" and "wss://HOST:PORT[/PATH]", as libzmq's
// ws_address parses them. PORT is required. PATH starts at the first '/'
// after the port and defaults to "/"; it may hold a query ("?x=1").
// An IPv6 HOST is written in brackets: "ws://[::1]:5555/zmq".
//
// On bind, HOST is "*" (every interface), a numeric address, an interface
// name or a host name (resolved once), and PORT may be "*" or "0" for an
// ephemeral port — the tcp plugin's rules, whose code does the TCP part.
// The listener's endpoint (ZMQ_LAST_ENDPOINT) is resolved and keeps the
// path: "ws://0.0.0.0:41234/feed". On connect, HOST is resolved at every
// attempt (DNS allowed) and the request goes to PATH with a Host header
// of HOST:PORT.
//
// Several binds may share a port when they differ in PATH, in one process
// (one transport value): "ws://*:8080/a" and "ws://*:8080/b" may belong to
// different sockets. A request then goes to the bind of its exact path,
// else to the only bind whose path ends in the requested segment (libzmq
// 4.3 clients send only the last segment of a longer path); other paths
// get "404 Not Found". A port with a single bind takes any path, as
// libzmq's server does. Binding the same path twice gives EADDRINUSE.
// Binds that share a port share its first bind's TCP options and TLS
// certificate.
//
// # Subprotocols and modes
//
// The client offers the subprotocols of its ZMQ_MECHANISM, in libzmq's
// order: "ZWS2.0/NULL", "ZWS2.0" for NULL; "ZWS2.0/PLAIN"; "ZWS2.0/CURVE".
// The server takes the first of the client's offers that its own
// mechanism speaks — the client's order wins, as in libzmq (coder/websocket
// would let the server's order win: this plugin chooses before it
// accepts). With "ZWS2.0/<MECHANISM>" the ZMTP handshake (READY, HELLO,
// WELCOME, INITIATE, ERROR) runs as command messages, with metadata, the
// socket-type check and ZAP, as over tcp. With the bare "ZWS2.0" each side
// sends its routing id first and there is no mechanism, no metadata and no
// socket-type check (jszmq speaks only this). A NULL client can offer
// "ZWS2.0" first with BareFirst, for servers that take the first offer
// whatever it is, such as jszmq's.
//
// Every ZeroMQ frame is one binary WebSocket message: a flags octet (0x01
// more, 0x02 command) and the body; the client masks, the server does
// not, nothing is fragmented, compression is never negotiated. Every
// socket type runs over ws, the draft ones included; STREAM does not (no
// frames). Subscriptions go out as messages ("\x01topic", "\x00topic") and
// are taken both so and as SUBSCRIBE/CANCEL commands. Heartbeats
// (ZMQ_HEARTBEAT_IVL, ZMQ_HEARTBEAT_TIMEOUT) are WebSocket pings, never
// ZMTP PING commands, which libzmq drops over ws; pings are answered with
// pongs, a close frame is echoed. ZMQ_HEARTBEAT_TTL does not exist over
// ws, as in libzmq.
//
// The upgrade itself goes through coder/websocket (request checks,
// Sec-WebSocket-Accept, extension refusal, Origin checks); the data phase
// is this package's own framing over the upgraded connection, because
// coder/websocket's per-message API costs a write system call and an
// allocation per message (about 30 times slower at 64 B: see
// BenchmarkFrames and BenchmarkCoder, and docs/performance.md). Over
// loopback, PUSH/PULL zmqkit ↔ zmqkit ran at 1.5-3.2 times the throughput of
// libzmq 4.3.4 ↔ libzmq 4.3.4 over ws, 1.05-1.8 times over wss
// (interop/cmd/compare -transports ws,wss).
//
// Peers tested in CI: libzmq 4.3.4 built with drafts, ws and wss
// (interop/wsdraft: every pattern, NULL, PLAIN with ZAP, CURVE, both
// directions), jszmq 0.1.2 under Node (interop/jszmq: PUB/SUB, REQ/REP,
// DEALER/ROUTER, zmqkit binding and connecting) and Chromium, whose page
// speaks bare ZWS 2.0 in plain JavaScript (examples/wsbrowser).
//
// # Options
//
// General socket options that apply: ZMQ_MECHANISM and its options,
// ZMQ_MAXMSGSIZE (the largest frame body taken; commands up to 64 KiB
// always), ZMQ_HANDSHAKE_IVL (bounds TLS, the upgrade and the ZMTP
// handshake together; libzmq has no timeout on the upgrade),
// ZMQ_HEARTBEAT_IVL/TIMEOUT, ZMQ_ROUTING_ID, ZMQ_CONNECT_TIMEOUT,
// ZMQ_RECONNECT_IVL, and the tcp plugin's socket options (ZMQ_SNDBUF,
// ZMQ_RCVBUF, ZMQ_TCP_KEEPALIVE*, ZMQ_TCP_MAXRT, ZMQ_TOS, ZMQ_IPV6, ...).
// Options of this plugin, set with core.WithTransportOption and the
// helpers of the same names (the WSS_* ones mirror libzmq's draft
// ZMQ_WSS_* options):
//
//	WSS_CERT_PEM      CertPEM(pem)     server certificate chain, PEM   (ZMQ_WSS_CERT_PEM); wss binds need it
//	WSS_KEY_PEM       KeyPEM(pem)      server private key, PEM          (ZMQ_WSS_KEY_PEM)
//	WSS_TRUST_PEM     TrustPEM(pem)    CAs a client trusts, PEM         (ZMQ_WSS_TRUST_PEM); default none
//	WSS_HOSTNAME      Hostname(name)   name a client sends and checks   (ZMQ_WSS_HOSTNAME); default: chain only
//	WSS_TRUST_SYSTEM  TrustSystem(on)  a client trusts the system CAs   (ZMQ_WSS_TRUST_SYSTEM); default false
//	WSS_TLS_CONFIG    TLSConfig(cfg)   a *tls.Config for either side, instead of the above
//	WS_BARE_FIRST     BareFirst(on)    a NULL client offers "ZWS2.0" first; default false
//	WS_ORIGINS        Origins(p...)    Origin patterns browsers may come from; default: any (libzmq)
//
// As in libzmq, a wss client trusts no authority unless told (TRUST_PEM,
// TRUST_SYSTEM), and without WSS_HOSTNAME it verifies the certificate
// chain but not the name. A *tls.Config given with TLSConfig has Go's
// semantics instead: nil RootCAs means the system's, and a client config
// without ServerName gets the endpoint's host.
//
// # Bad input
//
// Everything RFC 45, RFC 6455 or libzmq refuse ends the connection with a
// clear error and loses nothing received before it. A request that is
// not a WebSocket upgrade, or offers no acceptable subprotocol, is
// answered "400 Bad Request" with the reason (libzmq closes without a
// word); a head over 8 KiB gets 431, a TLS or binary greeting to a ws
// endpoint 400 at once, plaintext to a wss endpoint 400 too. After the
// upgrade, a text frame (close 1003), a fragmented message or a
// continuation frame, an unmasked client frame or a masked server frame,
// an empty binary frame, reserved bits, an unknown opcode, a control frame
// over 125 octets (close 1002), or a frame over ZMQ_MAXMSGSIZE (close
// 1009) get a close frame with the reason and a protocol error. A client
// that gets an HTTP error, a malformed response or a subprotocol it did
// not offer stops, as libzmq stops after a protocol error.
//
// # Monitor events
//
// As over tcp: LISTENING (or BIND_FAILED), ACCEPTED, CONNECT_DELAYED,
// CONNECTED, CONNECT_RETRIED, HANDSHAKE_SUCCEEDED, HANDSHAKE_FAILED_*,
// DISCONNECTED, CLOSED, with ws:// or wss:// endpoints. A refused upgrade
// is HANDSHAKE_FAILED_PROTOCOL with ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED
// (0x30000000) on the side that refused it and the side refused. TLS
// failures (certificate, name) are HANDSHAKE_FAILED_NO_DETAIL, then
// DISCONNECTED and a reconnect, as libzmq reports them; the event's Err
// says what failed. Where zmqkit differs from libzmq: HANDSHAKE_SUCCEEDED
// comes once per connection, after the ZMTP handshake (libzmq also emits
// one after the upgrade in the ZWS2.0/<MECHANISM> modes, so two there);
// with a shared port, ACCEPTED comes once the request has named its path.
// In the bare ZWS2.0 mode, which has no mechanism, the end of a
// connection reports HANDSHAKE_FAILED_NO_DETAIL before DISCONNECTED, as
// libzmq does for connections without a mechanism.
package ws
