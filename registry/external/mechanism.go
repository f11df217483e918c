package external

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/zmqkit/zmqkit/registry/external/internal/wire"
	"github.com/zmqkit/zmqkit/registry/mechanism"
)

// mechanismAdapter is a mechanism served by the plugin.
type mechanismAdapter struct {
	p        *Plugin
	idx      int
	info     wire.MechanismInfo
	importer mechanism.StateImporter // Options.HandOff: carries the data phase on
}

// Name is the mechanism's ZMTP name.
func (a *mechanismAdapter) Name() string { return a.info.Name }

// NewSession starts a session in the plugin; its handshake runs there.
func (a *mechanismAdapter) NewSession(cfg *mechanism.Config) (mechanism.Session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), a.p.opts.CallTimeout)
	g, err := a.p.acquire(ctx)
	cancel()
	if err != nil {
		return nil, err
	}
	sctx, scancel := context.WithCancel(context.Background())
	st, err := g.rpc.Session(sctx)
	if err != nil {
		scancel()
		a.p.release()
		return nil, fmt.Errorf("external: %s: session: %w", a.p.opts.Name, err)
	}
	s := &hostSession{a: a, g: g, cfg: cfg, st: st, cancel: scancel}
	if !g.track(s) {
		s.Close()
		return nil, fmt.Errorf("%w: %s", ErrPluginDown, a.p.opts.Name)
	}
	init := &wire.SessionInit{
		Mechanism: a.idx, AsServer: cfg.AsServer, SocketType: cfg.SocketType, Metadata: cfg.Metadata,
		Options: cfg.Options, ZAPDomain: cfg.ZAPDomain, ZAPEnforceDomain: cfg.ZAPEnforceDomain,
		PeerAddress: cfg.PeerAddress, RoutingID: cfg.RoutingID, HasZAP: cfg.ZAP != nil,
	}
	if err := s.op(&wire.SessionMsg{Op: wire.OpInit, Init: init}); err != nil {
		s.Close()
		return nil, err
	}
	if a.importer != nil {
		return &handOffSession{s: s}, nil
	}
	return s, nil
}

// hostSession is a session running in the plugin. Its handshake crosses
// as one call per command received (with callbacks for ZAP and the peer
// check); its data phase goes over two local channels, one batch per
// round trip (mechanism.BatchSession).
type hostSession struct {
	a      *mechanismAdapter
	g      *generation
	cfg    *mechanism.Config
	st     grpc.ClientStream
	cancel context.CancelFunc

	cmds       [][]byte
	nextErr    error
	status     mechanism.Status
	transforms bool
	props      []mechanism.Property
	dataErr    error

	enc, dec *dataChan
	once     sync.Once
}

// op sends one operation, answers the plugin's callbacks and takes in
// the reply.
func (s *hostSession) op(m *wire.SessionMsg) error {
	timer := time.AfterFunc(s.a.p.opts.CallTimeout, s.cancel)
	defer timer.Stop()
	if err := s.st.SendMsg(m); err != nil {
		return s.streamErr(m.Op, err)
	}
	for {
		var ev wire.SessionEvt
		if err := s.st.RecvMsg(&ev); err != nil {
			return s.streamErr(m.Op, err)
		}
		if ev.Callback == "" {
			return s.apply(&ev)
		}
		timer.Stop()
		ans := s.answer(&ev)
		timer.Reset(s.a.p.opts.CallTimeout)
		if err := s.st.SendMsg(ans); err != nil {
			return s.streamErr(m.Op, err)
		}
	}
}

func (s *hostSession) streamErr(op string, err error) error {
	if s.g.isDead() {
		return fmt.Errorf("%w: %s: session %s: the process ended", ErrPluginDown, s.a.p.opts.Name, op)
	}
	return fmt.Errorf("external: %s: session %s: %w", s.a.p.opts.Name, op, err)
}

// answer runs a callback of the plugin's session here.
func (s *hostSession) answer(ev *wire.SessionEvt) *wire.SessionMsg {
	ans := &wire.SessionMsg{Op: wire.OpAnswer}
	switch ev.Callback {
	case wire.CbCheckPeer:
		if s.cfg.CheckPeer != nil {
			ans.Err = wire.FromError(s.cfg.CheckPeer(ev.Props))
		}
	case wire.CbZAPAvailable:
		ans.Available = s.cfg.ZAP != nil && s.cfg.ZAP.Available()
	case wire.CbZAPAuth:
		if s.cfg.ZAP == nil || ev.ZAPRequest == nil {
			ans.Err = wire.FromError(mechanism.ErrNoZAPHandler)
			break
		}
		rep, err := s.cfg.ZAP.Authenticate(context.Background(), *ev.ZAPRequest)
		if err != nil {
			ans.Err = wire.FromError(err)
		} else {
			ans.ZAPReply = &rep
		}
	default:
		ans.Err = wire.FromError(fmt.Errorf("unknown callback %q", ev.Callback))
	}
	return ans
}

// apply takes in a reply: commands to send, status, properties.
func (s *hostSession) apply(ev *wire.SessionEvt) error {
	s.cmds = append(s.cmds, ev.Cmds...)
	s.nextErr = ev.NextErr.ToError()
	s.status = ev.Status
	s.transforms = ev.Transforms
	if ev.PeerProps != nil {
		s.props = ev.PeerProps
	}
	return ev.Err.ToError()
}

// Next returns the next command the plugin's session has to send.
func (s *hostSession) Next() ([]byte, error) {
	if len(s.cmds) > 0 {
		c := s.cmds[0]
		s.cmds = s.cmds[1:]
		return c, nil
	}
	return nil, s.nextErr
}

// Process hands a command to the plugin's session.
func (s *hostSession) Process(cmd []byte) error {
	return s.op(&wire.SessionMsg{Op: wire.OpProcess, Cmd: cmd})
}

// Status is the handshake state as of the last reply.
func (s *hostSession) Status() mechanism.Status { return s.status }

// PeerProperties are the peer's properties once Ready.
func (s *hostSession) PeerProperties() []mechanism.Property { return s.props }

// Transforms reports whether traffic frames are transformed.
func (s *hostSession) Transforms() bool { return s.transforms }

// openData opens the data channels, once, when traffic first flows.
func (s *hostSession) openData() error {
	if s.enc != nil || s.dataErr != nil {
		return s.dataErr
	}
	p := s.a.p
	encT, decT := p.nextID.Add(1), p.nextID.Add(1)
	s.g.side.Expect(encT)
	s.g.side.Expect(decT)
	err := s.op(&wire.SessionMsg{Op: wire.OpData, EncToken: encT, DecToken: decT})
	if err == nil {
		s.enc, err = s.takeChan(encT)
	}
	if err == nil {
		s.dec, err = s.takeChan(decT)
	}
	s.g.side.Drop(encT, nil)
	s.g.side.Drop(decT, nil)
	if err != nil {
		s.dataErr = err
	}
	return err
}

func (s *hostSession) takeChan(token uint64) (*dataChan, error) {
	h, err := s.g.side.Take(token, fdWait)
	if err != nil {
		return nil, err
	}
	nc := h.Conn
	if nc == nil {
		f := os.NewFile(uintptr(h.FD), "zmqkit-plugin-data")
		nc, err = net.FileConn(f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return &dataChan{nc: nc, br: bufio.NewReaderSize(nc, 256<<10), bw: bufio.NewWriterSize(nc, 256<<10)}, nil
}

// Encode and Decode work a frame at a time, through a batch of one; the
// core uses EncodeBatch and DecodeBatch.
func (s *hostSession) Encode(dst, body []byte, flags byte) ([]byte, byte, error) {
	var out [1]mechanism.Frame
	dst, err := s.EncodeBatch(dst, []mechanism.Frame{{Body: body, Flags: flags}}, out[:])
	return dst, out[0].Flags, err
}

// Decode: see Encode.
func (s *hostSession) Decode(dst, body []byte, flags byte) ([]byte, byte, error) {
	var out [1]mechanism.Frame
	dst, n, err := s.DecodeBatch(dst, []mechanism.Frame{{Body: body, Flags: flags}}, out[:])
	if err == nil && n != 1 {
		err = errors.New("external: no frame decoded")
	}
	return dst, out[0].Flags, err
}

// EncodeBatch has the plugin encode frames, one round trip.
func (s *hostSession) EncodeBatch(dst []byte, frames, out []mechanism.Frame) ([]byte, error) {
	if err := s.openData(); err != nil {
		return dst, err
	}
	dst, n, err := s.enc.transform(dst, frames, out)
	if err == nil && n != len(frames) {
		err = fmt.Errorf("external: %d of %d frames encoded", n, len(frames))
	}
	return dst, s.dataFail(err)
}

// DecodeBatch has the plugin decode frames, one round trip.
func (s *hostSession) DecodeBatch(dst []byte, frames, out []mechanism.Frame) ([]byte, int, error) {
	if err := s.openData(); err != nil {
		return dst, 0, err
	}
	dst, n, err := s.dec.transform(dst, frames, out)
	return dst, n, s.dataFail(err)
}

func (s *hostSession) dataFail(err error) error {
	if err != nil && s.g.isDead() {
		return fmt.Errorf("%w: %s: %v", ErrPluginDown, s.a.p.opts.Name, err)
	}
	return err
}

// Close ends the session in the plugin.
func (s *hostSession) Close() error {
	s.once.Do(func() {
		s.cancel()
		for _, d := range []*dataChan{s.enc, s.dec} {
			if d != nil {
				d.nc.Close()
			}
		}
		s.g.untrack(s)
		s.a.p.release()
	})
	return nil
}

// dataChan is one direction of a session's data phase.
type dataChan struct {
	nc net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func (d *dataChan) transform(dst []byte, in, out []mechanism.Frame) ([]byte, int, error) {
	if err := wire.WriteBatch(d.bw, in, false, nil); err != nil {
		return dst, 0, err
	}
	dst, frames, carried, err := wire.ReadBatch(d.br, dst, out[:0], true, len(in))
	if err != nil {
		return dst, 0, err
	}
	if len(frames) > 0 && &frames[0] != &out[0] {
		copy(out, frames)
	}
	return dst, len(frames), carried
}

// handOffSession is a hostSession whose data phase runs in this process
// (Options.HandOff): once Ready, the plugin's session exports its state
// and the in-process mechanism imports it. It is not a BatchSession: the
// core calls Encode and Decode, in process.
type handOffSession struct {
	s     *hostSession
	local mechanism.Session
	err   error
}

var (
	_ mechanism.BatchSession = (*hostSession)(nil)
	_ mechanism.Session      = (*handOffSession)(nil)
)

// Next, Process, PeerProperties and Transforms are the plugin session's.
func (h *handOffSession) Next() ([]byte, error)                { return h.s.Next() }
func (h *handOffSession) Process(cmd []byte) error             { return h.s.Process(cmd) }
func (h *handOffSession) PeerProperties() []mechanism.Property { return h.s.PeerProperties() }
func (h *handOffSession) Transforms() bool                     { return h.s.Transforms() }

func (h *handOffSession) takeOver() error {
	if h.local != nil || h.err != nil {
		return h.err
	}
	var ev wire.SessionEvt
	h.err = h.exportInto(&ev)
	if h.err == nil {
		h.local, h.err = h.s.a.importer.ImportSession(ev.State, h.s.cfg, h.s.props)
	}
	if h.err == nil {
		// the plugin's session is retired: end it now
		h.s.Close()
	}
	return h.err
}

func (h *handOffSession) exportInto(ev *wire.SessionEvt) error {
	s := h.s
	timer := time.AfterFunc(s.a.p.opts.CallTimeout, s.cancel)
	defer timer.Stop()
	if err := s.st.SendMsg(&wire.SessionMsg{Op: wire.OpExport}); err != nil {
		return s.streamErr(wire.OpExport, err)
	}
	if err := s.st.RecvMsg(ev); err != nil {
		return s.streamErr(wire.OpExport, err)
	}
	return ev.Err.ToError()
}

// Status is Ready once the state is here.
func (h *handOffSession) Status() mechanism.Status {
	st := h.s.Status()
	if st == mechanism.Ready && h.s.Transforms() {
		if err := h.takeOver(); err != nil {
			h.s.a.p.log.Error("session hand-off failed", "error", err)
			return mechanism.Failed
		}
	}
	return st
}

// Encode runs in process.
func (h *handOffSession) Encode(dst, body []byte, flags byte) ([]byte, byte, error) {
	if err := h.takeOver(); err != nil {
		return dst, 0, err
	}
	return h.local.Encode(dst, body, flags)
}

// Decode runs in process.
func (h *handOffSession) Decode(dst, body []byte, flags byte) ([]byte, byte, error) {
	if err := h.takeOver(); err != nil {
		return dst, 0, err
	}
	return h.local.Decode(dst, body, flags)
}

// Close ends the plugin's side if it is still there.
func (h *handOffSession) Close() error { return h.s.Close() }
