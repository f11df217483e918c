package zmtp

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zmqkit/zmqkit/registry/mechanism"
)

// Command names libzmq understands.
const (
	CmdReady     = "READY"
	CmdError     = "ERROR"
	CmdHello     = "HELLO"
	CmdWelcome   = "WELCOME"
	CmdInitiate  = "INITIATE"
	CmdMessage   = "MESSAGE"
	CmdPing      = "PING"
	CmdPong      = "PONG"
	CmdSubscribe = "SUBSCRIBE"
	CmdCancel    = "CANCEL"
	CmdJoin      = "JOIN"
	CmdLeave     = "LEAVE"
)

// ErrBadCommand is wrapped by command and metadata parse errors.
var ErrBadCommand = errors.New("zmtp: malformed command")

// ErrBadMetadata is wrapped by property list parse errors.
var ErrBadMetadata = errors.New("zmtp: malformed metadata")

// AppendCommand appends a command body: name length, name, data.
func AppendCommand(dst []byte, name string, data []byte) []byte {
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	return append(dst, data...)
}

// ParseCommand splits a command body into its name and data. The name
// aliases body.
func ParseCommand(body []byte) (name, data []byte, err error) {
	if len(body) < 1 || int(body[0])+1 > len(body) || body[0] == 0 {
		return nil, nil, fmt.Errorf("%w: bad name length", ErrBadCommand)
	}
	n := int(body[0])
	return body[1 : 1+n], body[1+n:], nil
}

// IsCommand reports whether body is the command called name.
func IsCommand(body []byte, name string) bool {
	return len(body) >= 1+len(name) && int(body[0]) == len(name) && string(body[1:1+len(name)]) == name
}

// AppendProperty appends one metadata property.
func AppendProperty(dst []byte, name string, value []byte) []byte {
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(value)))
	return append(dst, value...)
}

// AppendProperties appends a property list.
func AppendProperties(dst []byte, props []mechanism.Property) []byte {
	for _, p := range props {
		dst = AppendProperty(dst, p.Name, p.Value)
	}
	return dst
}

// ParseProperties parses a property list; trailing garbage is an error.
// Values are copied.
func ParseProperties(b []byte) ([]mechanism.Property, error) {
	var props []mechanism.Property
	for len(b) > 0 {
		n := int(b[0])
		if n == 0 || len(b) < 1+n+4 {
			return nil, fmt.Errorf("%w: truncated property name", ErrBadMetadata)
		}
		name := string(b[1 : 1+n])
		vl := binary.BigEndian.Uint32(b[1+n : 5+n])
		b = b[5+n:]
		if uint64(vl) > uint64(len(b)) {
			return nil, fmt.Errorf("%w: property %q value length %d", ErrBadMetadata, name, vl)
		}
		props = append(props, mechanism.Property{Name: name, Value: append([]byte(nil), b[:vl]...)})
		b = b[vl:]
	}
	return props, nil
}

// AppendReady appends a READY command body with props.
func AppendReady(dst []byte, props []mechanism.Property) []byte {
	dst = AppendCommand(dst, CmdReady, nil)
	return AppendProperties(dst, props)
}

// AppendError appends an ERROR command body with reason (at most 255 octets).
func AppendError(dst []byte, reason string) []byte {
	if len(reason) > 255 {
		reason = reason[:255]
	}
	dst = AppendCommand(dst, CmdError, nil)
	dst = append(dst, byte(len(reason)))
	return append(dst, reason...)
}

// ParseError returns the reason of an ERROR command's data.
func ParseError(data []byte) (string, error) {
	if len(data) < 1 || int(data[0])+1 != len(data) {
		return "", fmt.Errorf("%w: ERROR reason", ErrBadCommand)
	}
	return string(data[1:]), nil
}

// AppendPing appends a PING body: TTL in deciseconds and context (at most 16
// octets are kept, as libzmq).
func AppendPing(dst []byte, ttlDeciseconds uint16, context []byte) []byte {
	dst = AppendCommand(dst, CmdPing, nil)
	dst = binary.BigEndian.AppendUint16(dst, ttlDeciseconds)
	if len(context) > 16 {
		context = context[:16]
	}
	return append(dst, context...)
}

// ParsePing returns a PING's TTL in deciseconds and its context.
func ParsePing(data []byte) (ttl uint16, context []byte, err error) {
	if len(data) < 2 {
		return 0, nil, fmt.Errorf("%w: PING too short", ErrBadCommand)
	}
	return binary.BigEndian.Uint16(data), data[2:], nil
}

// AppendPong appends a PONG body echoing up to 16 octets of context.
func AppendPong(dst []byte, context []byte) []byte {
	if len(context) > 16 {
		context = context[:16]
	}
	return AppendCommand(dst, CmdPong, context)
}
