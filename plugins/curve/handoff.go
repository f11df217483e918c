package curve

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zmqkit/zmqkit/registry/mechanism"
)

// Data-phase hand-over (mechanism.StateExporter and StateImporter): once
// a handshake is done, a session can give its MESSAGE keys and nonce
// counters to another instance of the mechanism, which carries the
// connection's traffic on. registry/external uses it when the user opts
// in, so that the handshake (and the long-term secret key) stays in a
// plugin process while the host boxes and opens messages itself. The
// state holds this connection's two XSalsa20 stream keys, derived from its
// transient keys: never a long-term key.

var (
	_ mechanism.StateExporter = (*session)(nil)
	_ mechanism.StateImporter = (*Mechanism)(nil)
)

// errExported is returned by Encode and Decode of a session whose state
// was exported: its nonces now belong to the importer.
var errExported = errors.New("curve: session state was handed over")

const stateVersion = 1

// stateSize is the size of an exported state: version, two keys, two
// nonce counters.
const stateSize = 1 + 32 + 32 + 8 + 8

// ExportState returns the data-phase state of a Ready session and retires
// the session: its Encode and Decode fail from then on.
func (s *session) ExportState() ([]byte, error) {
	if s.state != stReady {
		return nil, fmt.Errorf("curve: export of a session that is not ready")
	}
	if s.exported {
		return nil, errExported
	}
	b := make([]byte, 0, stateSize)
	b = append(b, stateVersion)
	b = append(b, s.encKey[:]...)
	b = append(b, s.decKey[:]...)
	b = binary.BigEndian.AppendUint64(b, s.nonce)
	b = binary.BigEndian.AppendUint64(b, s.peerNonce)
	s.exported = true
	clear(s.encKey[:])
	clear(s.decKey[:])
	return b, nil
}

// ImportSession returns a Ready session carrying on from state, as an
// ExportState of this mechanism gave it; props are the peer's properties.
func (m *Mechanism) ImportSession(state []byte, cfg *mechanism.Config, props []mechanism.Property) (mechanism.Session, error) {
	if len(state) != stateSize || state[0] != stateVersion {
		return nil, fmt.Errorf("curve: imported state of %d bytes is not a version %d state", len(state), stateVersion)
	}
	s := &session{cfg: cfg, state: stReady, props: props}
	copy(s.encKey[:], state[1:33])
	copy(s.decKey[:], state[33:65])
	s.nonce = binary.BigEndian.Uint64(state[65:73])
	s.peerNonce = binary.BigEndian.Uint64(state[73:81])
	return s, nil
}
