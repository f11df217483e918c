// Package core is zmqkit's kernel: contexts, sockets, the messaging
// patterns, the pipes between them and the connections, and the ZMTP
// engine that speaks to peers. Transports (tcp, ipc, inproc, ...) and
// security mechanisms (PLAIN, CURVE) are plugins found through the
// context's registry (package registry); core knows them only by their
// contracts (registry/transport, registry/mechanism).
//
// # Using it
//
// Make a Context, make Sockets with NewSocket and options (With*), Bind
// or Connect them, then Send and Recv whole messages (Msg). Errors wrap
// the sentinels of errors.go (ErrWouldBlock is EAGAIN, ErrTerminated
// ETERM, ...). README.md at the repository root is the user's guide;
// the Example functions show each pattern.
//
// # Layers
//
// A message goes down through five layers on its way out, and up through
// them on its way in:
//
//	 application goroutines
//	        │  Send / Recv / Poll            socket.go, poller.go, msg.go
//	┌───────▼────────────────────────────┐
//	│ Socket API: options, blocking,     │  socket.go, options.go,
//	│ timeouts, linger, monitoring       │  context.go, monitor*.go
//	├────────────────────────────────────┤
//	│ pattern: the socket type's routing │  pattern*.go (lb, fq, dist;
//	│ (PUSH round-robin, SUB filters...) │  one file per family), trie.go
//	├────────────────────────────────────┤
//	│ pipe: one per peer, two queues     │  pipe.go, queue.go,
//	│ with HWMs (out: to the peer)       │  queue_arena.go, inproc.go
//	├────────────────────────────────────┤
//	│ engine: one per connection,        │  engine.go (ZMTP), engine_raw.go
//	│ handshake, framing, heartbeats     │  (STREAM), engine_dgram.go (udp),
//	│ (inproc has none: pipes meet)      │  heartbeat.go, null.go, zap.go
//	├────────────────────────────────────┤
//	│ wire: a transport's connection     │  session.go (bind, connect,
//	│ (registry/transport) + zmtp codec  │  reconnect), package zmtp
//	└────────────────────────────────────┘
//
// Every layer talks only to its neighbours: a pattern sees pipes, never
// engines; an engine fills and drains its pipe's queues and never sees
// the pattern. The socket's mutex (Socket.mu) guards the pattern and the
// pipe list; each queue has its own lock; an engine's reader and writer
// run on their own goroutines and meet the socket only through queues
// and their wake-up callbacks.
//
// # Where to start reading
//
//   - socket.go: Socket.Send and Socket.Recv, and await, the loop every
//     blocking call goes through; Close and linger.
//   - pattern.go: the pattern interface and the lb/fq helpers; then
//     pattern_basic.go (PUSH, PULL, PAIR) as the simplest patterns.
//   - pipe.go and queue.go: how a message is handed between a socket and
//     a connection without copying, and what the HWM means.
//   - session.go: how Bind and Connect turn transport connections into
//     engines and pipes, and how reconnecting works.
//   - engine.go: the ZMTP handshake (greeting, mechanism, ZAP), the read
//     loop that assembles messages, the write loop that batches them.
//   - monitor.go and monitor_engine.go: the events a connection reports.
//
// Tests mirror the layers: conformance_*_test.go check each pattern's
// libzmq semantics over tcp, ipc and inproc; wire_test.go checks the bytes
// on the wire against libzmq's; the interop module runs against libzmq
// itself.
package core
