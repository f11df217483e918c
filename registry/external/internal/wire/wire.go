// Package wire is the protocol between zmqkit's out-of-process plugin
// host (registry/external) and plugin side (registry/external/serve):
// the go-plugin handshake, a gRPC service described by hand with a JSON
// codec (no protoc), the messages, the errors, and the framing of the side
// channel and of the per-connection local channels.
//
// Control calls go over gRPC. Data never does:
//
//   - the side channel, a Unix socketpair the host passes as the plugin's
//     descriptor 3 (exec.Cmd.ExtraFiles), carries plugin-to-host records:
//     descriptors (SCM_RIGHTS) and lifecycle events that happen outside
//     of a call;
//   - a stream connection whose bytes are its descriptor's
//     (transport.DirectConn) is handed to the host as that descriptor;
//   - any other connection (frames, datagrams, streams without a usable
//     descriptor) gets a local channel: a socketpair whose host end is
//     handed over, carrying records [len u64][flags u8][aux len u8][aux]
//     [body], many per read or write;
//   - an out-of-process mechanism's data phase runs over two such
//     channels, one per direction, one batch of frames per round trip.
package wire

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/encoding"
)

// ProtocolVersion is the version of this protocol; go-plugin refuses a
// plugin built for another (its APP version).
const ProtocolVersion = 1

// Handshake is the go-plugin handshake of zmqkit plugins. The cookie
// only tells a binary that a zmqkit host started it.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "ZMQKIT_PLUGIN",
	MagicCookieValue: "4c8e0f3a-zmqkit-transport-and-mechanism-plugin",
}

// PluginKey names the one go-plugin plugin a zmqkit binary serves.
const PluginKey = "zmqkit"

// SideFDEnv tells the plugin which descriptor is the side channel.
const SideFDEnv = "ZMQKIT_PLUGIN_SIDE_FD"

// Codec is the JSON codec of the service; gRPC picks it by content
// subtype on both sides.
type Codec struct{}

// CodecName is the codec's content subtype.
const CodecName = "zmqkit-json"

func init() { encoding.RegisterCodec(Codec{}) }

// Marshal encodes v as JSON.
func (Codec) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal decodes JSON into v.
func (Codec) Unmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("wire: %w", err)
	}
	return nil
}

// Name is CodecName.
func (Codec) Name() string { return CodecName }
