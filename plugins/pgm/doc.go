// Package pgm is the pgm:// and epgm:// transport: reliable multicast for
// PUB, XPUB, SUB and XSUB sockets over PGM (RFC 3208), wire-compatible with
// libzmq's OpenPGM transport in both directions. epgm carries PGM in UDP
// datagrams and needs no privileges; pgm carries it in raw IP packets
// (IP protocol 113) and needs CAP_NET_RAW.
//
// Importing the package registers both schemes in registry.Default:
//
//	import _ "github.com/zmqkit/zmqkit/plugins/pgm"
//
// A publisher multicasts each message once to a group; every subscriber on
// the LAN that joined the group receives it, asks (NAKs) for the packets
// it missed, and gets them again (RDATA) from the publisher's transmit
// window. Messages travel in libzmq's framing inside PGM (ZMTP/1.0 frames,
// each packet starting with the 16-bit offset of its first message), so
// zmqkit and libzmq publishers and subscribers mix freely.
//
// # Endpoints
//
//	epgm://IFACE;GROUP:PORT     PGM over UDP, to and from GROUP:PORT
//	pgm://IFACE;GROUP:PORT      PGM over raw IP (CAP_NET_RAW)
//
// as libzmq and OpenPGM parse them:
//
//   - PORT, after the last ':', is required (1-65535). It is both the UDP
//     port of epgm (OpenPGM's unicast and multicast encapsulation ports,
//     which libzmq sets to the endpoint's port) and PGM's data-destination
//     port: publishers and subscribers of one stream use the same one.
//   - IFACE is an interface name ("eth0"), one of its addresses
//     ("192.0.2.1", "fe80::1"), or a network ("192.0.2.0/24": the
//     interface with an address in it). Left out ("epgm://;GROUP:PORT" or
//     "epgm://GROUP:PORT"), it is the first interface that is up and
//     multicast-capable, loopback last. Its address is the publisher's
//     source address (NLA), which subscribers send their NAKs to.
//   - GROUP is a numeric IPv4 or IPv6 multicast address (IPv6 may be
//     bracketed). Left out ("epgm://eth0:PORT"), it is OpenPGM's default,
//     239.192.0.1 (ff08::1 for an IPv6 interface). OpenPGM's
//     "IFACE;RECEIVE;SEND" form is accepted when both name the same group;
//     several groups per endpoint are not supported.
//
// Malformed endpoints fail Bind and Connect with ErrInvalid (EINVAL); an
// unknown interface with ErrNoDevice, an address no interface has with
// ErrAddrNotAvailable.
//
// # Sockets
//
// PUB and XPUB sockets are sources; SUB and XSUB sockets receive every
// source sending to the group and port. Other socket types get
// ErrNoCompatProto (ENOCOMPATPROTO) at Bind and Connect, as in libzmq.
// Bind and Connect mean the same, as in libzmq: both join the group, and
// the endpoint is open when Bind returns (Connect opens it in the
// background and reopens it after errors); Unbind and Disconnect both end
// it. Nothing flows upstream: a PUB sends everything to the group, and
// each SUB filters locally. XSUB receives everything without subscribing.
//
// A subscriber delivers each source's messages whole and in order. Data
// that left the publisher's window before it could be repaired is lost for
// good: the subscriber then drops the partial message, resumes that
// source's stream at its next message start, and reports the loss with
// core.EventDataLost (a zmqkit extension to the monitor events; Value is
// the number of packets lost). Stats returns every open endpoint's
// protocol counters.
//
// As in libzmq, a subscriber joins a stream at the first message that
// starts in the first packet it receives; what was sent before is not
// recovered. Multicast loopback is off (libzmq hard-wires it off), so a
// publisher's own host does not hear it: see "Testing on one host".
//
// # Options
//
// The socket options of libzmq that apply, with libzmq's defaults:
//
//	ZMQ_RATE               core.WithRate(kbps)               100 kbit/s: the publisher's
//	                                                         sending rate, ODATA, RDATA and
//	                                                         SPMs together, IP and UDP
//	                                                         headers counted
//	ZMQ_RECOVERY_IVL       core.WithRecoveryInterval(d)      10 s: the publisher keeps
//	                                                         RATE*RECOVERY_IVL of data for
//	                                                         repairs; subscribers size
//	                                                         their windows the same way
//	ZMQ_MULTICAST_MAXTPDU  core.WithMulticastMaxTPDU(n)      1500: the largest packet,
//	                                                         headers included
//	ZMQ_MULTICAST_HOPS     core.WithMulticastHops(n)         1: the multicast TTL
//	ZMQ_TOS                core.WithTOS(tos)                 0: DSCP EF (0xb8), as libzmq
//	ZMQ_SNDBUF, ZMQ_RCVBUF core.WithSendBuffer/RecvBuffer    OS default
//	ZMQ_MAXMSGSIZE         core.WithMaxMsgSize(n)            no limit: larger frames are
//	                                                         dropped and the source's
//	                                                         stream resynchronises
//
// Set RATE and RECOVERY_IVL on subscribers too: their receive windows are
// sized from them, as in libzmq. The default rate is low (100 kbit/s,
// about 8 full packets a second): raise it for any real traffic. The
// protocol timers are libzmq's: ambient SPMs every 30 s, heartbeat SPMs
// 0.1 s after the last data and then 0.1, 0.1, 0.1, 1.3, 7, 16, 25 and
// 30 s apart,
// NAK back-off up to 50 ms, NCF and repair waits of 200 ms, 50 retries
// each, SPM requests after 25 ms, sources forgotten after 300 s of
// silence.
//
// One option of this plugin, through core.WithTransportOption:
//
//	PGM_MULTICAST_LOOP  MulticastLoop(on)  false: deliver the publisher's
//	                                       packets to its own host too
//
// # Testing on one host
//
// With loopback off, a publisher and a subscriber on one host do not hear
// each other (libzmq's neither). Either run them in two network namespaces
// joined by a veth pair, as this package's tests and the pgmtest package
// do (pgmtest.NewRig: root and iproute2 needed), or turn loopback on for
// zmqkit publishers with MulticastLoop(true) and name an interface whose
// multicast reaches the host (a veth or the loopback interface with
// "ip link set lo multicast on" and a route for 224.0.0.0/4).
//
// # Differences from libzmq
//
//   - ZMQ_TOS is honoured (libzmq always sends DSCP EF on IPv4).
//   - Messages are delivered whole: after a loss, a partial multipart
//     message is dropped rather than delivered in part.
//   - Interface names are accepted where OpenPGM 5.3 refuses some; host
//     and network names (/etc/hosts, /etc/networks) are not resolved.
//   - Raw pgm:// packets carry no IP Router Alert option (OpenPGM adds it
//     to SPMs, NCFs, RDATA and NAKs for PGM routers).
//   - A subscriber follows at most 1024 sources at once and ignores the
//     packets of further ones until one expires; packets that are
//     malformed, fail their checksum or lie about their window are counted
//     and ignored.
//
// # On the wire
//
// epgm subscribers bind GROUP:PORT (with SO_REUSEADDR and SO_REUSEPORT, as
// OpenPGM does, so that several, zmqkit's and libzmq's, may
// share it) and send NAKs and SPM requests from an ephemeral port of
// IFACE's address; publishers bind IFACE's address at PORT, where NAKs
// arrive, and GROUP:PORT too, where subscribers also send their SPM
// requests: as OpenPGM's sources, they answer every request at once, ahead
// of queued data. A publisher's transport session id is a random GSI and
// source port. Sequence numbers start at 0 and wrap around.
package pgm
