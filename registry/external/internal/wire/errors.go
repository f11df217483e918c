package wire

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"

	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// Error is an error crossing the process boundary: its message, the
// sentinels it wraps, its errno, and the mechanism error types the core
// looks for with errors.As.
type Error struct {
	Msg     string
	Is      []string                 `json:",omitempty"`
	Errno   int                      `json:",omitempty"`
	Timeout bool                     `json:",omitempty"`
	Proto   *mechanism.ProtocolError `json:",omitempty"`
	Auth    *mechanism.AuthError     `json:",omitempty"`
	// HSCode is the Code of a *transport.HandshakeError.
	HSCode *uint32 `json:",omitempty"`
}

// sentinels are the errors whose identity crosses, by name.
var sentinels = []struct {
	name string
	err  error
}{
	{"closed", transport.ErrClosed},
	{"invalid-endpoint", transport.ErrInvalidEndpoint},
	{"addr-in-use", transport.ErrAddrInUse},
	{"addr-not-available", transport.ErrAddrNotAvailable},
	{"no-device", transport.ErrNoDevice},
	{"name-too-long", transport.ErrNameTooLong},
	{"not-supported", transport.ErrNotSupported},
	{"protocol", transport.ErrProtocol},
	{"no-zap-handler", mechanism.ErrNoZAPHandler},
	{"deadline", context.DeadlineExceeded},
	{"canceled", context.Canceled},
	{"eof", io.EOF},
	{"os-deadline", os.ErrDeadlineExceeded},
}

// FromError encodes err (nil for nil).
func FromError(err error) *Error {
	if err == nil {
		return nil
	}
	w := &Error{Msg: err.Error()}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			w.Is = append(w.Is, s.name)
		}
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		w.Errno = int(errno)
	}
	var to interface{ Timeout() bool }
	if errors.As(err, &to) && to.Timeout() {
		w.Timeout = true
	}
	var pe *mechanism.ProtocolError
	if errors.As(err, &pe) {
		w.Proto = &mechanism.ProtocolError{Code: pe.Code, Msg: pe.Msg}
	}
	var ae *mechanism.AuthError
	if errors.As(err, &ae) {
		w.Auth = &mechanism.AuthError{Status: ae.Status, Text: ae.Text}
	}
	var he *transport.HandshakeError
	if errors.As(err, &he) {
		code := he.Code
		w.HSCode = &code
	}
	return w
}

// ToError decodes w (nil for nil).
func (w *Error) ToError() error {
	if w == nil {
		return nil
	}
	r := &RemoteError{msg: w.Msg, timeout: w.Timeout}
	for _, name := range w.Is {
		for _, s := range sentinels {
			if s.name == name {
				r.wrapped = append(r.wrapped, s.err)
			}
		}
	}
	if w.Errno != 0 {
		r.wrapped = append(r.wrapped, syscall.Errno(w.Errno))
	}
	if w.Proto != nil {
		r.wrapped = append(r.wrapped, w.Proto)
	}
	if w.Auth != nil {
		r.wrapped = append(r.wrapped, w.Auth)
	}
	if w.HSCode != nil {
		// errors.As finds the code; its Err is the plugin's message
		return &transport.HandshakeError{Code: *w.HSCode, Err: r}
	}
	return r
}

// RemoteError is an error that happened in a plugin. Its message is the
// plugin's; errors.Is and errors.As see the sentinels, errno and
// mechanism errors it wrapped there.
type RemoteError struct {
	msg     string
	timeout bool
	wrapped []error
}

// Error returns the remote side's error text.
func (e *RemoteError) Error() string { return e.msg }

// Unwrap returns the errors it wraps.
func (e *RemoteError) Unwrap() []error { return e.wrapped }

// Timeout reports whether the error was a timeout.
func (e *RemoteError) Timeout() bool { return e.timeout }
