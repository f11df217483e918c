package core

import (
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
}

func (n *nullSession) Next() ([]byte, error) {
	if n.sentReady {
		return nil, nil
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
	n.peer = props
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
