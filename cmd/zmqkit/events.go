package main

import (
	"fmt"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// protocolErrors names the ZMQ_PROTOCOL_ERROR_* codes.
var protocolErrors = map[uint32]string{
	core.ProtocolErrorZMTPUnspecified:                 "ZMTP_UNSPECIFIED",
	core.ProtocolErrorZMTPUnexpectedCommand:           "ZMTP_UNEXPECTED_COMMAND",
	core.ProtocolErrorZMTPInvalidSequence:             "ZMTP_INVALID_SEQUENCE",
	core.ProtocolErrorZMTPKeyExchange:                 "ZMTP_KEY_EXCHANGE",
	core.ProtocolErrorZMTPMalformedCommandUnspecified: "ZMTP_MALFORMED_COMMAND_UNSPECIFIED",
	core.ProtocolErrorZMTPMalformedCommandMessage:     "ZMTP_MALFORMED_COMMAND_MESSAGE",
	core.ProtocolErrorZMTPMalformedCommandHello:       "ZMTP_MALFORMED_COMMAND_HELLO",
	core.ProtocolErrorZMTPMalformedCommandInitiate:    "ZMTP_MALFORMED_COMMAND_INITIATE",
	core.ProtocolErrorZMTPMalformedCommandError:       "ZMTP_MALFORMED_COMMAND_ERROR",
	core.ProtocolErrorZMTPMalformedCommandReady:       "ZMTP_MALFORMED_COMMAND_READY",
	core.ProtocolErrorZMTPMalformedCommandWelcome:     "ZMTP_MALFORMED_COMMAND_WELCOME",
	core.ProtocolErrorZMTPInvalidMetadata:             "ZMTP_INVALID_METADATA",
	core.ProtocolErrorZMTPCryptographic:               "ZMTP_CRYPTOGRAPHIC",
	core.ProtocolErrorZMTPMechanismMismatch:           "ZMTP_MECHANISM_MISMATCH",
	core.ProtocolErrorZAPUnspecified:                  "ZAP_UNSPECIFIED",
	core.ProtocolErrorZAPMalformedReply:               "ZAP_MALFORMED_REPLY",
	core.ProtocolErrorZAPBadRequestID:                 "ZAP_BAD_REQUEST_ID",
	core.ProtocolErrorZAPBadVersion:                   "ZAP_BAD_VERSION",
	core.ProtocolErrorZAPInvalidStatusCode:            "ZAP_INVALID_STATUS_CODE",
	core.ProtocolErrorZAPInvalidMetadata:              "ZAP_INVALID_METADATA",
	core.ProtocolErrorWSUnspecified:                   "WS_UNSPECIFIED",
}

// protocolHints says what a protocol error usually means in practice.
var protocolHints = map[uint32]string{
	core.ProtocolErrorZMTPMechanismMismatch: "the peers use different security mechanisms (NULL, PLAIN, CURVE) or both are servers/clients",
	core.ProtocolErrorZMTPCryptographic:     "a CURVE box did not open: wrong server public key, or wrong keys",
	core.ProtocolErrorZMTPKeyExchange:       "CURVE key exchange failed: wrong keys",
	core.ProtocolErrorZMTPUnexpectedCommand: "the peer broke the handshake order (incompatible socket types or not ZeroMQ?)",
	core.ProtocolErrorZMTPInvalidMetadata:   "bad metadata, often incompatible socket types",
}

// zapStatus names ZAP status codes.
var zapStatus = map[int]string{
	200: "200 OK", 300: "300 temporary error", 400: "400 authentication refused", 500: "500 internal error in the ZAP handler",
}

// errnoName gives the symbolic name of an errno where we know it.
func errnoName(e syscall.Errno) string {
	if e == 0 {
		return ""
	}
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return fmt.Sprintf("errno %d", int(e))
}

// eventInfo is a monitor event in the form zmqkit prints it.
type eventInfo struct {
	Time     string `json:"time"`
	Event    string `json:"event"`
	Value    uint64 `json:"value"`
	Endpoint string `json:"endpoint,omitempty"`
	Local    string `json:"local,omitempty"`
	Remote   string `json:"remote,omitempty"`
	Detail   string `json:"detail,omitempty"` // decoded value: errno, interval, protocol error, ZAP status
	Error    string `json:"error,omitempty"`  // the error behind a failure
	Hint     string `json:"hint,omitempty"`
}

// describe decodes ev.
func describe(ev core.MonitorEvent) eventInfo {
	ts := ev.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	in := eventInfo{
		Time: ts.Format("15:04:05.000000"), Event: ev.Event.String(), Value: ev.Value,
		Endpoint: ev.Endpoint, Local: ev.Local, Remote: ev.Remote,
	}
	if ev.Err != nil {
		in.Error = ev.Err.Error()
	}
	errno := ev.Errno
	switch ev.Event {
	case core.EventConnectRetried:
		iv := ev.Interval
		if iv == 0 {
			iv = time.Duration(ev.Value) * time.Millisecond
		}
		in.Detail = "retry in " + iv.Round(time.Millisecond).String()
	case core.EventConnectDelayed:
		if errno == 0 {
			errno = syscall.Errno(ev.Value)
		}
		in.Detail = errnoName(errno)
	case core.EventBindFailed, core.EventAcceptFailed, core.EventCloseFailed, core.EventHandshakeFailedNoDetail:
		if errno == 0 {
			errno = syscall.Errno(ev.Value)
		}
		in.Detail = errnoName(errno)
		switch errno {
		case syscall.EADDRINUSE:
			in.Hint = "something else is bound to this address"
		case syscall.EFAULT:
			in.Hint = "no ZAP handler: a PLAIN server needs users (--plain-allow/--plain-users)"
		case syscall.ETIMEDOUT, syscall.EAGAIN:
			in.Hint = "the peer did not finish the handshake in time (not ZeroMQ, or a different mechanism/version?)"
		case syscall.EPIPE, syscall.ECONNRESET:
			if ev.Event == core.EventHandshakeFailedNoDetail {
				in.Hint = "the peer hung up during the handshake: it refused us (wrong CURVE server key or credentials?) or is not ZeroMQ"
			}
		}
	case core.EventHandshakeFailedProtocol:
		code := ev.ProtocolError
		if code == 0 {
			code = uint32(ev.Value)
		}
		if n, ok := protocolErrors[code]; ok {
			in.Detail = n
		} else {
			in.Detail = fmt.Sprintf("%#x", code)
		}
		in.Hint = protocolHints[code]
	case core.EventHandshakeFailedAuth:
		st := ev.AuthStatus
		if st == 0 {
			st = int(ev.Value)
		}
		in.Detail = zapStatus[st]
		if in.Detail == "" {
			in.Detail = fmt.Sprint(st)
		}
		in.Hint = "the server's ZAP handler refused these credentials (user/password or client key)"
	case core.EventDisconnected:
		if errno != 0 {
			in.Detail = errnoName(errno)
		}
	case core.EventClosed:
		if errno != 0 {
			in.Detail = errnoName(errno)
		}
		if ev.Err != nil && strings.Contains(ev.Err.Error(), "refused") {
			in.Hint = "nothing is listening there"
		}
	}
	if ev.Event == core.EventConnectRetried && ev.Err != nil {
		if strings.Contains(ev.Err.Error(), "refused") {
			in.Hint = "nothing is listening there"
		}
	}
	return in
}

// line formats an event for people.
func (in eventInfo) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-27s", in.Time, in.Event)
	ep := in.Endpoint
	if in.Remote != "" && in.Remote != ep {
		ep += " peer " + in.Remote
	}
	if ep != "" {
		b.WriteString(" " + ep)
	}
	if in.Detail != "" {
		b.WriteString(" " + in.Detail)
	}
	if in.Error != "" && !strings.Contains(in.Detail, in.Error) {
		b.WriteString(" (" + in.Error + ")")
	}
	if in.Hint != "" {
		b.WriteString(" -- " + in.Hint)
	}
	return b.String()
}

// problem is a short description of an event that explains a failure to
// communicate, or "" for an ordinary event.
func problem(ev core.MonitorEvent) string {
	switch ev.Event {
	case core.EventHandshakeFailedNoDetail, core.EventHandshakeFailedProtocol, core.EventHandshakeFailedAuth,
		core.EventBindFailed, core.EventAcceptFailed:
	case core.EventConnectRetried, core.EventClosed:
		if ev.Err == nil {
			return ""
		}
	default:
		return ""
	}
	in := describe(ev)
	s := in.Endpoint + ": " + in.Event
	if in.Detail != "" {
		s += ": " + in.Detail
	}
	if in.Error != "" && !strings.Contains(in.Detail, in.Error) {
		s += " (" + in.Error + ")"
	}
	if in.Hint != "" {
		s += " -- " + in.Hint
	}
	return s
}

// eventNames lists the event names monitor's --events takes.
func eventNames() []string {
	var out []string
	for b := core.EventConnected; b <= core.EventPipesStats; b <<= 1 {
		n := b.String()
		if strings.HasPrefix(n, "0x") {
			continue
		}
		out = append(out, strings.ToLower(n))
	}
	return out
}

// parseEvents reads a comma-separated list of event names ("all" too).
func parseEvents(s string) (core.Event, error) {
	var ev core.Event
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if strings.EqualFold(n, "all") {
			ev |= core.EventAllV2
			continue
		}
		found := false
		for b := core.EventConnected; b <= core.EventPipesStats; b <<= 1 {
			if strings.EqualFold(b.String(), strings.TrimPrefix(strings.ToUpper(n), "ZMQ_EVENT_")) {
				ev |= b
				found = true
			}
		}
		if !found {
			return 0, usagef("unknown event %q (one of all, %s)", n, strings.Join(eventNames(), ", "))
		}
	}
	return ev, nil
}

func sortStrings(s []string) { sort.Strings(s) }
