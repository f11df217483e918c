package wire

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// GRPCPlugin is the go-plugin plugin of zmqkit binaries: the plugin side
// sets Impl, the host side gets a *Dispensed.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Server
}

// GRPCServer registers the service.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	s.RegisterService(&ServiceDesc, p.Impl)
	return nil
}

// Dispensed is what the host gets: the client, and a channel closed
// when the plugin process exits.
type Dispensed struct {
	*Client
	Exited <-chan struct{}
}

// GRPCClient returns a *Dispensed.
func (p *GRPCPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return &Dispensed{Client: NewClient(cc), Exited: ctx.Done()}, nil
}
