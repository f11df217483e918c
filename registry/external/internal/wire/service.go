package wire

import (
	"context"

	"google.golang.org/grpc"
)

// ServiceName is the gRPC service of a zmqkit plugin.
const ServiceName = "zmqkit.plugin.v1.Plugin"

// Server is what a plugin implements.
type Server interface {
	Describe(context.Context, *DescribeRequest) (*DescribeReply, error)
	Ping(context.Context, *PingRequest) (*PingReply, error)
	Listen(context.Context, *ListenRequest) (*ListenReply, error)
	Accept(context.Context, *AcceptRequest) (*ConnReply, error)
	Close(context.Context, *CloseRequest) (*ErrReply, error)
	Dial(context.Context, *DialRequest) (*ConnReply, error)
	CheckDial(context.Context, *CheckDialRequest) (*ErrReply, error)
	Handshake(context.Context, *HandshakeRequest) (*HandshakeReply, error)
	// Session runs one mechanism session: SessionMsg in, SessionEvt out.
	Session(grpc.ServerStream) error
}

func unary[Req any, Rep any](name string, call func(Server, context.Context, *Req) (*Rep, error)) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			req := new(Req)
			if err := dec(req); err != nil {
				return nil, err
			}
			if icpt == nil {
				return call(srv.(Server), ctx, req)
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + ServiceName + "/" + name}
			return icpt(ctx, req, info, func(ctx context.Context, r any) (any, error) {
				return call(srv.(Server), ctx, r.(*Req))
			})
		},
	}
}

// ServiceDesc describes the service for grpc.Server.RegisterService.
var ServiceDesc = grpc.ServiceDesc{
	ServiceName: ServiceName,
	HandlerType: (*Server)(nil),
	Methods: []grpc.MethodDesc{
		unary("Describe", Server.Describe),
		unary("Ping", Server.Ping),
		unary("Listen", Server.Listen),
		unary("Accept", Server.Accept),
		unary("Close", Server.Close),
		unary("Dial", Server.Dial),
		unary("CheckDial", Server.CheckDial),
		unary("Handshake", Server.Handshake),
	},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Session",
		Handler:       func(srv any, s grpc.ServerStream) error { return srv.(Server).Session(s) },
		ServerStreams: true,
		ClientStreams: true,
	}},
	Metadata: "zmqkit/plugin.v1 (hand-written, JSON codec)",
}

// Client calls a plugin's service.
type Client struct{ cc grpc.ClientConnInterface }

// NewClient wraps cc.
func NewClient(cc grpc.ClientConnInterface) *Client { return &Client{cc: cc} }

var callOpts = []grpc.CallOption{grpc.CallContentSubtype(CodecName), grpc.WaitForReady(false)}

// Call invokes method with req and decodes the reply into rep.
func (c *Client) Call(ctx context.Context, method string, req, rep any) error {
	return c.cc.Invoke(ctx, "/"+ServiceName+"/"+method, req, rep, callOpts...)
}

// Session opens a mechanism session stream.
func (c *Client) Session(ctx context.Context) (grpc.ClientStream, error) {
	return c.cc.NewStream(ctx, &ServiceDesc.Streams[0], "/"+ServiceName+"/Session", callOpts...)
}
