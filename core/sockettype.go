package core

// SocketType is a ZeroMQ socket type; the values are libzmq's ZMQ_* numbers.
type SocketType int

// Socket types. The draft thread-safe types (SERVER ... CHANNEL) are
// numbered as libzmq's draft API numbers them.
const (
	PAIR    SocketType = 0  // ZMQ_PAIR
	PUB     SocketType = 1  // ZMQ_PUB
	SUB     SocketType = 2  // ZMQ_SUB
	REQ     SocketType = 3  // ZMQ_REQ
	REP     SocketType = 4  // ZMQ_REP
	DEALER  SocketType = 5  // ZMQ_DEALER
	ROUTER  SocketType = 6  // ZMQ_ROUTER
	PULL    SocketType = 7  // ZMQ_PULL
	PUSH    SocketType = 8  // ZMQ_PUSH
	XPUB    SocketType = 9  // ZMQ_XPUB
	XSUB    SocketType = 10 // ZMQ_XSUB
	STREAM  SocketType = 11 // ZMQ_STREAM
	SERVER  SocketType = 12 // ZMQ_SERVER (draft)
	CLIENT  SocketType = 13 // ZMQ_CLIENT (draft)
	RADIO   SocketType = 14 // ZMQ_RADIO (draft)
	DISH    SocketType = 15 // ZMQ_DISH (draft)
	GATHER  SocketType = 16 // ZMQ_GATHER (draft)
	SCATTER SocketType = 17 // ZMQ_SCATTER (draft)
	DGRAM   SocketType = 18 // ZMQ_DGRAM (draft)
	PEER    SocketType = 19 // ZMQ_PEER (draft)
	CHANNEL SocketType = 20 // ZMQ_CHANNEL (draft)
)

var socketTypeNames = [...]string{
	"PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH",
	"XPUB", "XSUB", "STREAM", "SERVER", "CLIENT", "RADIO", "DISH", "GATHER",
	"SCATTER", "DGRAM", "PEER", "CHANNEL",
}

// String returns the ZMTP Socket-Type name ("DEALER", ...).
func (t SocketType) String() string {
	if t >= 0 && int(t) < len(socketTypeNames) {
		return socketTypeNames[t]
	}
	return "UNKNOWN"
}

// compatible lists, for each type, the peer types it accepts (libzmq's
// mechanism_t::check_socket_type).
var compatible = map[SocketType][]SocketType{
	PAIR:    {PAIR},
	PUB:     {SUB, XSUB},
	SUB:     {PUB, XPUB},
	REQ:     {REP, ROUTER},
	REP:     {REQ, DEALER},
	DEALER:  {REP, DEALER, ROUTER},
	ROUTER:  {REQ, DEALER, ROUTER},
	PULL:    {PUSH},
	PUSH:    {PULL},
	XPUB:    {SUB, XSUB},
	XSUB:    {PUB, XPUB},
	SERVER:  {CLIENT},
	CLIENT:  {SERVER},
	RADIO:   {DISH},
	DISH:    {RADIO},
	GATHER:  {SCATTER},
	SCATTER: {GATHER},
	DGRAM:   {DGRAM},
	PEER:    {PEER},
	CHANNEL: {CHANNEL},
}

// Compatible reports whether a socket of type t accepts a peer whose ZMTP
// Socket-Type is peer.
func (t SocketType) Compatible(peer string) bool {
	for _, p := range compatible[t] {
		if p.String() == peer {
			return true
		}
	}
	return false
}

// ThreadSafe reports whether the type is one of libzmq's thread-safe draft
// types. (Every zmqkit socket is safe for concurrent use; this mirrors
// ZMQ_THREAD_SAFE.)
func (t SocketType) ThreadSafe() bool {
	switch t {
	case SERVER, CLIENT, RADIO, DISH, GATHER, SCATTER, PEER, CHANNEL:
		return true
	}
	return false
}

// canSend reports whether the type sends messages at all (libzmq's xsend
// of PULL, SUB, DISH and GATHER fails with ENOTSUP).
func (t SocketType) canSend() bool {
	switch t {
	case PULL, SUB, DISH, GATHER:
		return false
	}
	return true
}
