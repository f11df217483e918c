package core

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/zmqkit/zmqkit/internal/release"
)

// Version is zmqkit's own semantic version, the release this source is
// (CHANGELOG.md records what each release added). zmqkit follows semantic
// versioning from v0.1.0; docs/stability.md says which parts of the API
// are stable and which mirror libzmq's DRAFT API and may change.
// (It is defined in internal/release, where plugin binaries, which do not
// import the core, find it too.)
const Version = release.Version

// The libzmq version whose API and wire behaviour zmqkit implements:
// what zmq_version reports (ZMQ_VERSION_MAJOR, _MINOR, _PATCH), 4.3.5,
// the last libzmq release, plus the DRAFT API listed in DraftAPI.
const (
	ZMQVersionMajor = 4
	ZMQVersionMinor = 3
	ZMQVersionPatch = 5
)

// ZMQVersion returns the libzmq version whose API zmqkit implements
// (zmq_version).
func ZMQVersion() (major, minor, patch int) {
	return ZMQVersionMajor, ZMQVersionMinor, ZMQVersionPatch
}

// DraftAPI lists, by their libzmq names, the parts of libzmq's DRAFT API
// (what libzmq builds with --enable-drafts) that zmqkit implements, so
// zmq_has("draft") is true. Like libzmq's, these may still change. The
// last entry is from libzmq's master branch, after 4.3.5.
var DraftAPI = []string{
	"ZMQ_SERVER", "ZMQ_CLIENT", "ZMQ_RADIO", "ZMQ_DISH", "ZMQ_GATHER",
	"ZMQ_SCATTER", "ZMQ_DGRAM", "ZMQ_PEER", "ZMQ_CHANNEL",
	"zmq_poller", "zmq_join", "zmq_leave",
	"zmq_msg_set_routing_id", "zmq_msg_routing_id",
	"zmq_msg_set_group", "zmq_msg_group", "zmq_msg_init_buffer",
	"zmq_connect_peer",
	"zmq_socket_monitor_versioned", "zmq_socket_monitor_pipes_stats",
	"ZMQ_EVENT_PIPES_STATS",
	"ZMQ_ROUTER_NOTIFY", "ZMQ_XPUB_MANUAL_LAST_VALUE",
	"ZMQ_XSUB_VERBOSE_UNSUBSCRIBE", "ZMQ_ONLY_FIRST_SUBSCRIBE",
	"ZMQ_ZAP_ENFORCE_DOMAIN", "ZMQ_METADATA", "ZMQ_RECONNECT_STOP",
	"ZMQ_HELLO_MSG", "ZMQ_DISCONNECT_MSG", "ZMQ_HICCUP_MSG",
	"ZMQ_PRIORITY", "ZMQ_IN_BATCH_SIZE", "ZMQ_OUT_BATCH_SIZE",
	"ZMQ_MULTICAST_LOOP",
	"zmq_disconnect_peer",
}

// VersionInfo describes this build of zmqkit: what VersionString prints and
// the commands' --version flag shows.
type VersionInfo struct {
	// Version is zmqkit's semantic version (the Version constant).
	Version string
	// Module is the version the Go toolchain recorded for the zmqkit
	// module in this binary: Version for a tagged release, a
	// pseudo-version for a commit, "(devel)" when zmqkit is the main
	// module, or "" when the binary carries no build information.
	Module string
	// ZMQ is the libzmq API level implemented: major, minor, patch.
	ZMQ [3]int
	// Draft lists the libzmq DRAFT API implemented (DraftAPI).
	Draft []string
}

// ModulePath is zmqkit's Go module path.
const ModulePath = "github.com/zmqkit/zmqkit"

// BuildVersion returns this build's VersionInfo.
func BuildVersion() VersionInfo {
	v := VersionInfo{
		Version: Version,
		ZMQ:     [3]int{ZMQVersionMajor, ZMQVersionMinor, ZMQVersionPatch},
		Draft:   append([]string(nil), DraftAPI...),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v.Module = moduleVersion(bi)
	}
	return v
}

// moduleVersion finds zmqkit's module version in the build information.
func moduleVersion(bi *debug.BuildInfo) string {
	if bi.Main.Path == ModulePath {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == ModulePath {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}

// String is one line for --version output, e.g.
// "zmqkit v0.1.0 (libzmq 4.3.5 API + draft)"; the module version follows
// in brackets when the toolchain recorded one that differs from Version.
func (v VersionInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "zmqkit %s (libzmq %d.%d.%d API", v.Version, v.ZMQ[0], v.ZMQ[1], v.ZMQ[2])
	if len(v.Draft) > 0 {
		b.WriteString(" + draft")
	}
	b.WriteString(")")
	if v.Module != "" && v.Module != "(devel)" && v.Module != v.Version {
		fmt.Fprintf(&b, " [module %s]", v.Module)
	}
	return b.String()
}

// VersionString returns BuildVersion().String(): the line a command's
// --version prints.
func VersionString() string { return BuildVersion().String() }
