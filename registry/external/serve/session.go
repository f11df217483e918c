package serve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"google.golang.org/grpc"

	"github.com/zmqkit/zmqkit/registry/external/internal/wire"
	"github.com/zmqkit/zmqkit/registry/mechanism"
)

// sessionStream runs one mechanism session for the host. The handshake
// goes over the stream: the host sends an operation, the session may
// call back (ZAP, the peer check) any number of times, then the reply
// comes. The data phase goes over two local channels (OpData), or the
// session's state goes to the host (OpExport).
type sessionStream struct {
	s    *server
	st   grpc.ServerStream
	sess mechanism.Session
}

func (s *server) Session(st grpc.ServerStream) error {
	ss := &sessionStream{s: s, st: st}
	var wg sync.WaitGroup
	var chans []net.Conn
	defer func() {
		for _, c := range chans {
			c.Close()
		}
		wg.Wait()
	}()
	for {
		var m wire.SessionMsg
		if err := st.RecvMsg(&m); err != nil {
			return nil // the host closed the session
		}
		var rep wire.SessionEvt
		switch m.Op {
		case wire.OpInit:
			rep = ss.init(m.Init)
		case wire.OpProcess:
			if ss.sess == nil {
				rep.Err = wire.FromError(errors.New("no session"))
				break
			}
			if err := ss.sess.Process(m.Cmd); err != nil {
				rep.Err = wire.FromError(err)
			} else {
				ss.drain(&rep)
			}
			ss.snapshot(&rep)
		case wire.OpExport:
			exp, ok := ss.sess.(mechanism.StateExporter)
			if !ok {
				rep.Err = wire.FromError(errors.New("the mechanism can not hand its state over"))
				break
			}
			state, err := exp.ExportState()
			rep.State, rep.Err = state, wire.FromError(err)
		case wire.OpData:
			cs, err := ss.data(m.EncToken, m.DecToken, &wg)
			chans = append(chans, cs...)
			rep.Err = wire.FromError(err)
		default:
			rep.Err = wire.FromError(fmt.Errorf("unknown session operation %q", m.Op))
		}
		if err := st.SendMsg(&rep); err != nil {
			return nil
		}
	}
}

func (ss *sessionStream) init(in *wire.SessionInit) (rep wire.SessionEvt) {
	if in == nil || in.Mechanism < 0 || in.Mechanism >= len(ss.s.cfg.Mechanisms) {
		rep.Err = wire.FromError(errors.New("no such mechanism"))
		return rep
	}
	cfg := &mechanism.Config{
		AsServer: in.AsServer, SocketType: in.SocketType, Metadata: in.Metadata,
		Options: in.Options, ZAPDomain: in.ZAPDomain, ZAPEnforceDomain: in.ZAPEnforceDomain,
		PeerAddress: in.PeerAddress, RoutingID: in.RoutingID,
		CheckPeer: ss.checkPeer,
	}
	if in.HasZAP {
		cfg.ZAP = zapStub{ss}
	}
	sess, err := ss.s.cfg.Mechanisms[in.Mechanism].NewSession(cfg)
	if err != nil {
		rep.Err = wire.FromError(err)
		return rep
	}
	ss.sess = sess
	ss.drain(&rep)
	ss.snapshot(&rep)
	return rep
}

// drain collects what Next has to send now.
func (ss *sessionStream) drain(rep *wire.SessionEvt) {
	for {
		cmd, err := ss.sess.Next()
		if err != nil {
			rep.NextErr = wire.FromError(err)
			return
		}
		if cmd == nil {
			return
		}
		rep.Cmds = append(rep.Cmds, cmd)
	}
}

func (ss *sessionStream) snapshot(rep *wire.SessionEvt) {
	if ss.sess == nil {
		return
	}
	rep.Status = ss.sess.Status()
	if rep.Status == mechanism.Ready {
		rep.Transforms = ss.sess.Transforms()
		rep.PeerProps = ss.sess.PeerProperties()
	}
}

// callback asks the host and waits for its answer.
func (ss *sessionStream) callback(ev *wire.SessionEvt) (*wire.SessionMsg, error) {
	if err := ss.st.SendMsg(ev); err != nil {
		return nil, err
	}
	var m wire.SessionMsg
	if err := ss.st.RecvMsg(&m); err != nil {
		return nil, err
	}
	if m.Op != wire.OpAnswer {
		return nil, fmt.Errorf("host sent %q while a callback was under way", m.Op)
	}
	return &m, nil
}

func (ss *sessionStream) checkPeer(props []mechanism.Property) error {
	m, err := ss.callback(&wire.SessionEvt{Callback: wire.CbCheckPeer, Props: props})
	if err != nil {
		return err
	}
	return m.Err.ToError()
}

type zapStub struct{ ss *sessionStream }

func (z zapStub) Available() bool {
	m, err := z.ss.callback(&wire.SessionEvt{Callback: wire.CbZAPAvailable})
	return err == nil && m.Available
}

func (z zapStub) Authenticate(_ context.Context, req mechanism.ZAPRequest) (mechanism.ZAPReply, error) {
	m, err := z.ss.callback(&wire.SessionEvt{Callback: wire.CbZAPAuth, ZAPRequest: &req})
	if err != nil {
		return mechanism.ZAPReply{}, err
	}
	if m.Err != nil {
		return mechanism.ZAPReply{}, m.Err.ToError()
	}
	if m.ZAPReply == nil {
		return mechanism.ZAPReply{}, errors.New("no ZAP reply")
	}
	return *m.ZAPReply, nil
}

// data opens the session's two data channels and serves batches on them.
func (ss *sessionStream) data(encToken, decToken uint64, wg *sync.WaitGroup) ([]net.Conn, error) {
	if ss.sess == nil || ss.sess.Status() != mechanism.Ready {
		return nil, errors.New("the session is not ready")
	}
	if ss.s.side == nil {
		return nil, errors.New("no side channel for the data phase")
	}
	var conns []net.Conn
	for _, dir := range []struct {
		token  uint64
		encode bool
	}{{encToken, true}, {decToken, false}} {
		c, err := ss.s.side.Open(dir.token, nil)
		if err != nil {
			return conns, err
		}
		conns = append(conns, c)
		wg.Add(1)
		go func(c net.Conn, encode bool) {
			defer wg.Done()
			ss.serveBatches(c, encode)
		}(c, dir.encode)
	}
	return conns, nil
}

// serveBatches answers batch requests on c until it closes.
func (ss *sessionStream) serveBatches(c net.Conn, encode bool) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 256<<10)
	bw := bufio.NewWriterSize(c, 256<<10)
	bs, batch := ss.sess.(mechanism.BatchSession)
	var inBuf, outBuf []byte
	var in, out []mechanism.Frame
	for {
		var err error
		inBuf, in, _, err = wire.ReadBatch(br, inBuf[:0], in, false, 0)
		if err != nil {
			return
		}
		if cap(out) < len(in) {
			out = make([]mechanism.Frame, len(in))
		}
		out = out[:len(in)]
		n := len(in)
		var terr error
		switch {
		case batch && encode:
			outBuf, terr = bs.EncodeBatch(outBuf[:0], in, out)
		case batch:
			outBuf, n, terr = bs.DecodeBatch(outBuf[:0], in, out)
		default:
			outBuf, n, terr = ss.oneByOne(outBuf[:0], in, out, encode)
		}
		if err := wire.WriteBatch(bw, out[:n], true, terr); err != nil {
			return
		}
	}
}

// oneByOne transforms frames with Encode or Decode.
func (ss *sessionStream) oneByOne(dst []byte, in, out []mechanism.Frame, encode bool) ([]byte, int, error) {
	offs := make([]int, 0, 2*len(in))
	fl := make([]byte, 0, len(in))
	var err error
	n := 0
	for _, f := range in {
		s := len(dst)
		var flags byte
		if encode {
			dst, flags, err = ss.sess.Encode(dst, f.Body, f.Flags)
		} else {
			dst, flags, err = ss.sess.Decode(dst, f.Body, f.Flags)
		}
		if err != nil {
			dst = dst[:s]
			break
		}
		offs = append(offs, s, len(dst))
		fl = append(fl, flags)
		n++
	}
	for i := 0; i < n; i++ {
		out[i] = mechanism.Frame{Body: dst[offs[2*i]:offs[2*i+1]], Flags: fl[i]}
	}
	return dst, n, err
}
