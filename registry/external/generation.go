package external

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/zmqkit/zmqkit/registry/external/internal/wire"
)

// generation is one run of the plugin process.
type generation struct {
	p       *Plugin
	client  *plugin.Client
	rpc     *wire.Dispensed
	side    *wire.SideReader
	desc    wire.DescribeReply
	pid     int
	started time.Time
	exited  <-chan struct{}

	stopping chan struct{}
	stopOnce sync.Once
	reaped   chan struct{}

	mu       sync.Mutex
	objs     map[io.Closer]struct{}
	dead     bool
	expected bool
}

// isDead reports whether the process ended: marked by watch, or seen
// ended and not yet marked (a caller must not pick g in between).
func (g *generation) isDead() bool {
	g.mu.Lock()
	dead := g.dead
	g.mu.Unlock()
	if dead {
		return true
	}
	select {
	case <-g.exited:
		return true
	case <-g.side.Done():
		return true
	default:
		return false
	}
}

// track registers c to be closed when the process ends; false when it
// already has (the caller closes c).
func (g *generation) track(c io.Closer) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.dead {
		return false
	}
	g.objs[c] = struct{}{}
	return true
}

func (g *generation) untrack(c io.Closer) {
	g.mu.Lock()
	delete(g.objs, c)
	g.mu.Unlock()
}

// die marks g dead and closes what it tracks; it reports whether the end
// was asked for.
func (g *generation) die() bool {
	g.mu.Lock()
	if g.dead {
		g.mu.Unlock()
		return g.expected
	}
	g.dead = true
	objs := g.objs
	g.objs = nil
	expected := g.expected
	g.mu.Unlock()
	for c := range objs {
		c.Close()
	}
	return expected
}

// stop ends the process on purpose and waits until it is gone.
func (g *generation) stop() {
	g.mu.Lock()
	g.expected = true
	g.mu.Unlock()
	g.stopOnce.Do(func() { close(g.stopping) })
	<-g.reaped
}

// reap stops the process and collects it: go-plugin asks it to shut down
// and waits 2 s; a process that does not answer (hung, stopped) is killed.
func (g *generation) reap() {
	g.side.Close()
	done := make(chan struct{})
	go func() {
		g.client.Kill()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		killPid(g.pid)
		<-done
	}
	close(g.reaped)
}

// call makes one call; a call but Accept is bounded by CallTimeout.
func (g *generation) call(ctx context.Context, method string, req, rep any, bounded bool) error {
	cctx := ctx
	if bounded {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, g.p.opts.CallTimeout)
		defer cancel()
	}
	err := g.rpc.Call(cctx, method, req, rep)
	if err == nil {
		return nil
	}
	if c := status.Code(err); c == codes.DeadlineExceeded || c == codes.Canceled {
		// gRPC may see the deadline a moment before the context does
		select {
		case <-cctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("external: %s: %s: %w", g.p.opts.Name, method, ctx.Err())
	}
	if status.Code(err) == codes.Unavailable {
		// the connection to the process broke: it is ending (killed,
		// crashed), and says so in a moment
		t := time.NewTimer(time.Second)
		select {
		case <-g.exited:
		case <-g.side.Done():
		case <-t.C:
		}
		t.Stop()
	}
	select {
	case <-g.exited:
		return fmt.Errorf("%w: %s: %s: the process ended", ErrPluginDown, g.p.opts.Name, method)
	case <-g.side.Done():
		return fmt.Errorf("%w: %s: %s: the process ended", ErrPluginDown, g.p.opts.Name, method)
	default:
	}
	if errors.Is(cctx.Err(), context.DeadlineExceeded) {
		go g.checkAlive()
		return fmt.Errorf("external: %s: %s: no answer within %v: %w", g.p.opts.Name, method, g.p.opts.CallTimeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("external: %s: %s: %w", g.p.opts.Name, method, err)
}

// checkAlive pings a plugin whose call timed out and kills it if the
// ping times out too: a hung process is restarted.
func (g *generation) checkAlive() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var rep wire.PingReply
	if err := g.rpc.Call(ctx, "Ping", &wire.PingRequest{}, &rep); err != nil && !g.isDead() {
		g.p.log.Error("plugin process does not answer: killing it", "pid", g.pid, "error", err)
		killPid(g.pid)
	}
}
