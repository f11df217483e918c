package core

import (
	"context"
	"fmt"

	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/zmtp"
)

// nullMechanism is ZMTP's NULL security mechanism (RFC 23): both sides
// send READY with their metadata; no roles, no encryption.
type nullMechanism struct{}

func (nullMechanism) Name() string { return "NULL" }

func (nullMechanism) NewSession(cfg *mechanism.Config) (mechanism.Session, error) {
	return &nullSession{cfg: cfg}, nil
}

type nullSession struct {
	cfg       *mechanism.Config
	sentReady bool
	gotReady  bool
	failed    bool
	peer      []mechanism.Property
	zapDone   bool
	zapProps  []mechanism.Property // User-Id and ZAP metadata
	zapErr    error                // refusal to report after ERROR is sent
}

func (n *nullSession) Next() ([]byte, error) {
	if n.zapErr != nil {
		n.failed = true
		return nil, n.zapErr
	}
	if n.sentReady {
		return nil, nil
	}
	if n.cfg.ZAPDomain != "" && !n.zapDone {
		// libzmq's null_mechanism_t: with a ZAP domain, ask ZAP before READY
		n.zapDone = true
		if n.cfg.ZAP != nil && n.cfg.ZAP.Available() {
			rep, err := n.cfg.ZAP.Authenticate(context.Background(), mechanism.ZAPRequest{
				Domain:    n.cfg.ZAPDomain,
				Address:   n.cfg.PeerAddress,
				Identity:  n.cfg.RoutingID,
				Mechanism: "NULL",
			})
			if err != nil {
				n.failed = true
				return nil, err
			}
			n.zapProps = append([]mechanism.Property{{Name: "User-Id", Value: []byte(rep.UserID)}}, rep.Metadata...)
			switch rep.StatusCode {
			case "200":
			case "300":
				n.failed = true
				return nil, mechanism.NewAuthError("300", rep.StatusText)
			default:
				n.zapErr = mechanism.NewAuthError(rep.StatusCode, rep.StatusText)
				return zmtp.AppendError(nil, rep.StatusCode), nil
			}
		} else if n.cfg.ZAPEnforceDomain {
			n.failed = true
			return nil, mechanism.ErrNoZAPHandler
		}
	}
	n.sentReady = true
	return zmtp.AppendReady(nil, n.cfg.Metadata), nil
}

func (n *nullSession) Process(cmd []byte) error {
	if n.gotReady || !zmtp.IsCommand(cmd, zmtp.CmdReady) {
		n.failed = true
		return &mechanism.ProtocolError{Code: mechanism.ErrZMTPUnexpectedCommand, Msg: "NULL expects READY"}
	}
	props, err := zmtp.ParseProperties(cmd[1+len(zmtp.CmdReady):])
	if err != nil {
		n.failed = true
		return &mechanism.ProtocolError{Code: mechanism.ErrZMTPInvalidMetadata, Msg: fmt.Sprint(err)}
	}
	if n.cfg.CheckPeer != nil {
		if err := n.cfg.CheckPeer(props); err != nil {
			n.failed = true
			return err
		}
	}
	n.peer = append(props, n.zapProps...)
	n.gotReady = true
	return nil
}

func (n *nullSession) Status() mechanism.Status {
	switch {
	case n.failed:
		return mechanism.Failed
	case n.sentReady && n.gotReady:
		return mechanism.Ready
	}
	return mechanism.Handshaking
}

func (n *nullSession) PeerProperties() []mechanism.Property { return n.peer }
func (n *nullSession) Transforms() bool                     { return false }
func (n *nullSession) Encode(dst, body []byte, flags byte) ([]byte, byte, error) {
	return append(dst, body...), flags, nil
}
func (n *nullSession) Decode(dst, body []byte, flags byte) ([]byte, byte, error) {
	return append(dst, body...), flags, nil
}
