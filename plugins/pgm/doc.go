// Package pgm is the pgm:// and epgm:// transport: reliable multicast for
// PUB, XPUB, SUB and XSUB sockets with PGM (RFC 3208), wire-compatible
// with libzmq's OpenPGM transport. epgm carries PGM in UDP datagrams and
// needs no privileges; pgm uses raw IP (protocol 113) and needs
// CAP_NET_RAW.
//
// A publisher multicasts each message once to a group; every subscriber
// on the LAN that joined the group receives it, asks (NAK) for what it
// lost, and gets repairs from the publisher's transmit window. Messages
// travel in libzmq's framing (ZMTP/1.0 frames behind a 16-bit offset in
// each packet), so zmqkit and libzmq publishers and subscribers mix.
package pgm
