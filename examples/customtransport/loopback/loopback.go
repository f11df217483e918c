// Package loopback is an example third-party transport for zmqkit,
// written only against registry/...: "loopback://PORT" is ZMTP over TCP
// on 127.0.0.1, nothing else. Importing it registers it in
// registry.Default; New returns one for any other registry or for a
// plugin binary (registry/external/serve), so the same code runs compiled
// in and out of process.
//
// Endpoints: bind "loopback://PORT" (PORT "*" or 0 picks one; the
// listener's endpoint gives the result), connect "loopback://PORT".
// Options: none. Monitor events: LISTENING, BIND_FAILED, ACCEPTED,
// ACCEPT_FAILED, CLOSED, CONNECTED (CLOSED for a failed connect), as the tcp transport reports them.
package loopback

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/sockio"
)

const scheme = "loopback"

func init() { registry.RegisterTransport(New()) }

// New returns the transport.
func New() transport.Transport { return loopbackTransport{} }

type loopbackTransport struct{}

func (loopbackTransport) Schemes() []string    { return []string{scheme} }
func (loopbackTransport) Kind() transport.Kind { return transport.KindStream }

// CheckDial makes Connect fail at once on a malformed endpoint.
func (loopbackTransport) CheckDial(_, addr string) error {
	_, err := port(addr, false)
	return err
}

func port(addr string, bind bool) (int, error) {
	if bind && addr == "*" {
		return 0, nil
	}
	p, err := strconv.Atoi(addr)
	if err != nil || p < 0 || p > 65535 || !bind && p == 0 {
		return 0, fmt.Errorf("%w: loopback://%s: want a port number", transport.ErrInvalidEndpoint, addr)
	}
	return p, nil
}

func endpoint(a net.Addr) string {
	return scheme + "://" + strconv.Itoa(a.(*net.TCPAddr).Port)
}

// wrap makes a zmqkit connection of a TCP connection: sockio.Conn writes
// with writev, reads with readv, and is a transport.DirectConn, so out of
// process its descriptor is handed to the host.
func wrap(c net.Conn) *sockio.Conn {
	c.(*net.TCPConn).SetNoDelay(true)
	return sockio.NewConn(c, endpoint(c.LocalAddr()), endpoint(c.RemoteAddr()), "127.0.0.1")
}

func (loopbackTransport) Listen(ctx context.Context, _, addr string, cfg *transport.Config) (transport.Listener, error) {
	p, err := port(addr, true)
	if err == nil {
		var nl net.Listener
		var lc net.ListenConfig
		if nl, err = lc.Listen(ctx, "tcp4", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			l := sockio.NewListener(nl.(*net.TCPListener), sockio.ListenerConfig{
				Scheme: scheme, Endpoint: endpoint(nl.Addr()), FD: sockio.FD(nl.(*net.TCPListener)),
				Config: cfg, Wrap: wrap,
			})
			cfg.Emit(transport.Event{Kind: transport.EventListening, Endpoint: l.Endpoint(), FD: l.FD()})
			return l, nil
		}
		err = sockio.OpError(scheme, "bind", scheme+"://"+addr, err)
	}
	cfg.Emit(transport.Event{Kind: transport.EventBindFailed, Endpoint: scheme + "://" + addr, FD: -1, Errno: sockio.Errno(err), Err: err})
	return nil, err
}

func (loopbackTransport) Dial(ctx context.Context, _, addr string, cfg *transport.Config) (transport.Conn, error) {
	p, err := port(addr, false)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp4", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		// libzmq reports a failed connect as CLOSED
		cfg.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: scheme + "://" + addr, FD: -1, Err: err})
		return nil, sockio.OpError(scheme, "connect", scheme+"://"+addr, err)
	}
	conn := wrap(c)
	cfg.Emit(transport.Event{Kind: transport.EventConnected, Endpoint: scheme + "://" + addr,
		Local: conn.LocalAddress(), Remote: conn.RemoteAddress(), FD: conn.FD()})
	return conn, nil
}
