package core

// Msg is a whole ZeroMQ message: one or more frames sent and received as one
// value, so concurrent senders never interleave parts. Received messages
// also carry the connection's properties (zmq_msg_gets).
type Msg struct {
	// Frames are the message parts, in order.
	Frames [][]byte

	props *Properties // connection metadata, shared per connection
	// buf and fr are storage owned by the library, recycled by RecvMsg.
	buf   []byte
	fr    [][]byte
	kind  msgKind
	owned bool // SendMsg: the socket may keep this Msg's memory

	routingID uint32 // SERVER/PEER: the peer this message is from or to (0: none)
	group     string // RADIO/DISH: the message's group
}

// msgKind marks messages the core treats specially on the wire.
type msgKind uint8

const (
	kindData      msgKind = iota
	kindSubscribe         // "\x01topic" from SUB: a SUBSCRIBE command to ZMTP 3.1 peers
	kindCancel            // "\x00topic" from SUB: a CANCEL command to ZMTP 3.1 peers
	kindJoin              // DISH joins Msg.group: a JOIN command on the wire
	kindLeave             // DISH leaves Msg.group: a LEAVE command on the wire
)

// MaxGroupLen is the longest group name RADIO and DISH accept
// (ZMQ_GROUP_MAX_LENGTH).
const MaxGroupLen = 255

// RoutingID returns the routing id of a message received on a SERVER or
// PEER socket: the connection it came from (zmq_msg_routing_id). 0 means
// none.
func (m Msg) RoutingID() uint32 { return m.routingID }

// SetRoutingID sets the routing id a SERVER or PEER socket sends the
// message to (zmq_msg_set_routing_id). 0 is not a valid id: ErrInvalid.
func (m *Msg) SetRoutingID(id uint32) error {
	if id == 0 {
		return invalid("routing id 0")
	}
	m.routingID = id
	return nil
}

// Group returns the group of a message received on a DISH socket
// (zmq_msg_group).
func (m Msg) Group() string { return m.group }

// SetGroup sets the group a RADIO socket publishes the message to
// (zmq_msg_set_group). Names longer than MaxGroupLen bytes: ErrInvalid.
func (m *Msg) SetGroup(group string) error {
	if len(group) > MaxGroupLen {
		return invalid("group longer than %d bytes", MaxGroupLen)
	}
	m.group = group
	return nil
}

// setFrames copies prefix and frames into m's own storage.
func (m *Msg) setFrames(prefix, frames [][]byte) {
	total := 0
	for _, f := range prefix {
		total += len(f)
	}
	for _, f := range frames {
		total += len(f)
	}
	if cap(m.buf) < total {
		m.buf = make([]byte, 0, total+total/4)
	}
	nf := len(prefix) + len(frames)
	if cap(m.fr) < nf {
		m.fr = make([][]byte, nf, nf+2)
	}
	m.fr = m.fr[:nf]
	buf := m.buf[:0]
	i := 0
	for _, f := range prefix {
		s := len(buf)
		buf = append(buf, f...)
		m.fr[i] = buf[s:len(buf):len(buf)]
		i++
	}
	for _, f := range frames {
		s := len(buf)
		buf = append(buf, f...)
		m.fr[i] = buf[s:len(buf):len(buf)]
		i++
	}
	m.buf = buf
	m.Frames = m.fr
	m.props = nil
}

// swap exchanges contents and storage of m and o.
func (m *Msg) swap(o *Msg) { *m, *o = *o, *m }

// reset empties m, keeping its storage.
func (m *Msg) reset() {
	m.Frames = m.fr[:0]
	m.props = nil
	m.kind = kindData
	m.routingID = 0
	m.group = ""
}

// NewMsg returns a message made of frames (not copied).
func NewMsg(frames ...[]byte) Msg { return Msg{Frames: frames} }

// NewMsgString returns a message made of string frames.
func NewMsgString(frames ...string) Msg {
	m := Msg{Frames: make([][]byte, len(frames))}
	for i, f := range frames {
		m.Frames[i] = []byte(f)
	}
	return m
}

// InitSize makes m a message of frames of the given sizes, reusing m's
// storage, as zmq_msg_init_size does: the frames' contents are
// unspecified. With SendMsg and RecvMsg it gives a send/receive loop that
// neither copies nor allocates.
func (m *Msg) InitSize(sizes ...int) {
	total := 0
	for _, n := range sizes {
		total += n
	}
	if cap(m.buf) < total {
		m.buf = make([]byte, total)
	}
	m.buf = m.buf[:total]
	if cap(m.fr) < len(sizes) {
		m.fr = make([][]byte, len(sizes))
	}
	m.fr = m.fr[:len(sizes)]
	off := 0
	for i, n := range sizes {
		m.fr[i] = m.buf[off : off+n : off+n]
		off += n
	}
	m.Frames = m.fr
	m.props = nil
	m.kind = kindData
	m.routingID = 0
	m.group = ""
}

// Len returns the total payload size of all frames.
func (m Msg) Len() int {
	n := 0
	for _, f := range m.Frames {
		n += len(f)
	}
	return n
}

// Move makes m the message src was and leaves src empty
// (zmq_msg_move): m takes src's frames, properties, routing id, group and
// storage, so a later RecvMsg into m reuses that storage. The message m
// held before is dropped.
func (m *Msg) Move(src *Msg) {
	if m == src {
		return
	}
	*m = *src
	*src = Msg{}
}

// Names of the connection properties Property knows besides the
// application's "X-" metadata (ZMQ_MSG_PROPERTY_*).
const (
	PropertySocketType  = "Socket-Type"  // ZMQ_MSG_PROPERTY_SOCKET_TYPE: the peer's socket type, "DEALER"
	PropertyRoutingID   = "Routing-Id"   // ZMQ_MSG_PROPERTY_ROUTING_ID: the peer's routing id ("Identity" too)
	PropertyUserID      = "User-Id"      // ZMQ_MSG_PROPERTY_USER_ID: the user ZAP authenticated
	PropertyPeerAddress = "Peer-Address" // ZMQ_MSG_PROPERTY_PEER_ADDRESS: the peer's IP address, no port
)

// Property returns a connection property of a received message, as
// zmq_msg_gets: "Socket-Type", "Identity" (alias "Routing-Id"),
// "Peer-Address", "User-Id", and the peer's "X-" application metadata and
// ZAP metadata. Names are case-sensitive, as in libzmq.
func (m Msg) Property(name string) (string, bool) {
	if m.props == nil {
		return "", false
	}
	return m.props.Get(name)
}

// Properties returns all connection properties of a received message.
func (m Msg) Properties() *Properties { return m.props }

// Clone returns a deep copy of m that shares no memory with it.
func (m Msg) Clone() Msg {
	n := 0
	for _, f := range m.Frames {
		n += len(f)
	}
	buf := make([]byte, 0, n)
	c := Msg{Frames: make([][]byte, len(m.Frames)), props: m.props, routingID: m.routingID, group: m.group}
	for i, f := range m.Frames {
		s := len(buf)
		buf = append(buf, f...)
		c.Frames[i] = buf[s:len(buf):len(buf)]
	}
	return c
}

// Properties are a connection's metadata properties, in the order received.
type Properties struct {
	names  []string
	values []string
}

// Get returns the value of name. "Routing-Id" falls back to "Identity" and
// the other way round.
func (p *Properties) Get(name string) (string, bool) {
	if v, ok := p.lookup(name); ok {
		return v, true
	}
	switch name {
	case "Routing-Id":
		return p.lookup("Identity")
	case "Identity":
		return p.lookup("Routing-Id")
	}
	return "", false
}

// lookup is Get without the aliases.
func (p *Properties) lookup(name string) (string, bool) {
	if p == nil {
		return "", false
	}
	for i, n := range p.names {
		if n == name {
			return p.values[i], true
		}
	}
	return "", false
}

// Names lists the property names, in order.
func (p *Properties) Names() []string {
	if p == nil {
		return nil
	}
	return append([]string(nil), p.names...)
}

func (p *Properties) set(name, value string) {
	for i, n := range p.names {
		if n == name {
			p.values[i] = value
			return
		}
	}
	p.names = append(p.names, name)
	p.values = append(p.values, value)
}
