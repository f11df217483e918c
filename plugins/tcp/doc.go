// Package tcp is the zmqkit transport for the "tcp" scheme: ZMTP over TCP,
// wire compatible with libzmq 4.3. Importing it (or plugins/all) registers
// it in registry.Default.
//
// # Bind addresses
//
// The part after "tcp://" is INTERFACE:PORT where INTERFACE is
//
//   - "*": every interface; 0.0.0.0, or the dual-stack "::" when
//     Config.IPv6 is set;
//   - a numeric IPv4 address ("127.0.0.1") or IPv6 address in brackets
//     ("[::1]", "[fe80::1%eth0]"; the zone is a name or a number);
//   - a network interface name ("eth0", "lo"), resolved to its first IPv4
//     address (its first IPv6 address when Config.IPv6 is set);
//   - a host name such as "localhost", resolved once at bind time (libzmq
//     itself refuses names on bind; zmqkit accepts them).
//
// PORT is a number; "*" or "0" picks an ephemeral port. The listener's
// Endpoint is the resolved endpoint, as ZMQ_LAST_ENDPOINT reports it:
// "tcp://0.0.0.0:43811", "tcp://[::1]:5555".
//
// # Connect addresses
//
// "HOST:PORT" where HOST is a name (resolved again at every Dial, the
// first suitable address is used) or a numeric address, and PORT is a
// number ("*" is rejected). An optional source address precedes the peer,
// separated by ';': "SRC;HOST:PORT" where SRC is "iface-or-ip:port"
// (port required, 0 or "*" = any), e.g. "eth1:0;server:5555". The
// transport implements transport.DialChecker, which checks this syntax
// without resolving anything.
//
// Numeric IPv6 addresses are accepted whether or not Config.IPv6 is set;
// Config.IPv6 selects the wildcard family, the family of interface names
// and which addresses of a host name are preferred (IPv4 only without it).
//
// # Socket options
//
// TCP_NODELAY is always set. Config's SendBuffer/RecvBuffer (SO_SNDBUF/
// SO_RCVBUF), TOS (IP_TOS/IPV6_TCLASS), Priority (SO_PRIORITY),
// BindToDevice (SO_BINDTODEVICE) are applied before bind or connect;
// KeepAlive* (SO_KEEPALIVE, TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL) and
// MaxRetransmit (TCP_USER_TIMEOUT) to every connection. ConnectTimeout
// bounds each Dial. Backlog is applied by calling listen(2) again on the
// bound socket, which Linux honours; elsewhere the Go default
// (SOMAXCONN) is kept. On systems other than Linux TOS, Priority and
// Backlog are ignored and BindToDevice fails with ErrNotSupported.
//
// # Monitor events
//
// Listen reports LISTENING (or BIND_FAILED), each accepted connection
// ACCEPTED (or ACCEPT_FAILED) and Listener.Close CLOSED. Dial reports
// CONNECT_DELAYED once the socket exists, just before the connect system
// call (and before binding a source address, so a failed source bind
// reads CONNECT_DELAYED, CLOSED where libzmq reports CLOSED alone), then
// CONNECTED or,
// when the attempt fails, CLOSED with the failed socket's descriptor
// (libzmq's sequence for a refused connect; the core adds
// CONNECT_RETRIED). A Dial that fails before a socket exists (name
// resolution) reports nothing.
package tcp
