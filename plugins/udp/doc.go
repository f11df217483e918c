// Package udp is the udp:// transport for RADIO, DISH and DGRAM sockets,
// as libzmq's udp transport (zmq_udp): one message per datagram, no
// handshake, no security, no connection events.
//
// Importing the package registers it in registry.Default:
//
//	import _ "github.com/zmqkit/zmqkit/plugins/udp"
//
// Endpoints, as libzmq resolves them:
//
//	udp://HOST:PORT               RADIO connect: unicast (DNS allowed) or multicast destination
//	udp://IFACE;GROUP:PORT        RADIO connect: multicast GROUP sent through IFACE
//	udp://*:PORT, udp://IP:PORT   DISH/DGRAM bind: unicast (PORT 0 or * picks a free port)
//	udp://NIC:PORT                DISH/DGRAM bind: the address of network interface NIC
//	udp://GROUP:PORT              DISH bind: joins multicast GROUP on the default interface
//	udp://IFACE;GROUP:PORT        DISH bind: joins multicast GROUP on IFACE
//
// IFACE is "*", an IP address or an interface name ("eth0"); it must not be
// a multicast address, and a ";" source requires a multicast destination
// (else transport.ErrInvalidEndpoint). IPv6 multicast needs an interface
// name. Bound sockets set SO_REUSEADDR (and SO_REUSEPORT for multicast),
// so several DISHes can share a multicast port.
//
// The datagram layout is the core's business (core.dgramEngine): RADIO and
// DISH use [1 octet group length][group][body] in at most 8192 octets, so
// they talk to libzmq's RADIO and DISH; DGRAM sends bodies alone, the
// peer's "ip:port" travelling beside them.
//
// Multicast options come through transport.Config.Extra: "multicast_hops"
// (int, IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS; default 1) and
// "multicast_loop" (bool, default true), as ZMQ_MULTICAST_HOPS and
// ZMQ_MULTICAST_LOOP.
package udp
