// Package zmtp is the ZeroMQ Message Transport Protocol codec shared by the
// zmqkit core and by plugins: the greeting, frame headers in the ZMTP 3.x,
// 2.0 and 1.0 framings, command bodies and metadata properties. It does no
// I/O of its own beyond the buffered Reader, allocates nothing per frame,
// and checks every length before it trusts it.
//
// # Protocol notes (RFC 23 ZMTP/3.0, RFC 37 ZMTP/3.1, RFC 15, RFC 13)
//
// Greeting, 64 octets: 0xFF, 8 octets of padding (libzmq puts its routing-id
// length + 1 there, big-endian, so a ZMTP/1.0 peer reads an identity frame
// header), 0x7F, major 3, minor 1, the mechanism name NUL-padded to 20
// octets, the as-server octet, 31 octets of filler. libzmq sends the first
// 10 octets, waits for the peer's 10, sends the major version, waits for the
// peer's major, and only then sends the rest; a peer must never wait for a
// whole greeting before sending its own first 11 octets. Detection of an
// older peer: a first octet other than 0xFF, or octet 9 with its low bit
// clear, is ZMTP/1.0; a major version of 0 is 1.0, 1 is 2.0, anything else
// is 3.x (minor 0 is 3.0, otherwise 3.1).
//
// ZMTP 3.x / 2.0 frames: a flags octet (bit 0 MORE, bit 1 LONG, bit 2
// COMMAND; 2.0 has no COMMAND) then a 1-octet size, or an 8-octet
// big-endian size when LONG. libzmq uses LONG iff the size exceeds 255.
//
// ZMTP 1.0 frames: a length that counts the flags octet too, in 1 octet
// when below 255 or 0xFF followed by 8 octets, then the flags octet (bit 0
// MORE), then the body.
//
// Commands (3.x): the body of a COMMAND frame is a 1-octet name length, the
// name, and the command data. READY and INITIATE data is a list of
// properties: 1-octet name length, name, 4-octet big-endian value length,
// value. PING carries a 2-octet TTL in deciseconds and up to 16 octets of
// context; PONG echoes the context. SUBSCRIBE and CANCEL (3.1) carry the
// topic; 3.0 peers use data frames whose first octet is 1 or 0 instead.
package zmtp
